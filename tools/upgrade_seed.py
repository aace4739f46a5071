# Run inside `odoo-bin shell` with the PREVIOUS version of the addon: some
# customers, orders and a classification, a manual override; remembers the
# figures in ir.config_parameter for tools/upgrade_check.py.
# ruff: noqa: F821  (``env`` is provided by the shell)
import json
from datetime import date, datetime

from odoo import Command

taxes = "tax_ids" if "tax_ids" in env["sale.order.line"]._fields else "tax_id"  # Odoo 19 / 18
product = env["product.product"].create({"name": "Upgrade Widget", "list_price": 1.0})
partners = env["res.partner"].create(
    [{"name": f"Upgrade Customer {index}", "is_company": True, "customer_rank": 1} for index in range(6)]
)
for index, partner in enumerate(partners):
    for month in (1, 2):
        order = env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create(
                        {"product_id": product.id, "product_uom_qty": 1, "price_unit": 20000.0 * index, taxes: False}
                    )
                ],
            }
        )
        order.action_confirm()
        order.date_order = datetime(2024, month, 10, 12)
env["customer.abc.profile"].classify(today=date(2024, 3, 15))
profile = env["customer.abc.profile"].search([("partner_id", "=", partners[1].id)])
profile.write({"manual_grade": "A", "manual_reason": "Kept through the upgrade"})
seed = {
    "partners": partners.ids,
    "profiles": env["customer.abc.profile"].search_count([("partner_id", "in", partners.ids)]),
    "history": env["customer.abc.history"].search_count([("partner_id", "in", partners.ids)]),
    "grades": {
        str(p.partner_id.id): p.grade for p in env["customer.abc.profile"].search([("partner_id", "in", partners.ids)])
    },
}
env["ir.config_parameter"].set_param("customer_abc.upgrade_seed", json.dumps(seed))
env.cr.commit()
print("UPGRADE SEED OK", seed)
