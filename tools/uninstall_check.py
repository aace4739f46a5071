# Run inside `odoo-bin shell` on a database with the addon installed: uninstall
# it and check that nothing of it is left behind.
# ruff: noqa: F821  (``env`` is provided by the shell)
module = env["ir.module.module"].search([("name", "=", "customer_abc")])
env["customer.abc.profile"].classify()
# visits, one done and one planned, must survive the uninstall (as To-Do activities)
visit_type = env.ref("customer_abc.mail_activity_type_visit")
visited = env["res.partner"].create({"name": "Uninstall Visited", "is_company": True, "customer_rank": 1})
visited.activity_schedule(activity_type_id=visit_type.id, summary="Visit").action_feedback(feedback="Seen them")
planned = visited.activity_schedule(activity_type_id=visit_type.id, summary="Visit next week")
env.cr.commit()
module.button_immediate_uninstall()
env.cr.commit()
cr = env.cr
problems = []
todo = env.ref("mail.mail_activity_data_todo")
cr.execute(
    "SELECT count(*) FROM mail_activity WHERE res_model = 'res.partner' AND res_id = %s AND activity_type_id = %s",
    [visited.id, todo.id],
)
if cr.fetchone()[0] != 2:
    problems.append("the done and the planned visit are not kept as To-Do activities")
cr.execute(
    "SELECT count(*) FROM mail_message WHERE model = 'res.partner' AND res_id = %s AND mail_activity_type_id = %s",
    [visited.id, todo.id],
)
if cr.fetchone()[0] != 1:
    problems.append("the message of the done visit lost its activity type")
cr.execute("SELECT count(*) FROM mail_activity_type WHERE id = %s", [visit_type.id])
if cr.fetchone()[0]:
    problems.append("the Visit activity type is left")
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
