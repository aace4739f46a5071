from odoo.tools import SQL

from .services.reader import STAGE_PREFIX

#: indexes the addon adds to core tables (dropped on uninstall)
CORE_INDEXES = (
    "customer_abc_sale_order_write_date_index",
    "customer_abc_res_partner_write_date_index",
    "customer_abc_sale_order_partner_index",
)


def post_init_hook(env):
    """Schedule the backfill of the grade history of the last completed
    periods, so that previous grades exist from the first day: the scheduled
    action writes it in the background (an install from the Apps menu runs in
    one HTTP request), and the screens say how far it got."""
    Classifier = env["customer.abc.classifier"]
    for company in env["res.company"].search([]):  # pylint: disable=no-search-all
        Classifier._request_run(company, "backfill")


def uninstall_hook(env):
    """Keep the customers' visits when the addon goes: activities and
    messages of the addon's Visit type become generic To-Do ones (their
    summary still says "Visit"), so that the type can be deleted and the
    chatter keeps what happened.  Drop the stage tables of unfinished runs
    and the addon's indexes on core tables."""
    env.cr.execute(
        SQL("SELECT tablename FROM pg_tables WHERE tablename LIKE %s", STAGE_PREFIX.replace("_", "\\_") + "\\_%")
    )
    for (table,) in env.cr.fetchall():
        env.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(table)))
    for index in CORE_INDEXES:
        env.cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(index)))
    visit = env.ref("customer_abc.mail_activity_type_visit", raise_if_not_found=False)
    todo = env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
    if not visit or not todo:
        return
    env["mail.activity"].flush_model()
    env["mail.message"].flush_model()
    # SQL: done (archived) activities included, without notifications or recomputations
    env.cr.execute(SQL("UPDATE mail_activity SET activity_type_id = %s WHERE activity_type_id = %s", todo.id, visit.id))
    env.cr.execute(
        SQL("UPDATE mail_message SET mail_activity_type_id = %s WHERE mail_activity_type_id = %s", todo.id, visit.id)
    )
    env["mail.activity"].invalidate_model(["activity_type_id"])
    env["mail.message"].invalidate_model(["mail_activity_type_id"])
