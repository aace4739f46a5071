"""The classification job: entry points, the lock, the per-company run in
steps, batching under Odoo's cron limits.

A run (``customer.abc.run``) of one company goes through these steps, each
one transaction (committed by the scheduled action, so that a killed worker
resumes at the step it was in; all in one transaction when ``classify()`` is
called from code):

``plan``     settings frozen, periods to write, and the customers to read:
             every customer, or (nightly, same period and settings as the
             last run) only those whose figures may have changed since
``read``     one aggregate over the orders into a stage table
             (:class:`..services.reader.Reader`); for a scoped run, the
             ranking is checked and the scope widened where ranks moved
``compute``  a chunk of customers at a time through the engine
             (:mod:`..analytics.classification`), results staged
``publish``  history, profiles, partner mirror and playbook in one
             transaction (older backfilled periods one per step before), so
             that users see the previous complete result or the new one
"""

import logging
import time
from contextlib import contextmanager
from datetime import timedelta

import pandas as pd
import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .. import compat
from ..analytics import classification, periods, profiles, rfm, rhythm
from ..services import sql
from ..services.reader import STAGE_PREFIX, Reader, merge_buyers, read_frame, table_exists
from ..services.settings import RunSettings
from ..services.writer import Writer

_logger = logging.getLogger(__name__)

#: first key of the PostgreSQL advisory lock taken per company while classifying
ABC_LOCK_KEY = 0x0ABC
#: number of completed periods written on install
BACKFILL_PERIODS = 12
#: customers per chunk of the compute step (and of a chunked publication), at most
CHUNK_CUSTOMERS = 100_000
#: customer x period figures per chunk: a chunk's frames grow with the periods
#: read (a backfill reads 13), so fewer customers per chunk when more periods are
#: read keeps the memory of a step flat (about 400 MiB for the process at 300,000)
CHUNK_ROWS = 300_000
#: a scoped run reads every customer when the scope would hold more than this share
SCOPE_MAX_SHARE = 0.25
#: a full run publishes in one transaction up to this many changed rows (history
#: and profiles), else a chunk of customers per transaction (about 5 s per
#: 100,000 customers on a 2-core machine: a transaction stays well under a minute)
PUBLISH_ATOMIC_ROWS = 600_000
#: rows written by a run (history and profiles) from which its tables' statistics
#: are refreshed at its end, when they are also more than a tenth of the tables:
#: a first run of a small book too, whose tables the planner believes empty
ANALYZE_MIN_ROWS = 500
#: a read from a lagging replica counts as of its last replayed transaction, less
#: this margin (for the transactions that were running then)
REPLICA_WATERMARK_MARGIN = timedelta(minutes=10)
#: seconds of work of one execution of the scheduled action before it hands
#: over to the next one (each step is well under a minute; Odoo kills a cron
#: worker after ``limit_time_real_cron``, 120 s by default)
JOB_BUDGET = 45.0
#: seconds of an execution after which a run's read (its aggregate over the
#: company's orders, the longest step of a full run, which no step before it
#: predicts: the 10M production check's second company read for 44 s after 18 s
#: of another run's publication) waits for the next execution to start it
READ_STARTS_WITHIN = 5.0
#: a start of an execution older than this is of an execution that ended or was killed
JOB_STALE = 3 * JOB_BUDGET
#: a running run without progress for this long is considered abandoned
STALE_AFTER = timedelta(minutes=15)
MANAGER_GROUP = "sales_team.group_sale_manager"

#: monotonic start, steps done and longest step (seconds) of the current
#: execution of the scheduled action, per (database, lastcall): Odoo calls the
#: action several times per execution
_JOB_STARTS = {}
#: ranking of the periods of a run, per (database, run id), kept between the
#: compute steps of one process (rebuilt after a restart)
_RANKINGS = {}


def _clock():
    """Seconds of a monotonic clock (the scheduled action's time budget)."""
    return time.monotonic()


class AmountOverflowError(UserError):
    """Orders of a company too large to be graded exactly (to the cent)."""


class _PhaseClock:
    """Wall time per named phase."""

    def __init__(self, seconds=None):
        self.seconds = dict(seconds or {})
        self._last = time.perf_counter()

    def mark(self, name):
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._last
        self._last = now


class CustomerAbcClassifier(models.AbstractModel):
    _name = "customer.abc.classifier"
    _description = "Customer ABC Classifier"

    # ------------------------------------------------------------
    # ENTRY POINTS
    # ------------------------------------------------------------

    @api.model
    def classify(self, today=None, companies=None):
        """See :meth:`customer.abc.profile.classify`: classify now, in this
        transaction, every customer of ``companies``."""
        self._check_classify_access()
        for company in self._abc_companies(companies):
            day = self._abc_check_today(company, today)
            self._classify_company(company, today=day)

    @api.model
    def _backfill(self, today=None, companies=None, count=BACKFILL_PERIODS):
        """Write the history of the last ``count`` completed periods now."""
        for company in self._abc_companies(companies):
            self._classify_company(company, today=today, backfill=count)

    @api.model
    def _classify_company(self, company, today=None, backfill=0, kind=None, commit=False):
        """One complete run of ``company`` now (every step; committed after
        each when ``commit``, as the scheduled action does).

        :return: seconds per phase (``aggregate``, ``rfm``, ``grading``,
            ``history``, ``profiles``, ``playbook``)
        """
        self = self.sudo()  # noqa: PLW0642 -- the job owns these tables
        self._abc_lock(company)
        self._check_no_run_under_way(company)
        run = self._create_run(company, kind or ("backfill" if backfill else "nightly"), today=today, backfill=backfill)
        while run.state in ("queued", "running"):
            self._run_step(run)
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self._abc_lock(company)
        if run.state == "failed":
            raise UserError(run.message)
        return dict(run.phase_seconds or {})

    @api.model
    def _cron_classify(self):
        """Scheduled action: queue today's nightly run of each company, then
        work through the queued and running runs a step at a time,
        committing each step with its progress, until the time budget of this
        execution is spent (the action then triggers itself to go on)."""
        self = self.sudo()  # noqa: PLW0642
        key = (self.env.cr.dbname, str(self.env.context.get("lastcall")))
        now = _clock()
        execution = _JOB_STARTS.get(key)
        if execution is None or now - execution[0] > JOB_STALE:
            # a new execution (an older start is of an execution that ended or was killed)
            execution = _JOB_STARTS[key] = [now, 0, 0.0]
        started = execution[0]
        self._queue_nightly_runs()
        done = 0
        for run in self._pending_runs():
            if not self._try_lock(run.company_id):
                continue
            while run.state in ("queued", "running"):
                elapsed = _clock() - started
                # hand over before a step that would likely end past the budget: the run's
                # longest step so far tells how long one may take, or, for a run that has
                # none yet (the next company's read), the longest step of this execution;
                # one step at least per execution (Odoo 18 calls the action several times in one);
                # a read, unless the execution has only begun, starts the next one
                expected = max(run.longest_step, execution[2])
                late_read = run.step == "read" and elapsed > READ_STARTS_WITHIN
                if elapsed > JOB_BUDGET or (execution[1] and (late_read or elapsed + expected > JOB_BUDGET)):
                    self.env.ref("customer_abc.ir_cron_customer_abc_classify")._trigger()
                    compat.cron_commit_progress(self.env, done, self._remaining_steps())
                    return
                step_started = _clock()
                self._run_step(run)
                done += 1
                execution[1] += 1
                execution[2] = max(execution[2], _clock() - step_started)
                compat.cron_commit_progress(self.env, done, self._remaining_steps())
                if run.state in ("queued", "running") and not self._try_lock(run.company_id):
                    break
        _JOB_STARTS.pop(key, None)
        compat.cron_commit_progress(self.env, done, 0)

    @api.model
    def action_classify_now(self):
        """Button (sales managers): classify the current company in the
        background; the user is notified when it is done.  A click while a
        run of the company is under way queues nothing and says so."""
        self._check_classify_access()
        company = self.env.company
        run = self._request_run(company, "manual")
        if run:
            message = self.env._(
                "The customers of %(company)s are being classified in the background. "
                "You will be notified when it is done.",
                company=company.name,
            )
            tone = "info"
        else:
            current = (
                self.env["customer.abc.run"]
                .sudo()
                .search([("company_id", "=", company.id), ("state", "in", ("queued", "running"))], limit=1)
            )
            message = self.env._(
                "A classification of %(company)s is already under way (step %(done)s of %(total)s). "
                "You will be notified when it is done.",
                company=company.name,
                done=current.steps_done,
                total=max(current.steps_total, current.steps_done, 1),
            )
            tone = "warning"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": self.env._("Classify now"), "message": message, "type": tone, "sticky": False},
        }

    @api.model
    def _request_run(self, company, kind):
        """Queue a full run of ``company`` (``manual``: Classify now,
        ``regrade``: settings changed, ``backfill``: install) and trigger
        the scheduled action.  Returns the run, or ``False`` when one is
        already queued or running (nothing is queued twice)."""
        Run = self.env["customer.abc.run"].sudo()
        if Run.search_count([("company_id", "=", company.id), ("state", "in", ("queued", "running"))]):
            return False
        run = self._create_run(
            company,
            kind,
            backfill=BACKFILL_PERIODS if kind == "backfill" else 0,
            requested_by=self.env.user if not self.env.user._is_superuser() else False,
        )
        self.env.ref("customer_abc.ir_cron_customer_abc_classify").sudo()._trigger()
        return run

    # ------------------------------------------------------------
    # ACCESS
    # ------------------------------------------------------------

    def _abc_is_code(self):
        """Whether the caller is code (superuser environment or the cron's
        superuser), not a person calling over RPC."""
        return self.env.su or self.env.user._is_superuser()

    def _check_classify_access(self):
        if self._abc_is_code() or self.env.user.has_group(MANAGER_GROUP):
            return
        raise AccessError(self.env._("Only sales managers can run the customer classification."))

    def _abc_companies(self, companies):
        """The companies to classify: all (code) or the current one (people)
        by default; people only among the companies they work in now."""
        Company = self.env["res.company"]
        if companies is None:
            if not self._abc_is_code():
                return self.env.company.sudo()
            # every company is classified
            return Company.sudo().search([])  # pylint: disable=no-search-all
        ids = companies.ids if isinstance(companies, models.BaseModel) else list(companies)
        records = Company.sudo().browse(ids).exists()
        if len(records) != len(set(ids)):
            raise UserError(self.env._("There is no company with id %(ids)s.", ids=sorted(set(ids) - set(records.ids))))
        if not self._abc_is_code():
            foreign = records - self.env.companies
            if foreign:
                raise AccessError(
                    self.env._(
                        "You may classify only the companies you are working in: %(companies)s is not one of them.",
                        companies=", ".join(foreign.mapped("name")),
                    )
                )
        return records

    def _abc_check_today(self, company, today):
        """The ``today`` of a run of ``company`` as a ``date`` (``None``: the
        real today), refused when it is after the real today, or when a person
        asks for another day than today."""
        if today is None:
            return None
        day = fields.Date.to_date(today.date() if hasattr(today, "date") and callable(today.date) else today)
        real = company._abc_today()
        if day > real:
            raise UserError(
                self.env._(
                    "Cannot classify %(company)s as of %(day)s: that day has not come yet (today is %(today)s).",
                    company=company.name,
                    day=day,
                    today=real,
                )
            )
        if day != real and not self._abc_is_code():
            raise AccessError(self.env._("Customers are classified as of today; another day is for scripts only."))
        return day

    # ------------------------------------------------------------
    # LOCK AND RUNS
    # ------------------------------------------------------------

    def _try_lock(self, company):
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", ABC_LOCK_KEY, company.id))
        return self.env.cr.fetchone()[0]

    def _abc_lock(self, company):
        """Take the company's classification lock for this transaction, or
        raise a :class:`UserError` when another run holds it."""
        if not self._try_lock(company):
            raise UserError(
                self.env._(
                    "A customer classification of %(company)s is already running. Try again in a minute.",
                    company=company.name,
                )
            )

    def _check_no_run_under_way(self, company):
        """Refuse to start while a step-by-step run of the company is under
        way (between two of its steps), unless it stopped moving long ago."""
        Run = self.env["customer.abc.run"]
        running = Run.search([("company_id", "=", company.id), ("state", "=", "running")])
        for run in running:
            if run.write_date and fields.Datetime.now() - run.write_date > STALE_AFTER:
                self._fail_run(run, self.env._("Abandoned: no progress for 15 minutes; another run took over."))
            else:
                raise UserError(
                    self.env._(
                        "A customer classification of %(company)s is already running. Try again in a minute.",
                        company=company.name,
                    )
                )

    def _create_run(self, company, kind, today=None, backfill=0, requested_by=False):
        return (
            self.env["customer.abc.run"]
            .sudo()
            .create(
                {
                    "company_id": company.id,
                    "kind": kind,
                    "state": "queued",
                    "today": today,
                    "backfill": backfill,
                    "step": "plan",
                    "requested_by": requested_by.id if requested_by else False,
                }
            )
        )

    def _queue_nightly_runs(self):
        """Queue the nightly run of every company that has none today and
        nothing queued or running."""
        Run = self.env["customer.abc.run"]
        for company in self.env["res.company"].search([]):  # pylint: disable=no-search-all
            if Run.search_count([("company_id", "=", company.id), ("state", "in", ("queued", "running"))]):
                continue
            last = Run.search([("company_id", "=", company.id), ("state", "=", "done")], limit=1)
            if last.today and last.today >= company._abc_today():
                continue
            self._create_run(company, "nightly")

    def _pending_runs(self):
        return self.env["customer.abc.run"].search([("state", "in", ("running", "queued"))], order="state desc, id")

    def _remaining_steps(self):
        runs = self._pending_runs()
        return sum(max((run.steps_total or 4) - run.steps_done, 1) for run in runs)

    def _fail_run(self, run, message):
        run.write({"state": "failed", "message": message, "finished_at": fields.Datetime.now()})
        self._drop_stage(run)
        self._notify(run)

    def _notify(self, run):
        """Tell the user who asked for the run that it is over."""
        user = run.requested_by
        if not user:
            return
        company = run.company_id.with_context(lang=user.lang)
        env = company.env
        if run.state == "done":
            payload = {
                "type": "success",
                "title": env._("Customer classification done"),
                "message": env._(
                    "%(company)s: %(count)s customers classified as of %(day)s.",
                    company=company.name,
                    count=run.customers,
                    day=run.today,
                ),
            }
        else:
            payload = {
                "type": "danger",
                "title": env._("Customer classification failed"),
                "message": run.message or "",
            }
        user._bus_send("simple_notification", {**payload, "sticky": False})

    # ------------------------------------------------------------
    # STEPS
    # ------------------------------------------------------------

    def _run_step(self, run):
        """Do the next step of ``run`` (one transaction's worth of work)."""
        step = run.step or "plan"
        clock = _PhaseClock(run.phase_seconds)
        started = time.perf_counter()
        try:
            with self.env.cr.savepoint():
                if step == "plan":
                    self._step_plan(run, clock)
                elif step == "read":
                    self._step_read(run, clock)
                elif step == "compute":
                    self._step_compute(run, clock)
                elif step == "publish":
                    self._step_publish(run, clock)
                else:
                    raise ValueError(f"unknown step {step!r}")
        except AmountOverflowError as error:
            self._fail_run(run, str(error))
        except UserError as error:
            _logger.info("customer_abc: classification of %s stopped: %s", run.company_id.name, error)
            self._fail_run(run, str(error))
        except Exception as error:
            _logger.exception("customer_abc: classification of company %s failed", run.company_id.name)
            self._fail_run(run, self.env._("The classification failed: %(error)s", error=error))
        else:
            run.write(
                {
                    "phase_seconds": clock.seconds,
                    "steps_done": run.steps_done + 1,
                    "longest_step": max(run.longest_step, time.perf_counter() - started),
                }
            )

    def _settings(self, run):
        """The run's settings, as frozen by its first step."""
        return RunSettings.from_json(run.plan["settings"])

    def _step_plan(self, run, clock):
        company = run.company_id
        settings = RunSettings.for_company(self.env, company.with_company(company), run.today or None)
        kind = company.abc_period
        if run.backfill:
            todo = periods.last_completed_periods(settings.today, kind, run.backfill)
        else:
            todo = [settings.period_bounds]
            previous = periods.previous_period(todo[0][0], kind)
            if not self._has_history(company, previous):
                todo.insert(0, previous)
        wanted = sorted(set(todo) | {settings.previous_bounds} | {periods.previous_period(todo[0][0], kind)})
        watermark = self._watermark()
        reader = Reader(self.env, settings, run.id)
        scoped = self._plan_scope(run, settings, todo, reader)
        plan = {
            "settings": settings.to_json(),
            "todo": [[start.isoformat(), end.isoformat()] for start, end in todo],
            "wanted": [[start.isoformat(), end.isoformat()] for start, end in wanted],
            "scoped": scoped,
            "chunks": [],
        }
        run.write(
            {
                "state": "running",
                "started_at": run.started_at or fields.Datetime.now(),
                "today": settings.today,
                "period_start": settings.period_bounds[0],
                "rules_key": settings.rules_key(),
                "watermark": watermark,
                "scope": "changed" if scoped else "full",
                "read_from": "primary",
                "plan": plan,
                "periods_total": len(todo),
                "step": "read",
                "steps_total": 4,
            }
        )
        clock.mark("aggregate")

    def _watermark(self):
        """The moment before which every committed change of orders and
        contacts is seen by the next reads (naive UTC): the start of the
        oldest running transaction (whose writes are dated then but not yet
        visible), less a minute."""
        self.env.cr.execute(
            """
            SELECT (LEAST(now(), MIN(xact_start)) - interval '1 minute') AT TIME ZONE 'UTC'
              FROM pg_stat_activity WHERE datname = current_database() AND xact_start IS NOT NULL
            """
        )
        return self.env.cr.fetchone()[0]

    def _plan_scope(self, run, settings, todo, reader):
        """Whether ``run`` reads only the customers whose figures may have
        changed since the last run (and build that scope), or everyone."""
        company = run.company_id
        last = self.env["customer.abc.run"].search(
            [("company_id", "=", company.id), ("state", "=", "done"), ("id", "!=", run.id)], limit=1
        )
        if (
            run.kind != "nightly"
            or run.backfill
            or len(todo) != 1
            or not last
            or not last.watermark
            or last.backfill
            or last.period_start != settings.period_bounds[0]
            or last.rules_key != settings.rules_key()
            or not last.today
            or last.today > settings.today
            or (settings.today - last.today).days > settings.trend_days
        ):
            return False
        for model in ("sale.order", "res.partner", "customer.abc.profile"):
            self.env[model].flush_model()
        size = reader.create_scope(query=reader.changed_customers_query(last.watermark, last.today))
        size = reader.create_scope(partner_ids=self._lifecycle_movers(company, settings))
        size = reader.create_scope(query=self._detail_movers_query(company, settings, reader))
        size = reader.create_scope(query=reader.window_leavers_query(last.today))
        customers = self.env["customer.abc.profile"].search_count([("company_id", "=", company.id)])
        return size <= SCOPE_MAX_SHARE * max(customers, 1)

    def _lifecycle_movers(self, company, settings):
        """Customers whose lifecycle changes today only because time passed
        (the rule of :mod:`..analytics.lifecycle`, applied to the stored
        order dates of every profile: a narrow pass)."""
        frame = _read_profile_dates(self.env, company)
        if frame.empty:
            return []
        states = profiles.lifecycle_by_rules(frame, settings.today, settings.rules)
        moved = frame.loc[states.to_numpy() != frame["lifecycle"].to_numpy(), "partner_id"]
        return [int(partner_id) for partner_id in moved]

    def _detail_movers_query(self, company, settings, reader):
        """Customers whose receivable, last visit or last coupon differs from
        their profile (these sources are small: open items, visits, coupons)."""
        return SQL(
            """
            SELECT COALESCE(n.partner_id, pr.partner_id) AS partner_id
              FROM (SELECT COALESCE(r.partner_id, v.partner_id, k.partner_id) AS partner_id,
                           COALESCE(r.receivable_amount, 0) AS receivable_amount,
                           COALESCE(r.overdue_amount, 0) AS overdue_amount,
                           v.last_visit_date, k.last_coupon_date
                      FROM (%(receivables)s) r
                      FULL JOIN (%(visits)s) v ON v.partner_id = r.partner_id
                      FULL JOIN (%(coupons)s) k ON k.partner_id = COALESCE(r.partner_id, v.partner_id)) n
              FULL JOIN (SELECT partner_id, ROUND(receivable_amount * %(scale)s)::bigint AS receivable_amount,
                                ROUND(overdue_amount * %(scale)s)::bigint AS overdue_amount,
                                last_visit_date, last_coupon_date
                           FROM customer_abc_profile
                          WHERE company_id = %(company)s
                            AND (receivable_amount <> 0 OR overdue_amount <> 0 OR last_visit_date IS NOT NULL
                                 OR last_coupon_date IS NOT NULL)) pr ON pr.partner_id = n.partner_id
             WHERE (COALESCE(n.receivable_amount, 0), COALESCE(n.overdue_amount, 0), n.last_visit_date,
                    n.last_coupon_date)
                   IS DISTINCT FROM
                   (COALESCE(pr.receivable_amount, 0), COALESCE(pr.overdue_amount, 0), pr.last_visit_date,
                    pr.last_coupon_date)
            """,
            receivables=reader.receivable_query(),
            visits=reader.visit_query(),
            coupons=reader.coupon_query(),
            scale=settings.scale,
            company=company.id,
        )

    def _step_read(self, run, clock):
        settings = self._settings(run)
        plan = dict(run.plan)
        wanted = _periods(plan["wanted"])
        todo = _periods(plan["todo"])
        reader = Reader(self.env, settings, run.id)
        scoped = plan["scoped"]
        count = self._stage_inputs(reader, settings, wanted, scoped, run)
        if scoped:
            widen = self._ranking_movers(run, settings, reader, wanted, todo)
            if widen is None:
                # the totals of a period moved: every buyer's share did; read everyone
                scoped = False
                count = self._stage_inputs(reader, settings, wanted, scoped, run)
            elif widen:
                reader.create_scope(partner_ids=widen)
                count = self._stage_inputs(reader, settings, wanted, scoped)
        if not scoped or widen:
            _RANKINGS.pop((self.env.cr.dbname, run.id), None)
        # RFM as of the last day of each graded period (history), then as of today (profiles)
        rfm_todo = [start.isoformat() for start, _end in todo] + [None]
        chunks = reader.chunk_bounds(_chunk_customers(len(wanted)))
        plan.update({"scoped": scoped, "chunks": chunks, "chunk": 0, "rfm_todo": rfm_todo})
        writer = Writer(self.env, settings, run.id)
        writer.create_stage()
        writer.create_rfm_stage()
        run.write(
            {
                "plan": plan,
                "scope": "changed" if scoped else "full",
                "customers": count,
                "step": "compute",
                # plan, read, one per RFM as-of day and per chunk, then the publication
                "steps_total": 2 + len(rfm_todo) + len(plan["chunks"]) + _atomic_publication_steps(run, todo),
            }
        )
        clock.mark("aggregate")

    def _stage_inputs(self, reader, settings, wanted, scoped, run=None):
        """:meth:`Reader.stage_inputs` (the full read of a run on the read
        replica when there is a fresh one, see :meth:`_replica_source`),
        naming the orders whose amounts do not fit integer minor units (an
        order of 1e17, say) instead of failing with a database error at every
        run."""
        try:
            with self.env.cr.savepoint(flush=False):
                spool = None
                with self._replica_source(run, scoped) as source:
                    if source is not None:
                        spool = reader.spool_inputs(wanted, source)
                count = reader.stage_inputs(wanted, scoped, spool=spool)
                self.env.cr.execute(
                    SQL(
                        "SELECT COALESCE(SUM(ABS(lifetime_amount::numeric)), 0) FROM %s",
                        SQL.identifier(reader.input),
                    )
                )
                total = self.env.cr.fetchone()[0]
        except psycopg2.Error as error:
            if error.pgcode != NUMERIC_VALUE_OUT_OF_RANGE:
                raise
            raise self._overflow_error(settings) from None
        if total >= SAFE_TOTAL_MINOR_UNITS:
            raise self._overflow_error(settings)
        return count

    @contextmanager
    def _replica_source(self, run, scoped, record=True):
        """A read-only cursor of Odoo's read replica (``--db_replica_host``)
        for the full read of ``run``, or ``None`` (read on the primary): when
        there is no replica, for a scoped read (small, and its scope table
        lives on the primary), and when the replica lags more than the
        ``customer_abc.replica_max_lag`` seconds (default 300) the system
        parameter allows (logged).  Reading from a lagging replica moves the
        run's watermark back, so that the next nightly run still sees every
        change the replica had not replayed.  ``record=False`` (a later read
        of the same run) leaves the run's ``read_from`` and watermark alone."""
        if run is None or scoped or not compat.replica_configured(self.env.registry):
            yield None
            return
        cr = self.env.registry.cursor(readonly=True)
        try:
            lag, replayed = self._replica_lag(cr)
        except Exception:
            cr.close()
            raise
        allowed = float(self.env["ir.config_parameter"].sudo().get_param("customer_abc.replica_max_lag", 300))
        if lag is None or lag > allowed:
            # closed before the primary goes on: in test mode the read-only cursor shares its connection
            cr.close()
            if lag is not None and record:
                _logger.warning(
                    "customer_abc: the read replica lags %.0f s behind (more than the %.0f s allowed): "
                    "%s is read from the primary",
                    lag,
                    allowed,
                    run.company_id.name,
                )
                run.write({"read_from": "primary"})
            yield None
            return
        values = {"read_from": "replica"}
        if lag and replayed:
            values["watermark"] = min(run.watermark, replayed - REPLICA_WATERMARK_MARGIN)
        if record:
            run.write(values)
        try:
            yield cr
        finally:
            cr.close()

    def _replica_lag(self, replica_cr):
        """``(seconds, replayed)``: how far the replica is behind the primary
        (0 when it has replayed everything the primary had written when
        asked) and the time of its last replayed transaction (naive UTC), or
        ``(None, None)`` when the cursor is not on a standby."""
        replica_cr.execute("SELECT pg_is_in_recovery()")
        if not replica_cr.fetchone()[0]:
            return None, None
        self.env.cr.execute("SELECT pg_current_wal_lsn()::text, now() AT TIME ZONE 'UTC'")
        primary_lsn, primary_now = self.env.cr.fetchone()
        replica_cr.execute(
            SQL(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn, pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC'",
                primary_lsn,
            )
        )
        caught_up, replayed = replica_cr.fetchone()
        if caught_up:
            return 0.0, replayed
        return max((primary_now - replayed).total_seconds(), 0.0) if replayed else float("inf"), replayed

    def _overflow_error(self, settings):
        company = self.env["res.company"].browse(settings.company_id)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT so.name, %(amount)s
                  %(orders)s
              ORDER BY ABS(%(amount)s) DESC, so.id
                 LIMIT 3
                """,
                amount=sql.company_amount("so"),
                orders=sql.confirmed_orders(settings.company_id, settings.states, settings.until_utc),
            )
        )
        message = self.env._(
            "The classification of %(company)s stopped: the untaxed amounts of its orders are too large to be "
            "added up exactly to the cent (largest: %(orders)s). Correct or cancel these orders; the other "
            "companies are classified as usual.",
            company=company.name,
            orders=", ".join(f"{name} ({company.currency_id.format(float(amount))})" for name, amount in rows),
        )
        _logger.error("customer_abc: %s", message)
        return AmountOverflowError(message)

    def _ranking_movers(self, run, settings, reader, wanted, todo):
        """For a scoped run: the customers outside the scope whose rank or
        amount before them in a graded period moves because of the scope's
        new amounts (their cumulative share, perhaps their grade, moves), or
        ``None`` when a period's total changed (then every buyer's share did).
        The new rankings are kept for the compute steps."""
        movers = set()
        scope_ids = reader.scope_ids()
        rankings = {}
        for bounds in todo:
            stored = reader.stored_buyers(bounds)
            old = classification.rank_buyers(stored["partner_id"], stored["amount"], stored["order_count"])
            merged = merge_buyers(stored, reader.stage_buyers(wanted.index(bounds)), scope_ids)
            new = rankings[bounds] = classification.rank_buyers(
                merged["partner_id"], merged["amount"], merged["order_count"]
            )
            if old.attrs["total"] != new.attrs["total"]:
                return None
            outside = old.index.difference(scope_ids)
            before = old.loc[outside, ["rank", "amount_before"]]
            after = new.reindex(outside)[["rank", "amount_before"]].fillna(0).astype("int64")
            moved = (before["rank"].to_numpy() != after["rank"].to_numpy()) | (
                before["amount_before"].to_numpy() != after["amount_before"].to_numpy()
            )
            movers.update(int(partner_id) for partner_id in outside[moved])
        if not movers:
            # the scope stays: these rankings are those of the compute steps
            _RANKINGS.clear()
            _RANKINGS[(self.env.cr.dbname, run.id)] = rankings
        return movers

    def _rank_period(self, reader, index, scoped, bounds):
        arrays = reader.period_buyers(index, scoped, bounds)
        return classification.rank_buyers(arrays["partner_id"], arrays["amount"], arrays["order_count"])

    def _rankings(self, run, reader, wanted, todo, scoped):
        key = (self.env.cr.dbname, run.id)
        if key not in _RANKINGS:
            _RANKINGS.clear()
            _RANKINGS[key] = {
                bounds: self._rank_period(reader, wanted.index(bounds), scoped, bounds) for bounds in todo
            }
        return _RANKINGS[key]

    def _step_compute(self, run, clock):
        settings = self._settings(run)
        plan = dict(run.plan)
        wanted = _periods(plan["wanted"])
        todo = _periods(plan["todo"])
        reader = Reader(self.env, settings, run.id)
        writer = Writer(self.env, settings, run.id)
        if not table_exists(self.env.cr, reader.input):
            # the stage is gone (a database restart empties unlogged tables): read again
            run.write({"step": "read"})
            return
        if plan.get("rfm_todo"):
            # one as-of day per step: a narrow pass over a year of orders each
            start = plan["rfm_todo"][0]
            self._stage_rfm(run, reader, writer, wanted, todo, start and fields.Date.to_date(start))
            clock.mark("rfm")
            plan["rfm_todo"] = plan["rfm_todo"][1:]
            run.write({"plan": plan})
            return
        index = plan.get("chunk", 0)
        if index < len(plan["chunks"]):
            ranked = self._rankings(run, reader, wanted, todo, plan["scoped"])
            first, last = plan["chunks"][index]
            chunk = reader.read_chunk(wanted, first, last)
            clock.mark("aggregate")
            previous = periods.previous_period(todo[0][0], settings.period)
            history = classification.grade_chunk(
                chunk,
                wanted,
                todo,
                ranked,
                self._stored_grades(settings, previous, first, last),
                settings.method,
                settings.thresholds,
                settings.shares,
                settings.rules,
            )
            chunk["previous_amount"] = chunk[f"amount_{wanted.index(settings.previous_bounds)}"]
            graded = history[history["period_start"] == todo[-1][0]]
            profile_rows = profiles.build_profiles(chunk, graded, settings.today, settings.rules)
            self._add_rhythm(profile_rows, settings)
            clock.mark("grading")
            writer.stage_history(history, (first, last))
            writer.stage_profiles(profile_rows, (first, last))
            clock.mark("history")
            plan["chunk"] = index + 1
        if plan["chunk"] >= len(plan["chunks"]):
            run.write({"plan": plan, "step": "publish", "periods_done": 0})
        else:
            run.write({"plan": plan})

    def _stage_rfm(self, run, reader, writer, wanted, todo, period_start):
        """Score and stage the RFM population of the company as of the last
        day of the graded period starting ``period_start``, or as of the
        run's today (``None``): every customer is ranked against all others,
        so a scoped run scores the scope's new figures with everyone else's
        stored ones (:meth:`Reader.rfm_population`)."""
        bounds = None if period_start is None else next(pair for pair in todo if pair[0] == period_start)
        columns = ["partner_id", "recency_days", "frequency", "monetary"]
        population, stored = reader.rfm_population(wanted, bounds, run.plan["scoped"])
        population = pd.DataFrame(population, columns=columns)
        if population.empty:
            return
        scored = rfm.score(population)
        if stored is not None:
            # a scoped run writes the scope's scores and the others' that moved, nothing else
            scored = _rfm_moves(scored, stored)
        writer.stage_rfm(period_start, scored)

    def _add_rhythm(self, rows, settings):
        """The next expected order of each profile row (``rows``, in place),
        from the order days and gaps the stage read."""
        frame = rows[["partner_id", "order_days", "median_gap", "last_order_date", "gap_p25", "gap_p75"]]
        expected = rhythm.from_aggregates(frame, settings.today)
        rows["order_day_count"] = expected["order_days"].to_numpy()
        rows["gap_p25_days"] = expected["gap_p25"].to_numpy()
        rows["gap_p75_days"] = expected["gap_p75"].to_numpy()
        days = expected["expected_date"]
        rows["expected_order_date"] = pd.Series(days.dt.date, dtype=object).where(days.notna(), None).to_numpy()

    def _step_publish(self, run, clock):
        """Publish the staged results.  Normally in one transaction (users
        see the previous run until its commit, then this one).  When a full
        run rewrites more rows than one transaction should hold (a first run
        or a regrade of a large book), one chunk of customers per step, with
        the run marked as publishing (the screens say the figures are being
        replaced), then the rest: customers gone, the playbook."""
        settings = self._settings(run)
        plan = dict(run.plan)
        todo = _periods(plan["todo"])
        starts = [start for start, _end in todo]
        writer = Writer(self.env, settings, run.id)
        writer.publication_settings()
        publish = plan.get("publish")
        if publish is None:
            # statistics of what the compute steps staged, and of the live tables when the
            # planner believes them to hold fewer of the company's rows than customers are
            # published (a first run): the publication's joins are planned on them
            writer.index_kept()
            writer.analyze(stage=True, live=writer.believed_rows() < run.customers)
            mode = "atomic"
            if not plan["scoped"] and writer.count_changes(starts) > PUBLISH_ATOMIC_ROWS:
                mode = "chunked"
            publish = plan["publish"] = {"mode": mode, "chunk": 0, "kept": writer.kept_any()}
            if mode == "chunked":
                # this step, a step per chunk and the last one, instead of the planned atomic ones
                steps = 1 + len(plan["chunks"]) + 1
                run.write({"plan": plan, "steps_total": run.steps_total - _atomic_publication_steps(run, todo) + steps})
                clock.mark("history")
                return
        scoped = plan["scoped"]
        if publish["mode"] == "chunked" and publish["chunk"] < len(plan["chunks"]):
            partners = tuple(plan["chunks"][publish["chunk"]])
            history_written = writer.upsert_history(starts, partners)
            clock.mark("history")
            profiles_written = writer.upsert_profiles(partners)
            writer.sync_rfm(starts, partners)
            publish["chunk"] += 1
            if publish.get("kept", True) or publish["chunk"] == len(plan["chunks"]):
                # the company's rows grow chunk by chunk: what plans on them must know it.  The
                # next chunk's RFM sync joins them to the kept rows (none kept, as in a first
                # run: no sync, and the upserts read only the stage); the last step's deletes
                # join them to the stage (a nested loop over rows believed absent would scan
                # the stage for each)
                writer.analyze()
            clock.mark("profiles")
            run.write(
                {
                    "plan": plan,
                    "history_written": run.history_written + history_written,
                    "profiles_written": run.profiles_written + profiles_written,
                }
            )
            return
        done = run.periods_done
        if publish["mode"] == "atomic" and run.backfill and done < len(todo) - 1:
            # older backfilled periods one per step; the graded one with the profiles
            writer.delete_gone_history([starts[done]], scoped)
            written = writer.upsert_history([starts[done]])
            if writer.statistics_stale(written, ANALYZE_MIN_ROWS):
                # the company's rows grow period by period: plan the next period's upsert on them
                writer.analyze()
            clock.mark("history")
            run.write({"plan": plan, "periods_done": done + 1, "history_written": run.history_written + written})
            return
        remaining = starts if publish["mode"] == "chunked" else starts[done:]
        writer.delete_gone_history(remaining, scoped)
        history_written = writer.upsert_history(remaining) if publish["mode"] == "atomic" else 0
        clock.mark("history")
        writer.delete_gone_profiles(scoped)
        profiles_written = writer.upsert_profiles() if publish["mode"] == "atomic" else 0
        if publish["mode"] == "atomic":
            writer.sync_rfm(starts, scoped=scoped)
        self._invalidate()
        written = run.history_written + history_written + run.profiles_written + profiles_written
        if writer.statistics_stale(written, ANALYZE_MIN_ROWS):
            # fresh statistics for the next run's plans (autovacuum would come later)
            writer.analyze()
        clock.mark("profiles")
        company = run.company_id
        if not run.backfill:
            Action = self.env["customer.abc.action"]

            # the follow-ups' team leaders and outcomes read orders: on the replica too
            def replica():
                return self._replica_source(run, scoped, record=False)

            Action._abc_schedule_followups(company, settings, writer.scope if scoped else None, replica=replica)
            Action._abc_evaluate(company, settings.today, settings.states, settings.tz, replica=replica)
            clock.mark("playbook")
        run.write(
            {
                "state": "done",
                "step": False,
                "plan": plan,
                "periods_done": len(todo),
                "history_written": run.history_written + history_written,
                "profiles_written": run.profiles_written + profiles_written,
                "finished_at": fields.Datetime.now(),
                "phase_seconds": clock.seconds,
            }
        )
        self._drop_stage(run)
        _logger.info(
            "customer_abc: classified %s (%s, %s, published %s), period %s, %d customers read, %d history and "
            "%d profile rows written (%s)",
            company.name,
            run.kind,
            run.scope,
            publish["mode"],
            settings.period_bounds[0],
            run.customers,
            run.history_written,
            run.profiles_written,
            ", ".join(f"{name} {seconds:.2f}s" for name, seconds in clock.seconds.items()),
        )
        self._notify(run)

    # ------------------------------------------------------------
    # TOOLING
    # ------------------------------------------------------------

    def _has_history(self, company, bounds):
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

    def _stored_grades(self, settings, bounds, first, last):
        """The grades stored for the period ``bounds``, for the partner ids
        ``first`` .. ``last``: a Series indexed by partner id (read by
        ``COPY``: a chunk holds 100,000 of them)."""
        stored = read_frame(
            self.env.cr,
            SQL(
                "SELECT partner_id, grade FROM customer_abc_history "
                "WHERE company_id = %s AND period_start = %s AND period_end = %s AND partner_id BETWEEN %s AND %s",
                settings.company_id,
                bounds[0],
                bounds[1],
                first,
                last,
            ),
            text=["grade"],
        )
        return pd.Series(stored["grade"].to_numpy(dtype=object), index=stored["partner_id"].to_numpy())

    def _invalidate(self):
        self.env["customer.abc.history"].invalidate_model()
        self.env["customer.abc.profile"].invalidate_model()
        partner_fields = [*self.env["res.partner"]._abc_profile_field_map(), "abc_profile_id", "abc_history_ids"]
        self.env["res.partner"].invalidate_model(partner_fields)

    def _drop_stage(self, run):
        _RANKINGS.pop((self.env.cr.dbname, run.id), None)
        self.env.cr.execute(
            SQL(
                "SELECT tablename FROM pg_tables WHERE tablename LIKE %s",
                f"{STAGE_PREFIX}\\_%\\_{int(run.id)}",
            )
        )
        for (name,) in self.env.cr.fetchall():
            self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(name)))


NUMERIC_VALUE_OUT_OF_RANGE = "22003"
#: per-customer sums are int64 minor units: the sum of a company's amounts must
#: stay below this so that no total, cumulative share or product overflows
SAFE_TOTAL_MINOR_UNITS = 2**62


def _rfm_moves(scored, stored):
    """The rows of ``scored`` (:func:`..analytics.rfm.score`) of customers
    without stored scores in ``stored`` (arrays ``partner_id``, ``r_score``,
    ``f_score``, ``m_score``) or whose scores differ from them (the code and
    the segment follow from the scores)."""
    previous = pd.DataFrame(stored).set_index("partner_id")
    joined = scored[["partner_id", "r_score", "f_score", "m_score"]].join(previous, on="partner_id", rsuffix="_was")
    moved = joined["r_score_was"].isna().to_numpy()
    for name in ("r_score", "f_score", "m_score"):
        moved |= joined[name].to_numpy() != joined[f"{name}_was"].to_numpy()
    return scored[moved]


def _atomic_publication_steps(run, todo):
    """Steps of a publication in one go of the periods ``todo``: one, and
    for a backfill one more per older period (published a step each)."""
    return 1 + (len(todo) - 1 if run.backfill else 0)


def _chunk_customers(period_count):
    """Customers per chunk when ``period_count`` periods are read."""
    return max(1, min(CHUNK_CUSTOMERS, CHUNK_ROWS // max(1, period_count)))


def _periods(pairs):
    return [(fields.Date.to_date(start), fields.Date.to_date(end)) for start, end in pairs]


def _read_profile_dates(env, company):
    """The stored order dates, order count, median gap and lifecycle of
    every profile of ``company`` (narrow: for the lifecycle pass)."""
    frame = read_frame(
        env.cr,
        SQL(
            """
            SELECT partner_id, first_order_date, last_order_date, lifetime_order_count AS lifetime_count,
                   median_gap_days AS median_gap, lifecycle
              FROM customer_abc_profile
             -- churned and never traded customers stay so as time passes (only orders move them)
             WHERE company_id = %s AND lifecycle IN ('new', 'active', 'at_risk')
            """,
            company.id,
        ),
        dates=["first_order_date", "last_order_date"],
        text=["lifecycle"],
    )
    frame["median_gap"] = pd.to_numeric(frame["median_gap"], errors="coerce")
    return frame
