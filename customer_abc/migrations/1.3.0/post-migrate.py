"""1.3.0: the partners' grade fields (``abc_grade``, ``abc_previous_grade``,
``abc_grade_change``, ``abc_lifecycle``, ``abc_amount_trend``,
``abc_frequency_trend``) read the customer's profile instead of a copy on the
partner: drop the company-dependent jsonb columns that held the copy (Odoo
leaves the columns of fields that stopped being stored)."""

from odoo.tools import SQL

COLUMNS = (
    "abc_grade",
    "abc_previous_grade",
    "abc_grade_change",
    "abc_lifecycle",
    "abc_amount_trend",
    "abc_frequency_trend",
)


def migrate(cr, version):
    for column in COLUMNS:
        cr.execute(SQL("ALTER TABLE res_partner DROP COLUMN IF EXISTS %s", SQL.identifier(column)))
