"""1.4.0: the history's unique key leads with the customer, (partner, company,
period), which serves the lookups by customer (and the deletion of a contact):
drop the separate index on the customer, one index less to maintain on each
row a run writes (Odoo keeps the index of a field that stopped being indexed)."""

from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier("customer_abc_history__partner_id_index")))
