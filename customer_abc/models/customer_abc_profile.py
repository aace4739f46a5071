import json
import logging
from datetime import timedelta
from urllib.parse import urlencode

import pandas as pd

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from .. import compat
from ..analytics import grading
from ..tools import xlsx_export
from .customer_abc_history import (
    GRADE_CHANGE_SELECTION,
    GRADE_SELECTION,
    LIFECYCLE_SELECTION,
    METHOD_SELECTION,
    RFM_SEGMENT_SELECTION,
    TREND_SELECTION,
)

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "sales_team.group_sale_manager"
#: the only profile fields people write; every other figure belongs to the job
USER_FIELDS = frozenset({"manual_grade", "manual_reason"})

# The analysis table as exported to Excel: (field, kind, column width)
EXPORT_COLUMNS = [
    ("partner_id", "text", 34),
    ("state_id", "text", 14),
    ("country_id", "text", 14),
    ("user_id", "text", 18),
    ("phone", "text", 17),
    *([("mobile", "text", 17)] if compat.PARTNER_HAS_MOBILE else []),  # Odoo 18 only
    ("grade", "grade", 8),
    ("previous_grade", "grade", 8),
    ("grade_change", "text", 12),
    ("period_order_count", "integer", 9),
    ("period_amount", "money", 14),
    ("growth_pct", "percent", 10),
    ("receivable_amount", "money", 14),
    ("overdue_amount", "money", 14),
    ("is_overdue", "text", 9),
    ("last_order_date", "date", 12),
    ("days_since_last_order", "integer", 9),
    ("last_visit_date", "date", 12),
    ("last_coupon_date", "date", 12),
    ("lifecycle", "text", 14),
    ("amount_trend", "text", 10),
    ("frequency_trend", "text", 10),
    ("share_pct", "percent", 9),
    ("rank", "integer", 7),
    ("rfm_segment", "text", 16),
    ("rfm_code", "text", 8),
    ("rfm_frequency", "integer", 9),
    ("rfm_monetary", "money", 14),
    ("expected_order_date", "date", 12),
    ("is_late", "text", 9),
]


class CustomerAbcProfile(models.Model):
    """The current picture of one customer in one company.

    One row per (company, commercial partner).  Rows are written in bulk by
    :meth:`classify`; only ``manual_grade`` and ``manual_reason`` are edited
    by people (sales managers).
    """

    _name = "customer.abc.profile"
    _description = "Customer ABC Profile"
    _inherit = ["mail.thread"]
    _order = "company_id, rank_sort, partner_id"
    _rec_name = "partner_id"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    active = fields.Boolean(related="partner_id.active", store=True)
    # (company, partner) is the unique index below: no separate company index
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(related="partner_id.user_id", string="Salesperson", store=True, index=True)
    state_id = fields.Many2one(related="partner_id.state_id", string="Region", store=True)
    country_id = fields.Many2one(related="partner_id.country_id", store=True)
    phone = fields.Char(related="partner_id.phone", store=True)
    if compat.PARTNER_HAS_MOBILE:  # Odoo 18 only: 19 partners have one number, the phone
        mobile = fields.Char(related="partner_id.mobile", store=True)

    # grade of the last completed period
    grade = fields.Selection(
        GRADE_SELECTION,
        compute="_compute_grade",
        store=True,
        help="Effective grade: the manual grade when set, else the computed one.",
    )
    computed_grade = fields.Selection(GRADE_SELECTION, readonly=True)
    manual_grade = fields.Selection(
        GRADE_SELECTION, tracking=True, help="Set by a manager; wins over the computed grade."
    )
    manual_reason = fields.Char(tracking=True)
    grade_differs = fields.Boolean(
        string="Overridden",
        compute="_compute_grade",
        store=True,
        help="A manual grade differs from the computed one.",
    )
    previous_grade = fields.Selection(GRADE_SELECTION, readonly=True)
    grade_change = fields.Selection(GRADE_CHANGE_SELECTION, string="Change", compute="_compute_grade", store=True)
    method = fields.Selection(METHOD_SELECTION, readonly=True)
    period_start = fields.Date(readonly=True, help="First day of the graded (last completed) period.")
    period_end = fields.Date(readonly=True, help="First day after the graded period.")
    period_amount = fields.Monetary(currency_field="currency_id", readonly=True, help="Untaxed, in company currency.")
    period_order_count = fields.Integer(string="Period Orders", readonly=True)
    previous_amount = fields.Monetary(string="Previous Period Amount", currency_field="currency_id", readonly=True)
    growth_pct = fields.Float(
        string="Growth (%)",
        digits=(16, 1),
        readonly=True,
        aggregator=False,
        help="Period amount against the period before, in percent; empty when that one is zero.",
    )
    share_pct = fields.Float(string="Share (%)", digits=(16, 4), readonly=True, aggregator=False)
    cumulative_share_pct = fields.Float(string="Cumulative Share (%)", digits=(16, 4), readonly=True, aggregator=False)
    rank = fields.Integer(readonly=True, aggregator=False, help="1 = largest amount; 0 = no positive amount.")
    rank_sort = fields.Integer(readonly=True, aggregator=False, help="Rank with unranked customers last.")

    # lifecycle, as of the last run
    lifecycle = fields.Selection(LIFECYCLE_SELECTION, readonly=True)
    first_order_date = fields.Date(readonly=True)
    last_order_date = fields.Date(readonly=True)
    days_since_last_order = fields.Integer(
        compute="_compute_days_since_last_order",
        search="_search_days_since_last_order",
        aggregator=False,
        help="Whole days from the last order to today (company timezone).",
    )
    lifetime_amount = fields.Monetary(currency_field="currency_id", readonly=True)
    lifetime_order_count = fields.Integer(string="Lifetime Orders", readonly=True)
    median_gap_days = fields.Float(
        string="Median Gap (days)",
        digits=(16, 1),
        readonly=True,
        aggregator=False,
        help="Median number of days between two order days of the customer.",
    )

    # next expected order, from the customer's own rhythm
    order_day_count = fields.Integer(
        string="Order Days", readonly=True, aggregator=False, help="Distinct days with a confirmed order."
    )
    gap_p25_days = fields.Float(
        string="Gap, Lower Quartile (days)",
        digits=(16, 1),
        readonly=True,
        aggregator=False,
        help="A quarter of the gaps between two order days are shorter than this.",
    )
    gap_p75_days = fields.Float(
        string="Gap, Upper Quartile (days)",
        digits=(16, 1),
        readonly=True,
        aggregator=False,
        help="A quarter of the gaps between two order days are longer than this.",
    )
    expected_order_date = fields.Date(
        string="Next Expected Order",
        readonly=True,
        help="Last order date plus the median gap between order days (customers with 3 order days or more).",
    )
    days_late = fields.Integer(
        compute="_compute_days_late",
        aggregator=False,
        help="Days past the next expected order (company timezone); negative while it is not due yet.",
    )
    is_late = fields.Boolean(
        string="Late for Usual Order",
        compute="_compute_days_late",
        search="_search_is_late",
        help="Today is more than the late tolerance past the next expected order.",
    )

    # RFM over the trailing 12 months, as of the last run
    rfm_frequency = fields.Integer(
        string="Frequency (12 months)", readonly=True, aggregator=False, help="Confirmed orders in the last 12 months."
    )
    rfm_monetary = fields.Monetary(
        string="Monetary (12 months)",
        currency_field="currency_id",
        readonly=True,
        help="Untaxed amount of the orders of the last 12 months, company currency.",
    )
    r_score = fields.Integer(
        readonly=True,
        aggregator=False,
        help="Recency score 1-5 (5 = most recent); 0 = no order in 12 months.",
    )
    f_score = fields.Integer(
        readonly=True, aggregator=False, help="Frequency score 1-5 (5 = most orders in 12 months)."
    )
    m_score = fields.Integer(
        readonly=True, aggregator=False, help="Monetary score 1-5 (5 = largest amount in 12 months)."
    )
    rfm_code = fields.Char(string="RFM Code", readonly=True, help="The three scores R, F and M, e.g. 545.")
    rfm_segment = fields.Selection(
        RFM_SEGMENT_SELECTION,
        string="RFM Segment",
        readonly=True,
        help="Named segment of the R and F scores; empty without an order in the last 12 months.",
    )

    # trend alerts: the last window against the one before
    amount_trend = fields.Selection(TREND_SELECTION, readonly=True)
    frequency_trend = fields.Selection(TREND_SELECTION, string="Order Trend", readonly=True)
    trend_amount_current = fields.Monetary(string="Amount, Last Window", currency_field="currency_id", readonly=True)
    trend_amount_previous = fields.Monetary(string="Amount, Window Before", currency_field="currency_id", readonly=True)
    trend_orders_current = fields.Integer(string="Orders, Last Window", readonly=True)
    trend_orders_previous = fields.Integer(string="Orders, Window Before", readonly=True)
    amount_change_pct = fields.Float(string="Amount Change (%)", digits=(16, 1), readonly=True, aggregator=False)
    frequency_change_pct = fields.Float(string="Order Change (%)", digits=(16, 1), readonly=True, aggregator=False)

    # money owed and contacts
    receivable_amount = fields.Monetary(
        string="Receivable", currency_field="currency_id", readonly=True, help="Open receivable, company currency."
    )
    overdue_amount = fields.Monetary(
        string="Overdue", currency_field="currency_id", readonly=True, help="Open invoices past their due date."
    )
    is_overdue = fields.Boolean(string="Has Overdue", compute="_compute_is_overdue", store=True)
    last_visit_date = fields.Date(readonly=True)
    last_coupon_date = fields.Date(readonly=True)

    history_ids = fields.One2many("customer.abc.history", compute="_compute_history_ids", string="Grade History")
    sync_hash = fields.Char(
        string="Fingerprint",
        readonly=True,
        copy=False,
        help="Fingerprint of the figures last written by the classification.",
    )

    # playbook
    strategy = fields.Char(compute="_compute_strategy", help="What to do with a customer of this grade.")
    followup_period_start = fields.Date(
        readonly=True, help="Graded period for which a follow-up was last scheduled (never twice for one period)."
    )

    _company_partner_uniq = compat.Constraint(
        "UNIQUE (company_id, partner_id)", "A customer has one profile per company."
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("computed_grade", "manual_grade", "previous_grade")
    def _compute_grade(self):
        changes = grading.grade_changes
        for profile in self:
            profile.grade = profile.manual_grade or profile.computed_grade or "D"
            profile.grade_differs = bool(profile.manual_grade) and profile.manual_grade != profile.computed_grade
            profile.grade_change = changes(
                pd.Series([profile.previous_grade or None]), pd.Series([profile.grade])
            ).iloc[0]

    @api.depends("last_order_date")
    def _compute_days_since_last_order(self):
        # not stored: a stored age would rewrite every profile every day
        today = {company: company._abc_today() for company in self.company_id}
        for profile in self:
            if profile.last_order_date:
                profile.days_since_last_order = (today[profile.company_id] - profile.last_order_date).days
            else:
                profile.days_since_last_order = False

    def _search_days_since_last_order(self, operator, value):
        """``days_since_last_order <op> N`` as a condition on the last order date."""
        reverse = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "=", "!=": "!="}
        if operator not in reverse or not isinstance(value, int):
            return NotImplemented
        day = self.env.company._abc_today() - timedelta(days=value)
        return [("last_order_date", reverse[operator], day)]

    @api.depends("expected_order_date")
    def _compute_days_late(self):
        # not stored, as the age of the last order: lateness grows every day
        today = {company: company._abc_today() for company in self.company_id}
        for profile in self:
            if profile.expected_order_date:
                late = (today[profile.company_id] - profile.expected_order_date).days
                profile.days_late = late
                profile.is_late = late > profile.company_id.abc_late_tolerance_days
            else:
                profile.days_late = False
                profile.is_late = False

    def _search_is_late(self, operator, value):
        """``is_late`` as a condition on the expected date, with the late
        tolerance of the current company."""
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        company = self.env.company
        limit = company._abc_today() - timedelta(days=company.abc_late_tolerance_days)
        late = [("expected_order_date", "<", limit)]
        if (operator == "=") == value:
            return late
        return ["|", ("expected_order_date", "=", False), ("expected_order_date", ">=", limit)]

    @api.depends("overdue_amount")
    def _compute_is_overdue(self):
        for profile in self:
            profile.is_overdue = profile.overdue_amount > 0

    @api.depends("grade", "company_id")
    @api.depends_context("lang")
    def _compute_strategy(self):
        for profile in self:
            profile.strategy = profile.company_id._abc_strategy(profile.grade)

    def _compute_history_ids(self):
        History = self.env["customer.abc.history"]
        groups = History._read_group(
            [("company_id", "in", self.company_id.ids), ("partner_id", "in", self.partner_id.ids)],
            ["company_id", "partner_id"],
            ["id:recordset"],
        )
        by_key = {(company.id, partner.id): rows.sorted() for company, partner, rows in groups}
        for profile in self:
            profile.history_ids = by_key.get((profile.company_id.id, profile.partner_id.id), History)

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def write(self, vals):
        if not self.env.su:
            self._check_user_fields(vals)
        result = super().write(vals)
        if "manual_grade" in vals:
            self._sync_partner_grades()
        return result

    def _check_user_fields(self, vals):
        """People (managers included) write the manual grade and its reason,
        and what the chatter writes; the figures belong to the job."""
        owned = set(vals) - USER_FIELDS - set(self.env["mail.thread"]._fields)
        if owned:
            labels = sorted(self._fields[name]._description_string(self.env) for name in owned if name in self._fields)
            raise AccessError(
                self.env._(
                    "Only the classification writes these figures of a customer profile: %(fields)s.",
                    fields=", ".join(labels or sorted(owned)),
                )
            )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_clear_override(self):
        self.write({"manual_grade": False, "manual_reason": False})

    def action_export_xlsx(self):
        """Action menu: download the selected profiles (or, when the whole
        search result is selected, that search) as an Excel workbook."""
        domain = self.env.context.get("active_domain")
        limit = int(self.env["ir.config_parameter"].sudo().get_param("web.active_ids_limit", 20000))
        if domain is not None and (len(self) >= limit or len(self) >= self.search_count(domain)):
            query = {"domain": json.dumps(domain)}
        else:
            query = {"ids": ",".join(str(record_id) for record_id in self.ids)}
        # the companies selected in the web client, current one first
        query["cids"] = "-".join(str(company_id) for company_id in self.env.companies.ids)
        return {
            "type": "ir.actions.act_url",
            "url": f"/customer_abc/export/xlsx?{urlencode(query)}",
            "target": "self",
        }

    def action_open_portrait(self):
        """Button (analysis list and form): the customer's portrait."""
        self.ensure_one()
        return self.env["customer.abc.cockpit"].action_open_portrait(self.partner_id.id)

    def action_log_visit(self):
        return self.partner_id.action_abc_log_visit()

    def action_classify_now(self):
        """Button: classify the current company in the background (the
        scheduled action, triggered at once); the user is notified when it is
        done.  A click while a run is under way says so."""
        return self.env["customer.abc.classifier"].action_classify_now()

    # ------------------------------------------------------------
    # BUSINESS: export
    # ------------------------------------------------------------

    def _abc_export_xlsx(self):
        """The profiles of ``self`` as the bytes of an .xlsx workbook, with
        column titles and labels in the user's language.  Money is in each
        profile's company currency; when the profiles belong to several
        companies, a Company column is added and the summary is given per
        company."""
        env = self.env
        export_columns = list(EXPORT_COLUMNS)
        companies = self.company_id.sorted(lambda company: (company != env.company, company.name))
        if len(companies) > 1:
            export_columns.insert(1, ("company_id", "text", 20))
        columns = [
            xlsx_export.Column(self._fields[name]._description_string(env), kind, width)
            for name, kind, width in export_columns
        ]
        labels = {
            name: dict(self._fields[name]._description_selection(env))
            for name, _kind, _width in export_columns
            if self._fields[name].type == "selection" and name not in ("grade", "previous_grade")
        }
        yes = env._("Yes")
        rows = []
        formats = {company.id: company._abc_currency_format() for company in companies}
        for record in self.read([name for name, _kind, _width in export_columns], load="_classic_read"):
            row = []
            for name, _kind, _width in export_columns:
                value = record[name]
                if isinstance(value, tuple):
                    value = value[1]
                elif name in labels:
                    value = labels[name].get(value) if value else None
                elif isinstance(value, bool) and self._fields[name].type == "boolean":
                    value = yes if value else None
                row.append(value)
            rows.append(row)
        row_formats = [formats[profile.company_id.id] for profile in self]
        summaries = []
        for company in companies:
            profiles = self.filtered(lambda profile, company=company: profile.company_id == company)
            summaries += profiles._abc_export_summaries(company if len(companies) > 1 else None)
        return xlsx_export.workbook(
            env._("Customers"),
            columns,
            rows,
            env._("Summary"),
            summaries,
            currency_format=(companies[:1] or env.company)._abc_currency_format(),
            row_currency_formats=row_formats,
        )

    def _abc_export_summaries(self, company=None):
        """Counts and period amounts per grade and per lifecycle state (of
        ``company``, named in the titles, when given)."""
        env = self.env
        total = sum(self.mapped("period_amount")) or 0.0
        headers = [env._("Customers"), env._("Count"), env._("Period Amount"), env._("Share of Amount")]
        blocks = []
        titles = {"grade": env._("By grade"), "lifecycle": env._("By lifecycle")}
        for name, base_title in titles.items():
            title = env._("%(title)s, %(company)s", title=base_title, company=company.name) if company else base_title
            selection = self._fields[name]._description_selection(env)
            block = xlsx_export.Summary(
                title,
                [self._fields[name]._description_string(env), *headers[1:]],
                currency_format=company._abc_currency_format() if company else None,
            )
            for key, label in selection:
                subset = self.filtered(lambda profile, name=name, key=key: profile[name] == key)
                amount = sum(subset.mapped("period_amount"))
                block.rows.append(
                    [key if name == "grade" else label, len(subset), amount, amount * 100.0 / total if total else 0.0]
                )
            block.rows.append([env._("Total"), len(self), total, 100.0 if total else 0.0])
            blocks.append(block)
        return blocks

    # ------------------------------------------------------------
    # BUSINESS: classification entry points (the job is customer.abc.classifier)
    # ------------------------------------------------------------

    @api.model
    def classify(self, today=None, companies=None):
        """Classify the last completed period relative to ``today`` and
        refresh every profile of ``companies``, now, in this transaction.

        :param today: a ``date`` (default: today in each company's timezone);
            never after the real today, and for code only (superuser): people
            classify as of today
        :param companies: ``res.company`` records or ids (default: all for
            code; for people, the current company, and only companies they
            are allowed in)
        Idempotent: a rerun of the same period replaces its rows.  Raises
        :class:`UserError` when another classification of a company runs,
        :class:`AccessError` for a user who is no sales manager or asks for
        another company or another day.
        """
        self.env["customer.abc.classifier"].classify(today=today, companies=companies)

    @api.model
    def _cron_classify(self):
        """The scheduled action of databases installed before the classifier
        had a model of its own calls this."""
        self.env["customer.abc.classifier"]._cron_classify()

    @api.model
    def _backfill(self, today=None, companies=None, count=None):
        """Write the history of the last ``count`` (default 12) completed periods now."""
        Classifier = self.env["customer.abc.classifier"]
        if count is None:
            Classifier._backfill(today=today, companies=companies)
        else:
            Classifier._backfill(today=today, companies=companies, count=count)

    @api.model
    def _abc_grades(self, company, partners):
        """``{partner_id: effective grade}`` of ``partners`` in ``company``."""
        profiles = self.search([("company_id", "=", company.id), ("partner_id", "in", partners.ids)])
        return {profile.partner_id.id: profile.grade for profile in profiles}

    @api.model
    def _abc_record_visits(self, days):
        """Move the last visit date of the profiles ``days`` (``{(company id,
        commercial partner id): date}``) forward to that date."""
        if not days:
            return
        self.flush_model(["last_visit_date"])
        self.env.cr.execute(
            SQL(
                """
                UPDATE customer_abc_profile pr
                   SET last_visit_date = GREATEST(pr.last_visit_date, v.day)
                  FROM (SELECT * FROM unnest(%s::int[], %s::int[], %s::date[]) AS t(company_id, partner_id, day)) v
                 WHERE pr.company_id = v.company_id AND pr.partner_id = v.partner_id
                """,
                [company_id for company_id, _partner in days],
                [partner_id for _company, partner_id in days],
                list(days.values()),
            )
        )
        self.invalidate_model(["last_visit_date"])

    def _sync_partner_grades(self):
        """After a manual override: the partners' grade fields read the profile again."""
        self.flush_recordset()
        self.env["res.partner"].invalidate_model([*self.env["res.partner"]._abc_profile_field_map(), "abc_strategy"])
