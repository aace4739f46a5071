from odoo import fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.sql import create_index

from .. import compat
from ..analytics.rfm import SEGMENTS

GRADE_SELECTION = [
    ("A", "A"),
    ("B", "B"),
    ("C", "C"),
    ("D", "D"),
]
GRADE_CHANGE_SELECTION = [
    ("up", "Upgraded"),
    ("down", "Downgraded"),
    ("same", "Unchanged"),
    ("new", "New"),
]
LIFECYCLE_SELECTION = [
    ("never", "Never traded"),
    ("new", "New"),
    ("active", "Active"),
    ("at_risk", "About to churn"),
    ("churned", "Churned"),
]
TREND_SELECTION = [
    ("surge", "Surge"),
    ("plunge", "Plunge"),
]
#: RFM segments (:mod:`..analytics.rfm`), in display order
RFM_SEGMENT_SELECTION = list(SEGMENTS)
METHOD_SELECTION = [
    ("fixed", "Fixed thresholds"),
    ("share", "Cumulative share"),
]


class CustomerAbcHistory(models.Model):
    """One immutable snapshot row per company, customer and period.

    Rows are written in bulk by :meth:`customer.abc.profile.classify`;
    rerunning a period replaces its rows (nothing is duplicated).
    """

    _name = "customer.abc.history"
    _description = "Customer ABC Grade History"
    _order = "period_start desc, company_id, rank, partner_id"
    _rec_name = "partner_id"
    # snapshots written in bulk by the job: no create/write user and date, whose
    # foreign keys would be checked on each of the millions of rows a run writes
    _log_access = False

    # (partner, company, period) is the unique index below: no separate partner index (one
    # index less to maintain on each of the millions of rows a run writes); the company's
    # reads go through (company, period, lifecycle), see init()
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, ondelete="cascade")
    currency_id = fields.Many2one(related="company_id.currency_id")
    period_start = fields.Date(required=True, readonly=True)
    period_end = fields.Date(required=True, readonly=True, help="First day after the period.")
    grade = fields.Selection(GRADE_SELECTION, required=True, readonly=True)
    previous_grade = fields.Selection(GRADE_SELECTION, readonly=True)
    grade_change = fields.Selection(GRADE_CHANGE_SELECTION, string="Change", readonly=True)
    amount = fields.Monetary(currency_field="currency_id", readonly=True, help="Untaxed, in company currency.")
    order_count = fields.Integer(string="Orders", readonly=True)
    share_pct = fields.Float(string="Share (%)", digits=(16, 4), readonly=True, aggregator=False)
    cumulative_share_pct = fields.Float(string="Cumulative Share (%)", digits=(16, 4), readonly=True, aggregator=False)
    rank = fields.Integer(readonly=True, aggregator=False, help="1 = largest amount; 0 = no positive amount.")
    method = fields.Selection(METHOD_SELECTION, readonly=True)
    lifecycle = fields.Selection(
        LIFECYCLE_SELECTION, readonly=True, help="Lifecycle of the customer on the last day of the period."
    )
    # RFM on the last day of the period, over the 12 months up to it
    rfm_recency_days = fields.Integer(
        string="Recency (days)", readonly=True, aggregator=False, help="Days from the last order to the period's end."
    )
    rfm_frequency = fields.Integer(string="Frequency (12 months)", readonly=True, aggregator=False)
    rfm_monetary = fields.Monetary(string="Monetary (12 months)", currency_field="currency_id", readonly=True)
    r_score = fields.Integer(readonly=True, aggregator=False)
    f_score = fields.Integer(readonly=True, aggregator=False)
    m_score = fields.Integer(readonly=True, aggregator=False)
    rfm_code = fields.Char(string="RFM Code", readonly=True)
    rfm_segment = fields.Selection(
        RFM_SEGMENT_SELECTION,
        string="RFM Segment",
        readonly=True,
        help="Segment on the last day of the period, from the orders of the 12 months up to it.",
    )
    sync_hash = fields.Char(
        string="Fingerprint",
        readonly=True,
        copy=False,
        help="Fingerprint of the figures last written by the classification.",
    )

    _company_partner_period_uniq = compat.Constraint(
        "UNIQUE (partner_id, company_id, period_start)", "A customer has one grade per company and period."
    )

    def write(self, vals):
        """History rows are snapshots written by the job only."""
        if not self.env.su:
            raise AccessError(self.env._("The grade history is written by the classification only."))
        return super().write(vals)

    def init(self):
        # databases of versions with log access on history rows: drop those columns
        # (and their foreign keys), which nothing writes any more
        for column in ("create_uid", "create_date", "write_uid", "write_date"):
            self.env.cr.execute(
                SQL("ALTER TABLE customer_abc_history DROP COLUMN IF EXISTS %s", SQL.identifier(column))
            )
        # the cockpit reads one period of one company at a time, and counts
        # lifecycle states per period (from this index alone once vacuumed)
        create_index(
            self.env.cr,
            "customer_abc_history_company_period_index",
            self._table,
            ["company_id", "period_start", "lifecycle"],
        )
