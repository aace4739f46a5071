import io
import logging
import threading
from datetime import datetime, time, timedelta
from time import perf_counter

import pandas as pd
import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..analytics import grading, periods
from .customer_abc_history import GRADE_CHANGE_SELECTION, GRADE_SELECTION, METHOD_SELECTION

_logger = logging.getLogger(__name__)

#: first key of the PostgreSQL advisory lock taken per company while classifying
ABC_LOCK_KEY = 0x0ABC
#: number of completed periods written on install
BACKFILL_PERIODS = 12

MANAGER_GROUP = "sales_team.group_sale_manager"


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
    """The current ABC picture of one customer in one company.

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
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(related="partner_id.user_id", string="Salesperson", store=True, index=True)

    grade = fields.Selection(
        GRADE_SELECTION,
        compute="_compute_grade",
        store=True,
        index=True,
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
    share_pct = fields.Float(string="Share (%)", digits=(16, 4), readonly=True, aggregator=False)
    cumulative_share_pct = fields.Float(string="Cumulative Share (%)", digits=(16, 4), readonly=True, aggregator=False)
    rank = fields.Integer(readonly=True, aggregator=False, help="1 = largest amount; 0 = no positive amount.")
    rank_sort = fields.Integer(readonly=True, aggregator=False, help="Rank with unranked customers last.")
    history_ids = fields.One2many("customer.abc.history", compute="_compute_history_ids", string="Grade History")

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

    def action_classify_now(self):
        """Button: classify the current company now and reload the view."""
        self.classify(companies=self.env.company)
        return {"type": "ir.actions.client", "tag": "reload"}

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
        wanted = sorted(set(todo) | {periods.previous_period(todo[-1][0], context["period"])})
        frame = self._abc_fetch_customers(company, context, wanted)
        previous_grades = self._abc_stored_grades(company, periods.previous_period(todo[0][0], context["period"]))
        clock.mark("aggregate")
        history = self._abc_grade_periods(frame, todo, previous_grades, context)
        current = history[history["period_start"] == todo[-1][0]].set_index("partner_id")
        clock.mark("grading")
        self._abc_write_history(company, history, todo, context)
        clock.mark("history")
        self._abc_write_profiles(company, frame, current, context)
        clock.mark("profiles")
        self._abc_write_partner_fields(company)
        self._abc_invalidate()
        clock.mark("partners")
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
        return {
            "today": today,
            "tz": tz_name,
            # confirmed orders dated before this UTC instant are "until today" in the company's timezone
            "until_utc": tomorrow.astimezone(pytz.utc).replace(tzinfo=None),
            "digits": digits,
            "period": company.abc_period,
            "period_bounds": periods.last_completed_periods(today, company.abc_period, 1)[0],
            "method": company.abc_method,
            "thresholds": tuple(
                grading.to_minor_units(value, digits)
                for value in (company.abc_threshold_a, company.abc_threshold_b, company.abc_threshold_c)
            ),
            "shares": (company.abc_share_a, company.abc_share_b),
            "states": tuple(self.env["sale.report"]._get_done_states()),
        }

    # ------------------------------------------------------------
    # TOOLING: reads
    # ------------------------------------------------------------

    def _abc_local_date(self, column, tz_name):
        """SQL expression: the local date of a UTC timestamp column."""
        return SQL("((%s AT TIME ZONE 'UTC') AT TIME ZONE %s)::date", column, tz_name)

    def _abc_order_stats_query(self, company, context, wanted):
        """The one aggregate over the company's confirmed orders: one row per
        commercial partner with lifetime figures and, per wanted period, the
        amount (integer minor units, company currency) and order count."""
        local_date = self._abc_local_date(SQL.identifier("so", "date_order"), context["tz"])
        amount = SQL(
            "ROUND(so.amount_untaxed / CASE COALESCE(so.currency_rate, 0) WHEN 0 THEN 1.0 "
            "ELSE so.currency_rate END * %s)::bigint",
            10 ** context["digits"],
        )
        columns = []
        for index, (start, end) in enumerate(wanted):
            in_period = SQL("o.local_date >= %s AND o.local_date < %s", start, end)
            columns.append(
                SQL(
                    "COALESCE(SUM(o.amount) FILTER (WHERE %s), 0)::bigint AS %s",
                    in_period,
                    SQL.identifier(f"amount_{index}"),
                )
            )
            columns.append(SQL("COUNT(*) FILTER (WHERE %s) AS %s", in_period, SQL.identifier(f"count_{index}")))
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id,
                   MIN(o.local_date) AS first_order_date,
                   MAX(o.local_date) AS last_order_date,
                   COUNT(*) AS lifetime_count,
                   SUM(o.amount)::bigint AS lifetime_amount,
                   %(columns)s
              FROM (SELECT so.partner_id, %(local_date)s AS local_date, %(amount)s AS amount
                      FROM sale_order so
                     WHERE so.company_id = %(company)s
                       AND so.state IN %(states)s
                       AND so.date_order < %(until)s) o
              JOIN res_partner p ON p.id = o.partner_id
          GROUP BY p.commercial_partner_id
            """,
            columns=SQL(", ").join(columns),
            local_date=local_date,
            amount=amount,
            company=company.id,
            states=context["states"],
            until=context["until_utc"],
        )

    def _abc_population_query(self, company, context):
        """Commercial partners that are customers of the company without
        any order yet: customer rank > 0, active, shared or of the company."""
        return SQL(
            """
            SELECT DISTINCT cp.id
              FROM res_partner p
              JOIN res_partner cp ON cp.id = p.commercial_partner_id
             WHERE p.customer_rank > 0
               AND p.active AND cp.active
               AND (cp.company_id IS NULL OR cp.company_id = %(company)s)
            """,
            company=company.id,
        )

    def _abc_fetch_customers(self, company, context, wanted):
        """Per-customer frame of the company: order statistics joined with
        customers who never ordered.  Amounts are integer minor units."""
        self.env["sale.order"].flush_model()
        self.env["res.partner"].flush_model(["commercial_partner_id", "customer_rank", "active", "company_id"])
        cr = self.env.cr
        cr.execute(self._abc_order_stats_query(company, context, wanted))
        stats = pd.DataFrame.from_records(cr.fetchall(), columns=[col.name for col in cr.description])
        cr.execute(self._abc_population_query(company, context))
        customers = pd.DataFrame.from_records(cr.fetchall(), columns=["partner_id"])
        # customers without any order: zero figures, keeping exact int64 columns
        idle = customers[~customers["partner_id"].isin(stats["partner_id"])]
        if len(idle):
            zeros = pd.DataFrame(0, index=range(len(idle)), columns=stats.columns)
            zeros["partner_id"] = idle["partner_id"].to_numpy()
            zeros[["first_order_date", "last_order_date"]] = None
            frame = pd.concat([stats, zeros], ignore_index=True) if len(stats) else zeros
        else:
            frame = stats
        int_columns = [name for name in frame.columns if not name.endswith("_date")]
        frame[int_columns] = frame[int_columns].astype("int64")
        frame["created"] = self._abc_created_dates(frame["partner_id"].tolist(), context)
        frame.attrs["periods"] = list(wanted)
        return frame

    def _abc_created_dates(self, partner_ids, context):
        """Local creation date of each partner (for period eligibility)."""
        if not partner_ids:
            return pd.Series([], dtype=object)
        rows = self.env.execute_query(
            SQL(
                "SELECT id, %s FROM res_partner WHERE id = ANY(%s)",
                self._abc_local_date(SQL.identifier("res_partner", "create_date"), context["tz"]),
                partner_ids,
            )
        )
        created = dict(rows)
        return [created.get(partner_id) for partner_id in partner_ids]

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
        for start, end in todo:
            index = wanted.index((start, end))
            first = frame["first_order_date"]
            eligible = (first.notna() & (first < end)) | frame["created"].map(
                lambda d, end=end: d is not None and d < end
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
            rows.append(graded)
            previous = graded.set_index("partner_id")["grade"]
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

    # ------------------------------------------------------------
    # TOOLING: bulk writes
    # ------------------------------------------------------------

    def _abc_amount_sql(self, column, context):
        """SQL expression: integer minor units back to a numeric amount."""
        return SQL("(%s::numeric / %s)", column, 10 ** context["digits"])

    def _abc_write_history(self, company, history, todo, context):
        """Upsert the history rows of the periods ``todo``; rows that did not
        change are left untouched, rows of customers gone are deleted."""
        digits = context["digits"]
        now = fields.Datetime.now()
        uid = self.env.uid
        cr = self.env.cr
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
            ],
            history,
        )
        # the anti-join below must not scan the new rows once per stored row
        cr.execute(SQL("CREATE INDEX ON customer_abc_history_new (partner_id, period_start)"))
        cr.execute(SQL("ANALYZE customer_abc_history_new"))
        cr.execute(
            SQL(
                """
                INSERT INTO customer_abc_history AS h
                       (company_id, partner_id, period_start, period_end, grade, previous_grade, grade_change,
                        amount, order_count, share_pct, cumulative_share_pct, rank, method,
                        create_uid, create_date, write_uid, write_date)
                SELECT %(company)s, v.partner_id, v.period_start, v.period_end, v.grade, v.previous_grade,
                       v.grade_change, v.amount::numeric / %(scale)s, v.order_count, v.share_pct,
                       v.cumulative_share_pct, v.rank, %(method)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM customer_abc_history_new v
                ON CONFLICT (company_id, partner_id, period_start) DO UPDATE
                   SET period_end = EXCLUDED.period_end, grade = EXCLUDED.grade,
                       previous_grade = EXCLUDED.previous_grade, grade_change = EXCLUDED.grade_change,
                       amount = EXCLUDED.amount, order_count = EXCLUDED.order_count,
                       share_pct = EXCLUDED.share_pct, cumulative_share_pct = EXCLUDED.cumulative_share_pct,
                       rank = EXCLUDED.rank, method = EXCLUDED.method,
                       write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                 WHERE (h.period_end, h.grade, h.previous_grade, h.grade_change, h.amount, h.order_count,
                        h.share_pct, h.cumulative_share_pct, h.rank, h.method)
                       IS DISTINCT FROM
                       (EXCLUDED.period_end, EXCLUDED.grade, EXCLUDED.previous_grade, EXCLUDED.grade_change,
                        EXCLUDED.amount, EXCLUDED.order_count, EXCLUDED.share_pct, EXCLUDED.cumulative_share_pct,
                        EXCLUDED.rank, EXCLUDED.method)
                """,
                company=company.id,
                scale=10**digits,
                method=context["method"],
                uid=uid,
                now=now,
            )
        )
        cr.execute(
            SQL(
                """
                DELETE FROM customer_abc_history h
                 WHERE h.company_id = %(company)s
                   AND h.period_start = ANY(%(starts)s)
                   AND NOT EXISTS (SELECT 1 FROM customer_abc_history_new v
                                    WHERE v.partner_id = h.partner_id AND v.period_start = h.period_start)
                """,
                company=company.id,
                starts=[start for start, _end in todo],
            )
        )
        cr.execute(SQL("DROP TABLE customer_abc_history_new"))

    def _abc_write_profiles(self, company, frame, current, context):
        """Upsert one profile per customer of the frame, delete the profiles
        of customers gone, and mirror grades on the partners."""
        wanted = frame.attrs["periods"]
        start, end = context["period_bounds"]
        prev_index = wanted.index(periods.previous_period(start, context["period"]))
        partner_ids = frame["partner_id"].tolist()
        cur = current.reindex(partner_ids)
        now = fields.Datetime.now()
        cr = self.env.cr
        rows = pd.DataFrame(
            {
                "partner_id": partner_ids,
                "computed_grade": cur["grade"].fillna("D").to_numpy(),
                "previous_grade": cur["previous_grade"].to_numpy(),
                "period_amount": cur["amount"].fillna(0).astype("int64").to_numpy(),
                "period_order_count": cur["order_count"].fillna(0).astype("int64").to_numpy(),
                "share_pct": cur["share_pct"].fillna(0.0).to_numpy(),
                "cumulative_share_pct": cur["cumulative_share_pct"].fillna(0.0).to_numpy(),
                "rank": cur["rank"].fillna(0).astype("int64").to_numpy(),
                "previous_amount": frame[f"amount_{prev_index}"].to_numpy(),
            }
        )
        self._abc_temp_table(
            "customer_abc_profile_new",
            [
                ("partner_id", SQL("int4")),
                ("computed_grade", SQL("varchar")),
                ("previous_grade", SQL("varchar")),
                ("period_amount", SQL("int8")),
                ("period_order_count", SQL("int4")),
                ("share_pct", SQL("float8")),
                ("cumulative_share_pct", SQL("float8")),
                ("rank", SQL("int4")),
                ("previous_amount", SQL("int8")),
            ],
            rows,
        )
        cr.execute(SQL("CREATE INDEX ON customer_abc_profile_new (partner_id)"))
        cr.execute(SQL("ANALYZE customer_abc_profile_new"))
        cr.execute(
            SQL(
                """
                INSERT INTO customer_abc_profile AS pr
                       (company_id, partner_id, active, user_id, computed_grade, grade, grade_differs,
                        previous_grade, grade_change, method, period_start, period_end, period_amount,
                        period_order_count, share_pct, cumulative_share_pct, rank, rank_sort,
                        create_uid, create_date, write_uid, write_date)
                SELECT %(company)s, v.partner_id, p.active, p.user_id, v.computed_grade, v.computed_grade, FALSE,
                       v.previous_grade,
                       CASE WHEN v.previous_grade IS NULL THEN 'new'
                            WHEN v.computed_grade < v.previous_grade THEN 'up'
                            WHEN v.computed_grade > v.previous_grade THEN 'down' ELSE 'same' END,
                       %(method)s, %(start)s, %(end)s, v.period_amount::numeric / %(scale)s, v.period_order_count,
                       v.share_pct, v.cumulative_share_pct, v.rank,
                       CASE WHEN v.rank > 0 THEN v.rank ELSE 2147483647 END,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM customer_abc_profile_new v
                  JOIN res_partner p ON p.id = v.partner_id
                ON CONFLICT (company_id, partner_id) DO UPDATE
                   SET active = EXCLUDED.active, user_id = EXCLUDED.user_id,
                       computed_grade = EXCLUDED.computed_grade,
                       grade = COALESCE(pr.manual_grade, EXCLUDED.computed_grade),
                       grade_differs = pr.manual_grade IS NOT NULL AND pr.manual_grade <> EXCLUDED.computed_grade,
                       previous_grade = EXCLUDED.previous_grade,
                       grade_change = CASE
                           WHEN EXCLUDED.previous_grade IS NULL THEN 'new'
                           WHEN COALESCE(pr.manual_grade, EXCLUDED.computed_grade) < EXCLUDED.previous_grade
                           THEN 'up'
                           WHEN COALESCE(pr.manual_grade, EXCLUDED.computed_grade) > EXCLUDED.previous_grade
                           THEN 'down'
                           ELSE 'same' END,
                       method = EXCLUDED.method, period_start = EXCLUDED.period_start,
                       period_end = EXCLUDED.period_end, period_amount = EXCLUDED.period_amount,
                       period_order_count = EXCLUDED.period_order_count, share_pct = EXCLUDED.share_pct,
                       cumulative_share_pct = EXCLUDED.cumulative_share_pct, rank = EXCLUDED.rank,
                       rank_sort = EXCLUDED.rank_sort,
                       write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                 WHERE (pr.active, pr.user_id, pr.computed_grade, pr.previous_grade, pr.method, pr.period_start,
                        pr.period_end, pr.period_amount, pr.period_order_count, pr.share_pct,
                        pr.cumulative_share_pct, pr.rank)
                       IS DISTINCT FROM
                       (EXCLUDED.active, EXCLUDED.user_id, EXCLUDED.computed_grade, EXCLUDED.previous_grade,
                        EXCLUDED.method, EXCLUDED.period_start, EXCLUDED.period_end, EXCLUDED.period_amount,
                        EXCLUDED.period_order_count, EXCLUDED.share_pct, EXCLUDED.cumulative_share_pct,
                        EXCLUDED.rank)
                """,
                company=company.id,
                method=context["method"],
                start=start,
                end=end,
                scale=10 ** context["digits"],
                uid=self.env.uid,
                now=now,
            )
        )
        cr.execute(
            SQL(
                """
                DELETE FROM customer_abc_profile pr
                 WHERE pr.company_id = %s
                   AND NOT EXISTS (SELECT 1 FROM customer_abc_profile_new v WHERE v.partner_id = pr.partner_id)
                """,
                company.id,
            )
        )
        cr.execute(SQL("DROP TABLE customer_abc_profile_new"))

    def _abc_write_partner_fields(self, company, partner_ids=None):
        """Mirror the profile's grade fields on the partners (company-dependent
        jsonb columns) where they differ; clear them where no profile is left."""
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
        if partner_ids is None:
            clear = SQL(", ").join(
                SQL("%(col)s = %(col)s - %(key)s", col=SQL.identifier(partner_field), key=key)
                for partner_field in fields_map
            )
            first = SQL.identifier(next(iter(fields_map)))
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE res_partner p SET %(clear)s
                     WHERE p.%(first)s ? %(key)s
                       AND NOT EXISTS (SELECT 1 FROM customer_abc_profile pr
                                        WHERE pr.partner_id = p.id AND pr.company_id = %(company)s)
                    """,
                    clear=clear,
                    first=first,
                    key=key,
                    company=company.id,
                )
            )

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

    def _abc_invalidate(self):
        self.env["customer.abc.history"].invalidate_model()
        self.env["customer.abc.profile"].invalidate_model()
        partner_fields = [*self.env["res.partner"]._abc_profile_field_map(), "abc_profile_id", "abc_history_ids"]
        self.env["res.partner"].invalidate_model(partner_fields)

    def _sync_partner_grades(self):
        """After a manual override: recompute and mirror the effective grade."""
        self.flush_recordset()
        for company in self.company_id:
            profiles = self.filtered(lambda profile, company=company: profile.company_id == company)
            self._abc_write_partner_fields(company, profiles.partner_id.ids)
        self.env["res.partner"].invalidate_model(list(self.env["res.partner"]._abc_profile_field_map()))
