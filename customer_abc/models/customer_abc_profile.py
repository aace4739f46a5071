import io
import json
import logging
import threading
from datetime import datetime, time, timedelta
from time import perf_counter
from urllib.parse import urlencode

import pandas as pd
import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..analytics import grading, periods, profiles, trends
from ..tools import xlsx_export
from .customer_abc_history import (
    GRADE_CHANGE_SELECTION,
    GRADE_SELECTION,
    LIFECYCLE_SELECTION,
    METHOD_SELECTION,
    TREND_SELECTION,
)

_logger = logging.getLogger(__name__)

#: first key of the PostgreSQL advisory lock taken per company while classifying
ABC_LOCK_KEY = 0x0ABC
#: number of completed periods written on install
BACKFILL_PERIODS = 12
#: periods graded and written together
HISTORY_CHUNK = 2

MANAGER_GROUP = "sales_team.group_sale_manager"


# Columns the job writes on the profile: (name, SQL type of the load table,
# kind).  ``money`` columns travel as integer minor units and are stored as
# amounts; ``partner`` columns are copied from the commercial partner.
PROFILE_COLUMNS = [
    ("computed_grade", "varchar", "data"),
    ("previous_grade", "varchar", "data"),
    ("period_amount", "int8", "money"),
    ("period_order_count", "int4", "data"),
    ("share_pct", "float8", "data"),
    ("cumulative_share_pct", "float8", "data"),
    ("rank", "int4", "data"),
    ("previous_amount", "int8", "money"),
    ("growth_pct", "float8", "data"),
    ("lifecycle", "varchar", "data"),
    ("first_order_date", "date", "data"),
    ("last_order_date", "date", "data"),
    ("lifetime_amount", "int8", "money"),
    ("lifetime_order_count", "int4", "data"),
    ("median_gap_days", "float8", "data"),
    ("amount_trend", "varchar", "data"),
    ("frequency_trend", "varchar", "data"),
    ("trend_amount_current", "int8", "money"),
    ("trend_amount_previous", "int8", "money"),
    ("trend_orders_current", "int4", "data"),
    ("trend_orders_previous", "int4", "data"),
    ("amount_change_pct", "float8", "data"),
    ("frequency_change_pct", "float8", "data"),
    ("receivable_amount", "int8", "money"),
    ("overdue_amount", "int8", "money"),
    ("last_visit_date", "date", "data"),
    ("last_coupon_date", "date", "data"),
]
PARTNER_COLUMNS = ["active", "user_id", "state_id", "country_id", "phone", "mobile"]
# History columns the fingerprint of a history row covers
HISTORY_HASHED = [
    "period_end",
    "grade",
    "previous_grade",
    "grade_change",
    "amount",
    "order_count",
    "share_pct",
    "cumulative_share_pct",
    "rank",
    "lifecycle",
    "method",
]

# The analysis table as exported to Excel: (field, kind, column width)
EXPORT_COLUMNS = [
    ("partner_id", "text", 34),
    ("state_id", "text", 14),
    ("country_id", "text", 14),
    ("user_id", "text", 18),
    ("phone", "text", 17),
    ("mobile", "text", 17),
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
]


class _PhaseClock:
    """Wall time per named phase of a run."""

    def __init__(self):
        self.seconds = {}
        self._start = self._last = perf_counter()

    def mark(self, name):
        now = perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._last
        self._last = now

    @property
    def total(self):
        return self._last - self._start


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

    _sql_constraints = [
        ("company_partner_uniq", "UNIQUE(company_id, partner_id)", "A customer has one profile per company."),
    ]

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
        result = super().write(vals)
        if "manual_grade" in vals:
            self._sync_partner_grades()
        return result

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
        """Button: classify the current company now and reload the view."""
        self.classify(companies=self.env.company)
        return {"type": "ir.actions.client", "tag": "reload"}

    # ------------------------------------------------------------
    # BUSINESS: export
    # ------------------------------------------------------------

    def _abc_export_xlsx(self):
        """The profiles of ``self`` as the bytes of an .xlsx workbook, with
        column titles and labels in the user's language."""
        env = self.env
        columns = [
            xlsx_export.Column(self._fields[name]._description_string(env), kind, width)
            for name, kind, width in EXPORT_COLUMNS
        ]
        labels = {
            name: dict(self._fields[name]._description_selection(env))
            for name, _kind, _width in EXPORT_COLUMNS
            if self._fields[name].type == "selection" and name not in ("grade", "previous_grade")
        }
        yes = env._("Yes")
        rows = []
        for record in self.read([name for name, _kind, _width in EXPORT_COLUMNS], load="_classic_read"):
            row = []
            for name, _kind, _width in EXPORT_COLUMNS:
                value = record[name]
                if isinstance(value, tuple):
                    value = value[1]
                elif name in labels:
                    value = labels[name].get(value) if value else None
                elif isinstance(value, bool) and self._fields[name].type == "boolean":
                    value = yes if value else None
                row.append(value)
            rows.append(row)
        return xlsx_export.workbook(
            env._("Customers"),
            columns,
            rows,
            env._("Summary"),
            self._abc_export_summaries(),
            currency_format=self._abc_currency_format(),
        )

    def _abc_export_summaries(self):
        """Counts and period amounts per grade and per lifecycle state."""
        env = self.env
        total = sum(self.mapped("period_amount")) or 0.0
        headers = [env._("Customers"), env._("Count"), env._("Period Amount"), env._("Share of Amount")]
        blocks = []
        for name, title in (("grade", env._("By grade")), ("lifecycle", env._("By lifecycle"))):
            selection = self._fields[name]._description_selection(env)
            block = xlsx_export.Summary(title, [self._fields[name]._description_string(env), *headers[1:]])
            for key, label in selection:
                subset = self.filtered(lambda profile, name=name, key=key: profile[name] == key)
                amount = sum(subset.mapped("period_amount"))
                block.rows.append(
                    [key if name == "grade" else label, len(subset), amount, amount * 100.0 / total if total else 0.0]
                )
            block.rows.append([env._("Total"), len(self), total, 100.0 if total else 0.0])
            blocks.append(block)
        return blocks

    def _abc_currency_format(self):
        currency = self.env.company.currency_id
        number = "#,##0" + ("." + "0" * currency.decimal_places if currency.decimal_places else "")
        symbol = (currency.symbol or "").replace('"', "")
        return f'"{symbol}" {number}' if currency.position == "before" else f'{number} "{symbol}"'

    # ------------------------------------------------------------
    # BUSINESS: classification entry points
    # ------------------------------------------------------------

    @api.model
    def classify(self, today=None, companies=None):
        """Classify the last completed period relative to ``today`` and
        refresh every profile of ``companies``.

        :param today: a ``date`` (default: today in each company's timezone)
        :param companies: ``res.company`` records or ids (default: all)
        Idempotent: a rerun of the same period replaces its rows.  Raises
        :class:`UserError` when another classification of a company runs.
        """
        self._check_classify_access()
        for company in self._abc_companies(companies):
            self._classify_company(company, today=today)

    @api.model
    def _cron_classify(self):
        """Scheduled action: one company at a time, each in its own savepoint
        (and transaction outside tests), with progress reported."""
        companies = self._abc_companies(None)
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        for done, company in enumerate(companies, start=1):
            try:
                with self.env.cr.savepoint():
                    self._classify_company(company)
            except UserError as error:
                _logger.info("customer_abc: skipped company %s: %s", company.name, error)
            except Exception:
                _logger.exception("customer_abc: classification of company %s failed", company.name)
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(companies) - done)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _backfill(self, today=None, companies=None, count=BACKFILL_PERIODS):
        """Write the history of the last ``count`` completed periods (install hook)."""
        for company in self._abc_companies(companies):
            self._classify_company(company, today=today, backfill=count)

    # ------------------------------------------------------------
    # BUSINESS: the per-company pass
    # ------------------------------------------------------------

    def _check_classify_access(self):
        if self.env.su or self.env.user._is_superuser() or self.env.user.has_group(MANAGER_GROUP):
            return
        raise AccessError(self.env._("Only sales managers can run the customer classification."))

    def _abc_companies(self, companies):
        Company = self.env["res.company"].sudo()
        if companies is None:
            # every company is classified
            return Company.search([])  # pylint: disable=no-search-all
        if isinstance(companies, models.BaseModel):
            return companies.sudo()
        return Company.browse(companies)

    def _abc_lock(self, company):
        """Take the company's classification lock for this transaction, or
        raise a :class:`UserError` when another run holds it."""
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", ABC_LOCK_KEY, company.id))
        if not self.env.cr.fetchone()[0]:
            raise UserError(
                self.env._(
                    "A customer classification of %(company)s is already running. Try again in a minute.",
                    company=company.name,
                )
            )

    def _classify_company(self, company, today=None, backfill=0):
        """Grade the company's customers and write history, profiles and
        partner fields in bulk.  ``backfill`` > 0 writes that many periods.

        :return: seconds spent per phase (``aggregate``, ``grading``,
            ``history``, ``profiles``, ``partners``), for logs and benchmarks
        """
        self = self.sudo().with_company(company)  # noqa: PLW0642 -- the job owns these tables
        clock = _PhaseClock()
        self._abc_lock(company)
        context = self._abc_context(company, today)
        if backfill:
            todo = periods.last_completed_periods(context["today"], context["period"], backfill)
        else:
            todo = [context["period_bounds"]]
            previous = periods.previous_period(todo[0][0], context["period"])
            if not self._abc_has_history(company, previous):
                todo.insert(0, previous)
        # the period before the graded one gives growth; ask for it too
        wanted = sorted(set(todo) | {context["previous_bounds"]})
        frame = self._abc_fetch_customers(company, context, wanted)
        previous_grades = self._abc_stored_grades(company, periods.previous_period(todo[0][0], context["period"]))
        clock.mark("aggregate")
        # a few periods at a time, so that a backfill of 100,000 customers x
        # 12 periods never holds all its rows in memory at once
        for chunk_start in range(0, len(todo), HISTORY_CHUNK):
            chunk = todo[chunk_start : chunk_start + HISTORY_CHUNK]
            history = self._abc_grade_periods(frame, chunk, previous_grades, context)
            clock.mark("grading")
            self._abc_write_history(company, history, chunk, context)
            clock.mark("history")
            last = history[history["period_start"] == chunk[-1][0]]
            previous_grades = dict(zip(last["partner_id"], last["grade"], strict=True))
        graded = last
        profile_rows = profiles.build_profiles(frame, graded, context["today"], context["rules"])
        clock.mark("grading")
        gone = self._abc_write_profiles(company, profile_rows, context)
        clock.mark("profiles")
        self._abc_write_partner_fields(company, gone=gone)
        self._abc_invalidate()
        clock.mark("partners")
        if not backfill:
            self._abc_schedule_followups(company, context)
            self.env["customer.abc.action"]._abc_evaluate(company, context["today"], context["states"], context["tz"])
            clock.mark("playbook")
        _logger.info(
            "customer_abc: classified %s, period %s, %d customers in %.2fs (%s)",
            company.name,
            context["period_bounds"][0],
            len(frame),
            clock.total,
            ", ".join(f"{name} {seconds:.2f}s" for name, seconds in clock.seconds.items()),
        )
        return clock.seconds

    def _abc_context(self, company, today=None):
        """Settings and dates of one run, as plain Python values."""
        tz_name = company._abc_timezone()
        tz = pytz.timezone(tz_name)
        if today is None:
            today = datetime.now(pytz.utc).astimezone(tz).date()
        elif isinstance(today, str):
            today = fields.Date.to_date(today)
        elif isinstance(today, datetime):
            today = today.date()
        tomorrow = tz.localize(datetime.combine(today + timedelta(days=1), time.min))
        digits = company.currency_id.decimal_places
        bounds = periods.last_completed_periods(today, company.abc_period, 1)[0]
        return {
            "today": today,
            "tz": tz_name,
            # confirmed orders dated before this UTC instant are "until today" in the company's timezone
            "until_utc": tomorrow.astimezone(pytz.utc).replace(tzinfo=None),
            "digits": digits,
            "period": company.abc_period,
            "period_bounds": bounds,
            "previous_bounds": periods.previous_period(bounds[0], company.abc_period),
            "trend_windows": trends.window_bounds(today, company.abc_trend_days),
            "method": company.abc_method,
            "thresholds": tuple(
                grading.to_minor_units(value, digits)
                for value in (company.abc_threshold_a, company.abc_threshold_b, company.abc_threshold_c)
            ),
            "shares": (company.abc_share_a, company.abc_share_b),
            "rules": profiles.Rules(
                new_days=company.abc_new_days,
                at_risk_days=company.abc_at_risk_days,
                churn_days=company.abc_churn_days,
                adaptive=company.abc_lifecycle_adaptive,
                at_risk_factor=company.abc_adaptive_at_risk_factor,
                churn_factor=company.abc_adaptive_churn_factor,
                surge_pct=company.abc_surge_pct,
                plunge_pct=company.abc_plunge_pct,
                trend_min_amount=grading.to_minor_units(company.abc_trend_min_amount, digits),
                trend_min_orders=company.abc_trend_min_orders,
            ),
            "states": tuple(self.env["sale.report"]._get_done_states()),
        }

    # ------------------------------------------------------------
    # TOOLING: reads (one aggregate per source table)
    # ------------------------------------------------------------

    def _abc_local_date(self, column, tz_name):
        """SQL expression: the local date of a UTC timestamp column."""
        return SQL("((%s AT TIME ZONE 'UTC') AT TIME ZONE %s)::date", column, tz_name)

    def _abc_minor_units(self, amount, context):
        """SQL expression: an amount rounded to integer minor units."""
        return SQL("ROUND(%s * %s)::bigint", amount, 10 ** context["digits"])

    def _abc_utc(self, day, context):
        """Local midnight starting ``day`` in the company's timezone, as the
        naive UTC timestamp ``date_order`` is stored in."""
        tz = pytz.timezone(context["tz"])
        return tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)

    def _abc_orders_query(self, company, context):
        """The company's confirmed orders until today: commercial partner,
        order timestamp (UTC), local order date and untaxed amount in
        company-currency minor units (converted with the order's own rate)."""
        rate = SQL("CASE COALESCE(so.currency_rate, 0) WHEN 0 THEN 1.0 ELSE so.currency_rate END")
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id, so.date_order AS stamp,
                   %(local_date)s AS local_date, %(amount)s AS amount
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
             WHERE so.company_id = %(company)s
               AND so.state IN %(states)s
               AND so.date_order < %(until)s
            """,
            local_date=self._abc_local_date(SQL.identifier("so", "date_order"), context["tz"]),
            amount=self._abc_minor_units(SQL("so.amount_untaxed / %s", rate), context),
            company=company.id,
            states=context["states"],
            until=context["until_utc"],
        )

    def _abc_order_stats_query(self, company, context, wanted):
        """The one aggregate over the company's confirmed orders: one row per
        commercial partner with lifetime figures, the amount and order count
        of each wanted period, and of the two trend windows.

        Day boundaries are turned into UTC timestamps once, so that the
        filters compare the stored ``date_order`` directly; only the
        aggregated dates are converted to the company's timezone."""
        columns = []

        def local(stamp):
            return self._abc_local_date(stamp, context["tz"])

        def window(amount_name, count_name, start, end_exclusive):
            in_window = SQL(
                "o.stamp >= %s AND o.stamp < %s", self._abc_utc(start, context), self._abc_utc(end_exclusive, context)
            )
            columns.append(
                SQL(
                    "COALESCE(SUM(o.amount) FILTER (WHERE %s), 0)::bigint AS %s",
                    in_window,
                    SQL.identifier(amount_name),
                )
            )
            columns.append(SQL("COUNT(*) FILTER (WHERE %s) AS %s", in_window, SQL.identifier(count_name)))

        for index, (start, end) in enumerate(wanted):
            window(f"amount_{index}", f"count_{index}", start, end)
            # as of the period's last day, for the lifecycle kept in history
            before_end = SQL("o.stamp < %s", self._abc_utc(end, context))
            columns.append(
                SQL(
                    "%s AS %s",
                    local(SQL("MAX(o.stamp) FILTER (WHERE %s)", before_end)),
                    SQL.identifier(f"last_{index}"),
                )
            )
            columns.append(SQL("COUNT(*) FILTER (WHERE %s) AS %s", before_end, SQL.identifier(f"orders_{index}")))
        (cur_first, cur_last), (old_first, old_last) = context["trend_windows"]
        window("trend_amount_current", "trend_orders_current", cur_first, cur_last + timedelta(days=1))
        window("trend_amount_previous", "trend_orders_previous", old_first, old_last + timedelta(days=1))
        rate = SQL("CASE COALESCE(so.currency_rate, 0) WHEN 0 THEN 1.0 ELSE so.currency_rate END")
        return SQL(
            """
            SELECT o.partner_id,
                   %(first)s AS first_order_date,
                   %(last)s AS last_order_date,
                   COUNT(*) AS lifetime_count,
                   SUM(o.amount)::bigint AS lifetime_amount,
                   %(columns)s
              FROM (SELECT p.commercial_partner_id AS partner_id, so.date_order AS stamp, %(amount)s AS amount
                      FROM sale_order so
                      JOIN res_partner p ON p.id = so.partner_id
                     WHERE so.company_id = %(company)s
                       AND so.state IN %(states)s
                       AND so.date_order < %(until)s) o
          GROUP BY o.partner_id
            """,
            first=local(SQL("MIN(o.stamp)")),
            last=local(SQL("MAX(o.stamp)")),
            columns=SQL(", ").join(columns),
            amount=self._abc_minor_units(SQL("so.amount_untaxed / %s", rate), context),
            company=company.id,
            states=context["states"],
            until=context["until_utc"],
        )

    def _abc_median_gap_query(self, company, context):
        """Median days between consecutive distinct order days, per customer."""
        return SQL(
            """
            SELECT g.partner_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY g.gap) AS median_gap
              FROM (SELECT d.partner_id, d.local_date - lag(d.local_date) OVER w AS gap
                      FROM (SELECT DISTINCT o.partner_id, o.local_date FROM (%(orders)s) o) d
                    WINDOW w AS (PARTITION BY d.partner_id ORDER BY d.local_date)) g
             WHERE g.gap IS NOT NULL
          GROUP BY g.partner_id
            """,
            orders=self._abc_orders_query(company, context),
        )

    def _abc_population_query(self, company, context):
        """Commercial partners that are customers of the company (customer
        rank > 0, active, shared or of the company), with their local
        creation date."""
        return SQL(
            """
            SELECT cp.id AS partner_id, %(created)s AS created
              FROM res_partner cp
             WHERE cp.active
               AND (cp.company_id IS NULL OR cp.company_id = %(company)s)
               AND cp.id IN (SELECT p.commercial_partner_id FROM res_partner p WHERE p.customer_rank > 0 AND p.active)
            """,
            created=self._abc_local_date(SQL.identifier("cp", "create_date"), context["tz"]),
            company=company.id,
        )

    def _abc_receivable_query(self, company, context):
        """Open receivable and overdue amount per commercial partner (posted,
        unreconciled receivable journal items, company currency)."""
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id,
                   %(receivable)s AS receivable_amount,
                   COALESCE(%(overdue)s, 0) AS overdue_amount
              FROM account_move_line aml
              JOIN account_account acc ON acc.id = aml.account_id
              JOIN res_partner p ON p.id = aml.partner_id
             WHERE aml.company_id = %(company)s
               AND aml.parent_state = 'posted'
               AND acc.account_type = 'asset_receivable'
               AND NOT aml.reconciled
          GROUP BY p.commercial_partner_id
            """,
            receivable=self._abc_minor_units(SQL("SUM(aml.amount_residual)"), context),
            overdue=self._abc_minor_units(
                SQL(
                    "SUM(aml.amount_residual) FILTER (WHERE aml.amount_residual > 0 "
                    "AND COALESCE(aml.date_maturity, aml.date) < %s)",
                    context["today"],
                ),
                context,
            ),
            company=company.id,
        )

    def _abc_visit_query(self, context):
        """Last done visit per commercial partner (activities of the addon's
        Visit type marked done on the partner or one of its contacts)."""
        visit_type = self.env.ref("customer_abc.mail_activity_type_visit", raise_if_not_found=False)
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id, MAX(%(local_date)s) AS last_visit_date
              FROM mail_message m
              JOIN res_partner p ON p.id = m.res_id
             WHERE m.model = 'res.partner' AND m.mail_activity_type_id = %(visit)s
          GROUP BY p.commercial_partner_id
            """,
            local_date=self._abc_local_date(SQL.identifier("m", "date"), context["tz"]),
            visit=visit_type.id if visit_type else 0,
        )

    def _abc_coupon_query(self, company, context):
        """Date of the last coupon reserved for each commercial partner by a
        program of the company (or shared)."""
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id, MAX(%(local_date)s) AS last_coupon_date
              FROM loyalty_card c
              JOIN loyalty_program lp ON lp.id = c.program_id
              JOIN res_partner p ON p.id = c.partner_id
             WHERE lp.company_id IS NULL OR lp.company_id = %(company)s
          GROUP BY p.commercial_partner_id
            """,
            local_date=self._abc_local_date(SQL.identifier("c", "create_date"), context["tz"]),
            company=company.id,
        )

    def _abc_frame(self, query, dates=(), text=("sync_hash",)):
        """The rows of ``query`` as a DataFrame, streamed by ``COPY ... TO
        STDOUT`` and parsed by pandas' C reader (much faster than building
        Python tuples for 100,000 rows).  ``dates`` name the date columns,
        returned as :class:`datetime.date` or ``None``; ``text`` columns are
        kept as strings."""
        cr = self.env.cr
        copy = SQL("COPY (%s) TO STDOUT WITH (FORMAT csv, HEADER)", query)
        buffer = io.StringIO()
        cr.copy_expert(cr.mogrify(copy.code, copy.params).decode(), buffer)
        buffer.seek(0)
        frame = pd.read_csv(buffer, dtype=dict.fromkeys([*dates, *text], str))
        for name in dates:
            days = pd.to_datetime(frame[name], format="%Y-%m-%d")
            frame[name] = pd.Series(days.dt.date, index=frame.index, dtype=object).where(days.notna(), None)
        return frame

    def _abc_fetch_customers(self, company, context, wanted):
        """Per-customer frame of the company: order statistics, customers
        who never ordered, receivables, visits and coupons.  Amounts are
        integer minor units."""
        self.env["sale.order"].flush_model()
        self.env["res.partner"].flush_model()
        self.env["account.move.line"].flush_model()
        self.env["mail.message"].flush_model()
        self.env["loyalty.card"].flush_model()
        dates = ["first_order_date", "last_order_date"] + [f"last_{index}" for index in range(len(wanted))]
        stats = self._abc_frame(self._abc_order_stats_query(company, context, wanted), dates)
        customers = self._abc_frame(self._abc_population_query(company, context), ["created"])
        # customers without any order: zero figures, keeping exact int64 columns
        idle = customers[~customers["partner_id"].isin(stats["partner_id"])]
        if len(idle):
            zeros = pd.DataFrame(0, index=range(len(idle)), columns=stats.columns)
            zeros["partner_id"] = idle["partner_id"].to_numpy()
            zeros[[name for name in stats.columns if name.endswith("_date") or name.startswith("last_")]] = None
            frame = pd.concat([stats, zeros], ignore_index=True) if len(stats) else zeros
        else:
            frame = stats
        int_columns = [name for name in frame.columns if not name.endswith("_date") and not name.startswith("last_")]
        frame[int_columns] = frame[int_columns].astype("int64")
        frame["previous_amount"] = frame[f"amount_{wanted.index(context['previous_bounds'])}"]
        if context["rules"].adaptive:
            frame = self._abc_join(frame, self._abc_median_gap_query(company, context), {"median_gap": float("nan")})
        else:
            frame["median_gap"] = float("nan")
        frame = self._abc_join(
            frame, self._abc_receivable_query(company, context), {"receivable_amount": 0, "overdue_amount": 0}
        )
        frame = self._abc_join(frame, self._abc_visit_query(context), {"last_visit_date": None})
        frame = self._abc_join(frame, self._abc_coupon_query(company, context), {"last_coupon_date": None})
        # creation date of the customers (orders of partners who are not customers count from the first order)
        created = dict(zip(customers["partner_id"], customers["created"], strict=True))
        frame["created"] = [created.get(partner_id) for partner_id in frame["partner_id"]]
        frame.attrs["periods"] = list(wanted)
        return frame

    def _abc_join(self, frame, query, defaults):
        """Left-join the per-partner result of ``query`` to ``frame``,
        filling customers it does not mention with ``defaults``."""
        extra = self._abc_frame(query, [name for name in defaults if name.endswith("_date")]).set_index("partner_id")
        for name, default in defaults.items():
            if len(extra):
                values = extra[name].reindex(frame["partner_id"]).to_numpy(dtype=object)
            else:
                values = [None] * len(frame)
            known = [value is not None and value == value for value in values]  # NaN != NaN
            if isinstance(default, float):
                frame[name] = [float(value) if ok else default for value, ok in zip(values, known, strict=True)]
            elif isinstance(default, int):
                frame[name] = [int(value) if ok else default for value, ok in zip(values, known, strict=True)]
                frame[name] = frame[name].astype("int64")
            else:
                frame[name] = [value if ok else default for value, ok in zip(values, known, strict=True)]
        return frame

    def _abc_has_history(self, company, bounds):
        rows = self.env.execute_query(
            SQL(
                "SELECT 1 FROM customer_abc_history "
                "WHERE company_id = %s AND period_start = %s AND period_end = %s LIMIT 1",
                company.id,
                bounds[0],
                bounds[1],
            )
        )
        return bool(rows)

    def _abc_stored_grades(self, company, bounds):
        """``{partner_id: grade}`` stored for the period ``bounds``."""
        rows = self.env.execute_query(
            SQL(
                "SELECT partner_id, grade FROM customer_abc_history "
                "WHERE company_id = %s AND period_start = %s AND period_end = %s",
                company.id,
                bounds[0],
                bounds[1],
            )
        )
        return dict(rows)

    # ------------------------------------------------------------
    # TOOLING: grading
    # ------------------------------------------------------------

    def _abc_grade_periods(self, frame, todo, previous_grades, context):
        """History rows of the periods ``todo`` (oldest first), graded with
        the company's method; each period's previous grade is the one of the
        period before it."""
        wanted = frame.attrs["periods"]
        rows = []
        previous = pd.Series(previous_grades, dtype=object)
        first = frame["first_order_date"]
        for start, end in todo:
            index = wanted.index((start, end))
            eligible = (first.notna() & (first < end)) | frame["created"].map(
                lambda day, end=end: day is not None and day < end
            )
            period = frame.loc[eligible, ["partner_id"]].copy()
            period["amount"] = frame.loc[eligible, f"amount_{index}"]
            period["order_count"] = frame.loc[eligible, f"count_{index}"]
            graded = grading.grade_period(
                period.reset_index(drop=True), context["method"], context["thresholds"], context["shares"]
            )
            graded["previous_grade"] = graded["partner_id"].map(previous)
            graded["grade_change"] = grading.grade_changes(graded["previous_grade"], graded["grade"])
            graded["period_start"] = start
            graded["period_end"] = end
            graded["lifecycle"] = self._abc_lifecycle_at(frame.loc[eligible], index, end, context).to_numpy()
            rows.append(graded)
            previous = graded.set_index("partner_id")["grade"]
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

    def _abc_lifecycle_at(self, frame, index, end, context):
        """Lifecycle of the customers of ``frame`` on the last day of the
        period ``index`` (exclusive ``end``), from their orders until then."""
        first = frame["first_order_date"]
        rules = context["rules"]
        as_of = pd.DataFrame(
            {
                "first_order_date": [day if day is not None and day < end else None for day in first],
                "last_order_date": frame[f"last_{index}"].to_numpy(),
                "lifetime_count": frame[f"orders_{index}"].to_numpy(),
                "median_gap": frame["median_gap"].to_numpy(),
            }
        )
        return profiles.lifecycle_by_rules(as_of, end - timedelta(days=1), rules)

    # ------------------------------------------------------------
    # TOOLING: bulk writes
    # ------------------------------------------------------------

    def _abc_temp_table(self, table, columns, frame):
        """Create the temporary table ``table`` (dropped at commit) with
        ``columns`` (name, SQL type) and bulk-load them from ``frame`` by COPY."""
        cr = self.env.cr
        cr.execute(
            SQL(
                "CREATE TEMP TABLE %s (%s) ON COMMIT DROP",
                SQL.identifier(table),
                SQL(", ").join(SQL("%s %s", SQL.identifier(name), sql_type) for name, sql_type in columns),
            )
        )
        names = [name for name, _type in columns]
        buffer = io.StringIO()
        frame[names].to_csv(buffer, header=False, index=False)
        buffer.seek(0)
        copy = SQL(
            "COPY %s (%s) FROM STDIN WITH (FORMAT csv)",
            SQL.identifier(table),
            SQL(", ").join(SQL.identifier(name) for name in names),
        )
        cr.copy_expert(copy.code, buffer)

    def _abc_fingerprints(self, frame, columns):
        """One hex fingerprint per row of the values ``columns`` (stable
        across runs), to skip rows whose stored figures are the same."""
        if frame.empty:
            return pd.Series([], dtype=object)
        hashes = pd.util.hash_pandas_object(frame[columns], index=False)
        return hashes.map("{:016x}".format)

    def _abc_changed(self, new, stored, keys):
        """Rows of ``new`` that are missing from ``stored`` or whose
        fingerprint differs, and the ids of ``stored`` rows absent from ``new``."""
        if stored.empty:
            return new, []
        merged = new[[*keys, "sync_hash"]].merge(
            stored[[*keys, "sync_hash", "id"]], on=keys, how="outer", suffixes=("", "_stored"), indicator=True
        )
        changed_keys = merged.loc[
            (merged["_merge"] == "left_only")
            | ((merged["_merge"] == "both") & (merged["sync_hash"] != merged["sync_hash_stored"])),
            keys,
        ]
        changed = new.merge(changed_keys, on=keys, how="inner")
        gone_ids = [int(record_id) for record_id in merged.loc[merged["_merge"] == "right_only", "id"]]
        return changed, gone_ids

    def _abc_write_history(self, company, history, todo, context):
        """Upsert the history rows of the periods ``todo`` whose figures
        changed (fingerprints), and delete the rows of customers gone."""
        cr = self.env.cr
        history = history.copy()
        history["method"] = context["method"]
        history["sync_hash"] = self._abc_fingerprints(history, HISTORY_HASHED).to_numpy()
        stored = self._abc_frame(
            SQL(
                "SELECT id, partner_id, period_start, sync_hash FROM customer_abc_history "
                "WHERE company_id = %s AND period_start = ANY(%s)",
                company.id,
                [start for start, _end in todo],
            ),
            ["period_start"],
        )
        changed, gone_ids = self._abc_changed(history, stored, ["partner_id", "period_start"])
        if gone_ids:
            cr.execute(SQL("DELETE FROM customer_abc_history WHERE id = ANY(%s)", gone_ids))
        if changed.empty:
            return
        self._abc_temp_table(
            "customer_abc_history_new",
            [
                ("partner_id", SQL("int4")),
                ("period_start", SQL("date")),
                ("period_end", SQL("date")),
                ("grade", SQL("varchar")),
                ("previous_grade", SQL("varchar")),
                ("grade_change", SQL("varchar")),
                ("amount", SQL("int8")),
                ("order_count", SQL("int4")),
                ("share_pct", SQL("float8")),
                ("cumulative_share_pct", SQL("float8")),
                ("rank", SQL("int4")),
                ("lifecycle", SQL("varchar")),
                ("sync_hash", SQL("varchar")),
            ],
            changed,
        )
        now = fields.Datetime.now()
        cr.execute(
            SQL(
                """
                INSERT INTO customer_abc_history AS h
                       (company_id, partner_id, period_start, period_end, grade, previous_grade, grade_change,
                        amount, order_count, share_pct, cumulative_share_pct, rank, method, lifecycle, sync_hash,
                        create_uid, create_date, write_uid, write_date)
                SELECT %(company)s, v.partner_id, v.period_start, v.period_end, v.grade, v.previous_grade,
                       v.grade_change, v.amount::numeric / %(scale)s, v.order_count, v.share_pct,
                       v.cumulative_share_pct, v.rank, %(method)s, v.lifecycle, v.sync_hash,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM customer_abc_history_new v
                ON CONFLICT (company_id, partner_id, period_start) DO UPDATE
                   SET period_end = EXCLUDED.period_end, grade = EXCLUDED.grade,
                       previous_grade = EXCLUDED.previous_grade, grade_change = EXCLUDED.grade_change,
                       amount = EXCLUDED.amount, order_count = EXCLUDED.order_count,
                       share_pct = EXCLUDED.share_pct, cumulative_share_pct = EXCLUDED.cumulative_share_pct,
                       rank = EXCLUDED.rank, method = EXCLUDED.method, lifecycle = EXCLUDED.lifecycle,
                       sync_hash = EXCLUDED.sync_hash, write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                """,
                company=company.id,
                scale=10 ** context["digits"],
                method=context["method"],
                uid=self.env.uid,
                now=now,
            )
        )
        cr.execute(SQL("DROP TABLE customer_abc_history_new"))

    def _abc_write_profiles(self, company, rows, context):
        """Upsert the profiles of ``rows`` whose figures changed
        (fingerprints), and delete the profiles of customers gone.  Returns
        the partner ids whose profile was deleted."""
        cr = self.env.cr
        start, end = context["period_bounds"]
        rows = rows.copy()
        rows["method"] = context["method"]
        rows["period_start"] = start
        rows["period_end"] = end
        rows["sync_hash"] = self._abc_fingerprints(
            rows, [name for name, _type, _kind in PROFILE_COLUMNS] + ["method", "period_start", "period_end"]
        ).to_numpy()
        stored = self._abc_frame(
            SQL(
                "SELECT id, partner_id, sync_hash FROM customer_abc_profile WHERE company_id = %s",
                company.id,
            )
        )
        changed, gone_ids = self._abc_changed(rows, stored, ["partner_id"])
        gone = []
        if gone_ids:
            cr.execute(SQL("DELETE FROM customer_abc_profile WHERE id = ANY(%s) RETURNING partner_id", gone_ids))
            gone = [row[0] for row in cr.fetchall()]
        if changed.empty:
            return gone
        load = [("partner_id", SQL("int4"))] + [(name, SQL(sql_type)) for name, sql_type, _kind in PROFILE_COLUMNS]
        load.append(("sync_hash", SQL("varchar")))
        self._abc_temp_table("customer_abc_profile_new", load, changed)
        scale = 10 ** context["digits"]

        def value(name, kind):
            column = SQL.identifier("v", name)
            return SQL("%s::numeric / %s", column, scale) if kind == "money" else column

        # name -> SQL value, for every column the job owns
        owned = {name: value(name, kind) for name, _type, kind in PROFILE_COLUMNS}
        owned.update({name: SQL.identifier("p", name) for name in PARTNER_COLUMNS})
        owned.update(
            {
                "method": SQL("%s", context["method"]),
                "period_start": SQL("%s::date", start),
                "period_end": SQL("%s::date", end),
                "rank_sort": SQL("CASE WHEN v.rank > 0 THEN v.rank ELSE 2147483647 END"),
                "is_overdue": SQL("v.overdue_amount > 0"),
                "sync_hash": SQL.identifier("v", "sync_hash"),
            }
        )
        effective = SQL("COALESCE(pr.manual_grade, EXCLUDED.computed_grade)")
        derived_update = {
            "grade": effective,
            "grade_differs": SQL("pr.manual_grade IS NOT NULL AND pr.manual_grade <> EXCLUDED.computed_grade"),
            "grade_change": SQL(
                "CASE WHEN EXCLUDED.previous_grade IS NULL THEN 'new' WHEN %(g)s < EXCLUDED.previous_grade "
                "THEN 'up' WHEN %(g)s > EXCLUDED.previous_grade THEN 'down' ELSE 'same' END",
                g=effective,
            ),
        }
        derived_insert = {
            "grade": SQL("v.computed_grade"),
            "grade_differs": SQL("FALSE"),
            "grade_change": SQL(
                "CASE WHEN v.previous_grade IS NULL THEN 'new' WHEN v.computed_grade < v.previous_grade "
                "THEN 'up' WHEN v.computed_grade > v.previous_grade THEN 'down' ELSE 'same' END"
            ),
        }
        names = list(owned)
        now = fields.Datetime.now()
        cr.execute(
            SQL(
                """
                INSERT INTO customer_abc_profile AS pr
                       (company_id, partner_id, %(columns)s, %(derived)s,
                        create_uid, create_date, write_uid, write_date)
                SELECT %(company)s, v.partner_id, %(values)s, %(derived_values)s,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM customer_abc_profile_new v
                  JOIN res_partner p ON p.id = v.partner_id
                ON CONFLICT (company_id, partner_id) DO UPDATE
                   SET %(assignments)s, %(derived_assignments)s,
                       write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                """,
                columns=SQL(", ").join(SQL.identifier(name) for name in names),
                derived=SQL(", ").join(SQL.identifier(name) for name in derived_insert),
                values=SQL(", ").join(owned[name] for name in names),
                derived_values=SQL(", ").join(derived_insert.values()),
                company=company.id,
                uid=self.env.uid,
                now=now,
                assignments=SQL(", ").join(
                    SQL("%s = EXCLUDED.%s", SQL.identifier(name), SQL.identifier(name)) for name in names
                ),
                derived_assignments=SQL(", ").join(
                    SQL("%s = %s", SQL.identifier(name), expression) for name, expression in derived_update.items()
                ),
            )
        )
        cr.execute(SQL("DROP TABLE customer_abc_profile_new"))
        return gone

    def _abc_write_partner_fields(self, company, partner_ids=None, gone=()):
        """Mirror the profile's grade fields on the partners (company-dependent
        jsonb columns) where they differ, for ``partner_ids`` (default: all),
        and clear them on the partners ``gone`` (whose profile was deleted)."""
        key = str(company.id)
        fields_map = self.env["res.partner"]._abc_profile_field_map()
        assignments = SQL(", ").join(
            SQL(
                "%(col)s = CASE WHEN pr.%(src)s IS NULL THEN COALESCE(p.%(col)s, '{}'::jsonb) - %(key)s "
                "ELSE COALESCE(p.%(col)s, '{}'::jsonb) || jsonb_build_object(%(key)s, pr.%(src)s) END",
                col=SQL.identifier(partner_field),
                src=SQL.identifier(profile_field),
                key=key,
            )
            for partner_field, profile_field in fields_map.items()
        )
        differs = SQL(" OR ").join(
            SQL(
                "(p.%(col)s ->> %(key)s) IS DISTINCT FROM pr.%(src)s::text",
                col=SQL.identifier(partner_field),
                src=SQL.identifier(profile_field),
                key=key,
            )
            for partner_field, profile_field in fields_map.items()
        )
        restrict = SQL("AND pr.partner_id = ANY(%s)", partner_ids) if partner_ids else SQL()
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner p SET %(assignments)s
                  FROM customer_abc_profile pr
                 WHERE pr.partner_id = p.id AND pr.company_id = %(company)s %(restrict)s AND (%(differs)s)
                """,
                assignments=assignments,
                company=company.id,
                restrict=restrict,
                differs=differs,
            )
        )
        if gone:
            clear = SQL(", ").join(
                SQL("%(col)s = %(col)s - %(key)s", col=SQL.identifier(partner_field), key=key)
                for partner_field in fields_map
            )
            self.env.cr.execute(SQL("UPDATE res_partner SET %s WHERE id = ANY(%s)", clear, list(gone)))

    # ------------------------------------------------------------
    # TOOLING: playbook
    # ------------------------------------------------------------

    def _abc_schedule_followups(self, company, context):
        """Schedule a follow-up for every customer graded D in the period
        that had a grade before: a Visit when it was A or B, a phone call when
        it was C or D.  At most one per customer and period, never while one
        of the same kind is open; assigned to the salesperson, else the sales
        team leader, else the company's fallback user.  Returns the count."""
        if not company.abc_followup:
            return 0
        start = context["period_bounds"][0]
        candidates = self.env.execute_query(
            SQL(
                """
                SELECT pr.id, pr.partner_id, pr.previous_grade, p.user_id
                  FROM customer_abc_profile pr
                  JOIN res_partner p ON p.id = pr.partner_id
                 WHERE pr.company_id = %s AND pr.active AND pr.grade = 'D' AND pr.previous_grade IS NOT NULL
                   AND (pr.followup_period_start IS NULL OR pr.followup_period_start <> %s)
                """,
                company.id,
                start,
            )
        )
        if not candidates:
            return 0
        visit = self.env.ref("customer_abc.mail_activity_type_visit")
        call = self.env.ref("mail.mail_activity_data_call")
        partner_ids = [partner_id for _id, partner_id, _grade, _user in candidates]
        leaders = self._abc_team_leaders(company, [row[1] for row in candidates if not row[3]])
        open_pairs = set(
            self.env.execute_query(
                SQL(
                    """
                    SELECT res_id, activity_type_id FROM mail_activity
                     WHERE active AND res_model = 'res.partner' AND res_id = ANY(%s) AND activity_type_id IN %s
                    """,
                    partner_ids,
                    (visit.id, call.id),
                )
            )
        )
        todo, unassigned = [], 0
        for profile_id, partner_id, previous, salesperson_id in candidates:
            kind = visit if previous in ("A", "B") else call
            user_id = salesperson_id or leaders.get(partner_id) or company.abc_followup_user_id.id
            if not user_id:
                unassigned += 1
            elif (partner_id, kind.id) not in open_pairs:
                todo.append((profile_id, kind, user_id))
        activities = self._abc_create_followups(company, todo, context)
        # every candidate is settled for this period, followed up or not
        self.env.cr.execute(
            SQL(
                "UPDATE customer_abc_profile SET followup_period_start = %s WHERE id = ANY(%s)",
                start,
                [row[0] for row in candidates],
            )
        )
        self.invalidate_model(["followup_period_start"])
        if unassigned:
            _logger.info(
                "customer_abc: %s: %d customers fell to D without salesperson, team leader or fallback user",
                company.name,
                unassigned,
            )
        return len(activities)

    def _abc_create_followups(self, company, todo, context):
        """Create the follow-up activities ``todo`` ((profile id, activity
        type, user id)) with their playbook rows, in bulk and without
        notification e-mails (a nightly job must not flood inboxes)."""
        if not todo:
            return self.env["mail.activity"]
        visit = self.env.ref("customer_abc.mail_activity_type_visit")
        model_id = self.env["ir.model"]._get_id("res.partner")
        profiles = self.browse([profile_id for profile_id, _kind, _user in todo])
        users = self.env["res.users"].browse({user_id for _profile, _kind, user_id in todo})
        activity_vals, action_vals = [], []
        for profile, (_profile_id, kind, user_id) in zip(profiles, todo, strict=True):
            user = users.browse(user_id)
            localized = profile.with_context(lang=user.lang)
            activity_vals.append(
                {
                    "res_model_id": model_id,
                    "res_id": profile.partner_id.id,
                    "activity_type_id": kind.id,
                    "user_id": user_id,
                    "summary": localized._abc_followup_summary(kind),
                    "note": localized._abc_followup_note(context),
                    "date_deadline": kind._get_date_deadline(),
                    "automated": True,
                }
            )
            action_vals.append(
                {
                    "company_id": company.id,
                    "partner_id": profile.partner_id.id,
                    "kind": "visit" if kind == visit else "call",
                    "source": "followup",
                    "date": context["today"],
                    "user_id": user_id,
                    "previous_grade": profile.previous_grade,
                    "grade": "D",
                    "period_start": context["period_bounds"][0],
                }
            )
        activities = self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(activity_vals)
        for vals, activity in zip(action_vals, activities, strict=True):
            vals["activity_id"] = activity.id
        self.env["customer.abc.action"]._abc_log(action_vals)
        return activities

    def _abc_team_leaders(self, company, partner_ids):
        """``{partner_id: user id}``: the leader of the sales team of each
        customer's most recent order with the company."""
        if not partner_ids:
            return {}
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (p.commercial_partner_id) p.commercial_partner_id, team.user_id
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                  JOIN crm_team team ON team.id = so.team_id
                 WHERE p.commercial_partner_id = ANY(%s) AND so.company_id = %s AND team.user_id IS NOT NULL
              ORDER BY p.commercial_partner_id, so.date_order DESC
                """,
                partner_ids,
                company.id,
            )
        )
        return dict(rows)

    def _abc_followup_summary(self, kind):
        if kind == self.env.ref("customer_abc.mail_activity_type_visit"):
            return self.env._("Visit: customer fell to grade D")
        return self.env._("Call: customer fell to grade D")

    def _abc_followup_note(self, context):
        """Why the follow-up exists, in the language of the context."""
        self.ensure_one()
        start = context["period_bounds"][0]
        period = f"{start:%Y-%m}" if context["period"] == "month" else f"{start.year} Q{(start.month - 1) // 3 + 1}"
        lines = [
            self.env._(
                "Grade %(previous)s in the period before, D in %(period)s.",
                previous=self.previous_grade,
                period=period,
            ),
            self.env._(
                "Amount in %(period)s: %(amount)s (before: %(previous_amount)s).",
                period=period,
                amount=self.currency_id.format(self.period_amount),
                previous_amount=self.currency_id.format(self.previous_amount),
            ),
            self.env._("Last order: %(date)s.", date=self.last_order_date)
            if self.last_order_date
            else self.env._("No order yet."),
            self.company_id._abc_strategy("D"),
        ]
        return Markup("<br/>").join(lines)

    def _abc_invalidate(self):
        self.env["customer.abc.history"].invalidate_model()
        self.env["customer.abc.profile"].invalidate_model()
        partner_fields = [*self.env["res.partner"]._abc_profile_field_map(), "abc_profile_id", "abc_history_ids"]
        self.env["res.partner"].invalidate_model(partner_fields)

    def _sync_partner_grades(self):
        """After a manual override: recompute and mirror the effective grade."""
        self.flush_recordset()
        for company in self.company_id:
            profiles_of_company = self.filtered(lambda profile, company=company: profile.company_id == company)
            self._abc_write_partner_fields(company, profiles_of_company.partner_id.ids)
        self.env["res.partner"].invalidate_model(list(self.env["res.partner"]._abc_profile_field_map()))
