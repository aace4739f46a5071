# Run inside `odoo-bin shell` on a database with the addon installed: uninstall
# it and check that nothing of it is left behind.
# ruff: noqa: F821  (``env`` is provided by the shell)
module = env["ir.module.module"].search([("name", "=", "customer_abc")])
env["customer.abc.profile"].classify()
env.cr.commit()
module.button_immediate_uninstall()
env.cr.commit()
cr = env.cr
problems = []
cr.execute("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'customer_abc%%'")
problems += [f"table {name} left" for (name,) in cr.fetchall()]
cr.execute(
    "SELECT table_name || '.' || column_name FROM information_schema.columns "
    "WHERE table_name IN ('res_partner', 'res_company') AND column_name LIKE 'abc\\_%%'"
)
problems += [f"column {name} left" for (name,) in cr.fetchall()]
cr.execute("SELECT model FROM ir_model WHERE model LIKE 'customer.abc%%'")
problems += [f"model {name} left" for (name,) in cr.fetchall()]
cr.execute("SELECT name FROM ir_model_fields WHERE name LIKE 'abc\\_%%'")
problems += [f"field {name} left" for (name,) in cr.fetchall()]
cr.execute("SELECT model || ',' || name FROM ir_model_data WHERE module = 'customer_abc'")
problems += [f"record {name} left" for (name,) in cr.fetchall()]
cr.execute("SELECT state FROM ir_module_module WHERE name = 'customer_abc'")
state = cr.fetchone()[0]
if state != "uninstalled":
    problems.append(f"module state {state}")
print("UNINSTALL PROBLEMS", problems) if problems else print("UNINSTALL OK")
