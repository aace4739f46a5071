"""The reading side of a classification run: which customers to look at,
and their per-customer figures, staged in a table of the database.

Nothing here holds every customer in Python memory: the one aggregate over
the orders writes its rows into an unlogged stage table (PostgreSQL does the
heavy part), the engine then reads that table in chunks of customers
(keyset ranges of partner ids), and the global figures that ranking needs
(every buyer's amount of a period) are read as narrow integer arrays.
"""

import io
import logging
import tempfile
from datetime import date, timedelta

import numpy as np
import pandas as pd

from odoo.tools import SQL

from ..analytics import rfm
from . import sql

_logger = logging.getLogger(__name__)

#: work_mem of the transaction of the stage aggregate (sorts and hashes of a
#: million customers' figures)
AGGREGATE_WORK_MEM = "64MB"
#: parallel_tuple_cost of that transaction (PostgreSQL's default: 0.1)
AGGREGATE_PARALLEL_TUPLE_COST = 0.01

#: prefix of the stage tables of the runs (unlogged, dropped when a run ends
#: and by the uninstall hook)
STAGE_PREFIX = "customer_abc_stage"


def stage_table(run_id, kind):
    """Name of the stage table ``kind`` (``scope``, ``input``, ``history``,
    ``profile``) of the run ``run_id``."""
    return f"{STAGE_PREFIX}_{kind}_{int(run_id)}"


def aggregate_settings(cr):
    """Planner settings of the transaction of ``cr`` for the stage input
    aggregate: a larger ``work_mem`` keeps a large book's aggregate in memory
    (the default 4 MB spills it to disk); no JIT (compiling the query's
    hundred-odd expressions costs more than it saves: measured 8 %); and
    rows passed from parallel workers costed at a tenth of the default, so
    that the order-day gaps are sorted by the workers too (the planner
    otherwise sorts them in one process: the aggregate took 17 % longer at
    100,000 customers and 20 % at 1,000,000)."""
    cr.execute(SQL("SET LOCAL work_mem = %s", AGGREGATE_WORK_MEM))
    cr.execute(SQL("SET LOCAL jit = off"))
    cr.execute(SQL("SET LOCAL parallel_tuple_cost = %s", AGGREGATE_PARALLEL_TUPLE_COST))


def table_exists(cr, name):
    cr.execute(SQL("SELECT to_regclass(%s) IS NOT NULL", name))
    return cr.fetchone()[0]


def read_frame(cr, query, dates=(), text=()):
    """The rows of ``query`` as a DataFrame, streamed by ``COPY ... TO
    STDOUT`` and parsed by pandas' C reader.  ``dates`` name date columns
    (returned as :class:`datetime.date` or ``None``), ``text`` columns are
    kept as strings.  Meant for bounded results (a chunk of customers)."""
    copy = SQL("COPY (%s) TO STDOUT WITH (FORMAT csv, HEADER)", query)
    buffer = io.StringIO()
    cr.copy_expert(cr.mogrify(copy.code, copy.params).decode(), buffer)
    buffer.seek(0)
    frame = pd.read_csv(buffer, dtype=dict.fromkeys([*dates, *text], str), keep_default_na=True)
    for name in dates:
        days = pd.to_datetime(frame[name], format="%Y-%m-%d")
        frame[name] = pd.Series(days.dt.date, index=frame.index, dtype=object).where(days.notna(), None)
    return frame


def read_arrays(cr, query, columns):
    """The integer columns of ``query`` as numpy int64 arrays (``COPY``
    parsed by pandas' C reader): for the narrow global passes."""
    copy = SQL("COPY (%s) TO STDOUT WITH (FORMAT csv)", query)
    buffer = io.StringIO()
    cr.copy_expert(cr.mogrify(copy.code, copy.params).decode(), buffer)
    if not buffer.tell():
        return {name: np.zeros(0, dtype=np.int64) for name in columns}
    buffer.seek(0)
    frame = pd.read_csv(buffer, header=None, names=columns, dtype=np.int64)
    return {name: frame[name].to_numpy() for name in columns}


def copy_out(source, query):
    """The rows of ``query`` run on the cursor ``source``, in a temporary
    file (``COPY ... TO STDOUT``: the memory does not grow with the rows)."""
    copy = SQL("COPY (%s) TO STDOUT", query)
    spool = tempfile.TemporaryFile(mode="w+b")
    source.copy_expert(source.mogrify(copy.code, copy.params).decode(), spool)
    spool.seek(0)
    return spool


def copy_in(target, spool, table):
    """Load the rows of ``spool`` (:func:`copy_out`) into ``table`` on the
    cursor ``target`` and close it.  Returns the number of rows of the table."""
    with spool:
        target.copy_expert(SQL("COPY %s FROM STDIN", SQL.identifier(table)).code, spool)
    target.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(table)))
    return target.fetchone()[0]


class Reader:
    """Reads the figures of one run of one company (see :class:`RunSettings`)."""

    def __init__(self, env, settings, run_id):
        self.env = env
        self.cr = env.cr
        self.settings = settings
        self.run_id = run_id
        self.input = stage_table(run_id, "input")
        self.scope = stage_table(run_id, "scope")

    # ------------------------------------------------------------
    # scope
    # ------------------------------------------------------------

    def create_scope(self, partner_ids=None, query=None):
        """(Re)create the scope table of the run: the commercial partners of
        ``partner_ids`` and of the rows of ``query`` (one ``partner_id``
        column).  Returns its size."""
        cr = self.cr
        cr.execute(
            SQL(
                "CREATE UNLOGGED TABLE IF NOT EXISTS %s (partner_id int4 PRIMARY KEY)",
                SQL.identifier(self.scope),
            )
        )
        if partner_ids:
            cr.execute(
                SQL(
                    "INSERT INTO %s SELECT DISTINCT unnest(%s::int4[]) ON CONFLICT DO NOTHING",
                    SQL.identifier(self.scope),
                    list(partner_ids),
                )
            )
        if query is not None:
            cr.execute(
                SQL(
                    "INSERT INTO %s SELECT DISTINCT q.partner_id FROM (%s) q WHERE q.partner_id IS NOT NULL "
                    "ON CONFLICT DO NOTHING",
                    SQL.identifier(self.scope),
                    query,
                )
            )
        cr.execute(SQL("ANALYZE %s", SQL.identifier(self.scope)))
        cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(self.scope)))
        return cr.fetchone()[0]

    def changed_customers_query(self, since, last_today):
        """The commercial partners whose figures may have changed since the
        run that read the data at ``since`` (a UTC timestamp) as of
        ``last_today``: orders written since (new, confirmed, cancelled,
        edited), orders dated after ``last_today`` (written before, but
        counted only from now on), orders that crossed a trend window's edge
        since, and partners written since (new customers, archived, moved
        contacts)."""
        settings = self.settings
        days = settings.trend_days
        # local order days that left the current window, and the earlier one, since last_today
        crossed = []
        for offset in (days, 2 * days):
            first, last = last_today.toordinal() - offset + 1, settings.today.toordinal() - offset
            if first <= last:
                crossed.append((first, last))
        # orders dated after the last run's today came into view since
        crossing = SQL("so.date_order >= %s", settings.utc(last_today + timedelta(days=1)))
        for first, last in crossed:
            crossing = SQL(
                "%s OR (so.date_order >= %s AND so.date_order < %s)",
                crossing,
                settings.utc(date.fromordinal(first)),
                settings.utc(date.fromordinal(last + 1)),
            )
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
             WHERE so.company_id = %(company)s AND so.write_date >= %(since)s
            UNION
            SELECT p.commercial_partner_id
              %(orders)s
            UNION
            SELECT p.commercial_partner_id FROM res_partner p WHERE p.write_date >= %(since)s
            UNION
            SELECT p.id FROM res_partner p WHERE p.write_date >= %(since)s
            """,
            company=settings.company_id,
            since=since,
            orders=sql.confirmed_orders(
                settings.company_id, settings.states, settings.until_utc, SQL("(%s)", crossing)
            ),
        )

    # ------------------------------------------------------------
    # the stage input: one row per customer
    # ------------------------------------------------------------

    def input_columns(self, wanted):
        """(name, SQL type) of the stage input table for the periods ``wanted``."""
        columns = [
            ("partner_id", "int4"),
            ("customer", "bool"),
            ("created", "date"),
            ("first_order_date", "date"),
            ("last_order_date", "date"),
            ("lifetime_count", "int4"),
            ("lifetime_amount", "int8"),
        ]
        for index in range(len(wanted)):
            columns += [
                (f"amount_{index}", "int8"),
                (f"count_{index}", "int4"),
                (f"last_{index}", "date"),
                (f"orders_{index}", "int4"),
                (f"rfm_orders_{index}", "int4"),
                (f"rfm_amount_{index}", "int8"),
            ]
        columns += [
            ("rfm_orders_today", "int4"),
            ("rfm_amount_today", "int8"),
            ("trend_amount_current", "int8"),
            ("trend_orders_current", "int4"),
            ("trend_amount_previous", "int8"),
            ("trend_orders_previous", "int4"),
            ("median_gap", "float8"),
            ("order_days", "int4"),
            ("gap_p25", "float8"),
            ("gap_p75", "float8"),
            ("receivable_amount", "int8"),
            ("overdue_amount", "int8"),
            ("last_visit_date", "date"),
            ("last_coupon_date", "date"),
        ]
        return columns

    def spool_inputs(self, wanted, source):
        """Run the stage input query on ``source`` (a read-only cursor of a
        replica) into a temporary file, for :meth:`stage_inputs`."""
        for model in ("sale.order", "res.partner", "account.move.line", "customer.abc.action", "loyalty.card"):
            self.env[model].flush_model()
        aggregate_settings(source)
        return copy_out(source, self.input_query(wanted))

    def stage_inputs(self, wanted, scoped, spool=None):
        """Create and fill the stage input table: one row per customer of the
        company (customer rank > 0) and per commercial partner with confirmed
        orders, or only those of the scope table when ``scoped``.  Amounts
        are integer minor units of the company currency.  ``spool`` (rows of
        :meth:`spool_inputs`, read on a replica) is loaded instead of running
        the aggregate here.  Returns the number of rows."""
        cr = self.cr
        for model in ("sale.order", "res.partner", "account.move.line", "customer.abc.action", "loyalty.card"):
            self.env[model].flush_model()
        columns = self.input_columns(wanted)
        cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(self.input)))
        if spool is None:
            # CREATE TABLE AS, not INSERT ... SELECT: PostgreSQL may read the orders with
            # parallel workers for the former only
            aggregate_settings(cr)
            query = self.input_query(wanted, SQL.identifier(self.scope) if scoped else None)
            cr.execute(
                SQL(
                    "CREATE UNLOGGED TABLE %s AS SELECT %s FROM (%s) AS q(%s)",
                    SQL.identifier(self.input),
                    SQL(", ").join(
                        SQL("%s::%s AS %s", SQL.identifier("q", name), SQL(kind), SQL.identifier(name))
                        for name, kind in columns
                    ),
                    query,
                    SQL(", ").join(SQL.identifier(name) for name, _kind in columns),
                )
            )
            count = cr.rowcount
        else:
            cr.execute(
                SQL(
                    "CREATE UNLOGGED TABLE %s (%s)",
                    SQL.identifier(self.input),
                    SQL(", ").join(SQL("%s %s", SQL.identifier(name), SQL(kind)) for name, kind in columns),
                )
            )
            count = copy_in(cr, spool, self.input)
        cr.execute(SQL("CREATE UNIQUE INDEX ON %s (partner_id)", SQL.identifier(self.input)))
        # the chunks are read by ranges of it; the other columns are read whole
        cr.execute(SQL("ANALYZE %s (partner_id)", SQL.identifier(self.input)))
        return count

    def input_query(self, wanted, scope=None):
        """The SELECT of the stage input rows (see :meth:`stage_inputs`)."""
        return SQL(
            """
            SELECT COALESCE(o.partner_id, c.partner_id), c.partner_id IS NOT NULL, c.created,
                   o.first_order_date, o.last_order_date, COALESCE(o.lifetime_count, 0),
                   COALESCE(o.lifetime_amount, 0),
                   %(period_columns)s,
                   COALESCE(o.rfm_orders_today, 0), COALESCE(o.rfm_amount_today, 0),
                   COALESCE(o.trend_amount_current, 0), COALESCE(o.trend_orders_current, 0),
                   COALESCE(o.trend_amount_previous, 0), COALESCE(o.trend_orders_previous, 0),
                   g.median_gap, COALESCE(g.order_days, CASE WHEN o.partner_id IS NULL THEN 0 ELSE 1 END),
                   g.gap_p25, g.gap_p75,
                   COALESCE(r.receivable_amount, 0), COALESCE(r.overdue_amount, 0),
                   v.last_visit_date, k.last_coupon_date
              FROM (%(orders)s) o
              FULL JOIN (%(population)s) c ON c.partner_id = o.partner_id
              LEFT JOIN (%(gaps)s) g ON g.partner_id = COALESCE(o.partner_id, c.partner_id)
              LEFT JOIN (%(receivables)s) r ON r.partner_id = COALESCE(o.partner_id, c.partner_id)
              LEFT JOIN (%(visits)s) v ON v.partner_id = COALESCE(o.partner_id, c.partner_id)
              LEFT JOIN (%(coupons)s) k ON k.partner_id = COALESCE(o.partner_id, c.partner_id)
            """,
            period_columns=SQL(", ").join(
                SQL(
                    "COALESCE(o.amount_%(i)s, 0), COALESCE(o.count_%(i)s, 0), o.last_%(i)s, "
                    "COALESCE(o.orders_%(i)s, 0), COALESCE(o.rfm_orders_%(i)s, 0), COALESCE(o.rfm_amount_%(i)s, 0)",
                    i=SQL(str(index)),
                )
                for index in range(len(wanted))
            ),
            orders=self.order_stats_query(wanted, scope),
            population=self.population_query(scope),
            gaps=self.median_gap_query(scope),
            receivables=self.receivable_query(scope),
            visits=self.visit_query(scope),
            coupons=self.coupon_query(scope),
        )

    def _in_scope(self, column, scope):
        if scope is None:
            return SQL()
        return SQL("AND %s IN (SELECT partner_id FROM %s)", column, scope)

    def order_stats_query(self, wanted, scope=None):
        """One aggregate over the company's confirmed orders: one row per
        commercial partner with lifetime figures, the amount, order count,
        last order date and orders before the end of each wanted period, and
        the two trend windows.  Day boundaries are turned into UTC timestamps
        once, so that the filters compare ``date_order`` directly; only the
        aggregated dates are converted to the company's timezone."""
        settings = self.settings
        columns = []

        def local(stamp):
            return sql.local_date(stamp, settings.tz)

        def window(amount_name, count_name, start, end_exclusive):
            inside = SQL("o.stamp >= %s AND o.stamp < %s", settings.utc(start), settings.utc(end_exclusive))
            columns.append(
                SQL("COALESCE(SUM(o.amount) FILTER (WHERE %s), 0)::bigint AS %s", inside, SQL.identifier(amount_name))
            )
            columns.append(SQL("COUNT(*) FILTER (WHERE %s) AS %s", inside, SQL.identifier(count_name)))

        for index, (start, end) in enumerate(wanted):
            window(f"amount_{index}", f"count_{index}", start, end)
            before_end = SQL("o.stamp < %s", settings.utc(end))
            columns.append(
                SQL(
                    "%s AS %s",
                    local(SQL("MAX(o.stamp) FILTER (WHERE %s)", before_end)),
                    SQL.identifier(f"last_{index}"),
                )
            )
            columns.append(SQL("COUNT(*) FILTER (WHERE %s) AS %s", before_end, SQL.identifier(f"orders_{index}")))
            # RFM as of the period's last day: the 12 months up to it
            window(f"rfm_amount_{index}", f"rfm_orders_{index}", *rfm.trailing_window(end - timedelta(days=1)))
        window("rfm_amount_today", "rfm_orders_today", *rfm.trailing_window(settings.today))
        (cur_first, cur_last), (old_first, old_last) = settings.trend_windows
        window("trend_amount_current", "trend_orders_current", cur_first, cur_last + timedelta(days=1))
        window("trend_amount_previous", "trend_orders_previous", old_first, old_last + timedelta(days=1))
        scoped = scope is not None
        return SQL(
            """
            SELECT o.partner_id,
                   %(first)s AS first_order_date,
                   %(last)s AS last_order_date,
                   COUNT(*) AS lifetime_count,
                   SUM(o.amount)::bigint AS lifetime_amount,
                   %(columns)s
              FROM (SELECT p.commercial_partner_id AS partner_id, so.date_order AS stamp,
                           %(amount)s AS amount
                      %(orders)s) o
          GROUP BY o.partner_id
            """,
            first=local(SQL("MIN(o.stamp)")),
            last=local(SQL("MAX(o.stamp)")),
            columns=SQL(", ").join(columns),
            amount=sql.minor_units(sql.company_amount("so"), settings.digits),
            orders=sql.confirmed_orders(
                settings.company_id,
                settings.states,
                settings.until_utc,
                SQL("p.commercial_partner_id IN (SELECT partner_id FROM %s)", scope) if scoped else None,
            ),
        )

    def median_gap_query(self, scope=None):
        """Median days between consecutive distinct local order days, per
        customer, with the quartiles of those gaps and the number of order
        days (customers with one order day get no row)."""
        settings = self.settings
        return SQL(
            """
            SELECT q.partner_id, q.quartiles[2] AS median_gap, q.order_days,
                   q.quartiles[1] AS gap_p25, q.quartiles[3] AS gap_p75
              FROM (
            SELECT gp.partner_id, COUNT(*) + 1 AS order_days,
                   percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY gp.gap) AS quartiles
              FROM (SELECT d.partner_id, d.local_date - lag(d.local_date) OVER w AS gap
                      FROM (SELECT DISTINCT p.commercial_partner_id AS partner_id, %(local_date)s AS local_date
                              %(orders)s) d
                    WINDOW w AS (PARTITION BY d.partner_id ORDER BY d.local_date)) gp
             WHERE gp.gap IS NOT NULL
          GROUP BY gp.partner_id) q
            """,
            local_date=sql.local_date(SQL("so.date_order"), settings.tz),
            orders=sql.confirmed_orders(
                settings.company_id,
                settings.states,
                settings.until_utc,
                SQL("p.commercial_partner_id IN (SELECT partner_id FROM %s)", scope) if scope is not None else None,
            ),
        )

    def window_leavers_query(self, since):
        """Customers with a confirmed order that has left the trailing 12
        months between the run of ``since`` (a local date) and today: their
        frequency and amount of the year changed with no change of theirs."""
        settings = self.settings
        old_start = rfm.trailing_window(since)[0]
        new_start = rfm.trailing_window(settings.today)[0]
        return SQL(
            "SELECT DISTINCT p.commercial_partner_id AS partner_id %s",
            sql.confirmed_orders(
                settings.company_id,
                settings.states,
                settings.utc(new_start),
                SQL("so.date_order >= %s", settings.utc(min(old_start, new_start))),
            ),
        )

    def rfm_population(self, wanted, bounds, scoped):
        """The RFM population of the company (numpy arrays ``partner_id``,
        ``recency_days``, ``frequency``, ``monetary``) as of the last day of
        the wanted period ``bounds``, or of today (``None``), from the stage
        input rows.  For a scoped run, the customers outside the scope keep
        their stored figures: of the history of the period (as of its end,
        fixed), or of their profile (as of the last run: the scope holds
        every customer whose figures of the year changed since).

        Returns ``(population, stored)``: ``stored`` is ``None`` for a full
        run; for a scoped run, the stored scores (arrays ``partner_id``,
        ``r_score``, ``f_score``, ``m_score``; 0 where none is stored) of the
        customers outside the scope, so that only the scores that move are
        written."""
        settings = self.settings
        columns = ["partner_id", "recency_days", "frequency", "monetary"]
        if bounds is None:
            last_day, last, orders, amount = settings.today, "last_order_date", "rfm_orders_today", "rfm_amount_today"
        else:
            index = wanted.index(bounds)
            last_day = bounds[1] - timedelta(days=1)
            last, orders, amount = f"last_{index}", f"rfm_orders_{index}", f"rfm_amount_{index}"
        staged = read_arrays(
            self.cr,
            SQL(
                "SELECT partner_id, %(day)s::date - %(last)s, %(orders)s, %(amount)s FROM %(table)s "
                "WHERE %(orders)s > 0",
                day=last_day,
                last=SQL.identifier(last),
                orders=SQL.identifier(orders),
                amount=SQL.identifier(amount),
                table=SQL.identifier(self.input),
            ),
            columns,
        )
        if not scoped:
            return staged, None
        if bounds is None:
            stored = SQL(
                """
                SELECT partner_id, %(day)s::date - last_order_date, rfm_frequency,
                       ROUND(rfm_monetary * %(scale)s)::bigint,
                       COALESCE(r_score, 0), COALESCE(f_score, 0), COALESCE(m_score, 0)
                  FROM customer_abc_profile WHERE company_id = %(company)s AND rfm_frequency > 0
                """,
                day=last_day,
                scale=settings.scale,
                company=settings.company_id,
            )
        else:
            stored = SQL(
                """
                SELECT partner_id, rfm_recency_days, rfm_frequency, ROUND(rfm_monetary * %(scale)s)::bigint,
                       COALESCE(r_score, 0), COALESCE(f_score, 0), COALESCE(m_score, 0)
                  FROM customer_abc_history
                 WHERE company_id = %(company)s AND period_start = %(start)s AND rfm_frequency > 0
                """,
                scale=settings.scale,
                company=settings.company_id,
                start=bounds[0],
            )
        scores = ["r_score", "f_score", "m_score"]
        stored = read_arrays(self.cr, stored, [*columns, *scores])
        outside = ~np.isin(stored["partner_id"], self.scope_ids())
        population = {name: np.concatenate([stored[name][outside], staged[name]]) for name in columns}
        return population, {name: stored[name][outside] for name in ["partner_id", *scores]}

    def population_query(self, scope=None):
        """Commercial partners that are customers of the company (a contact
        with customer rank > 0, active, shared or of the company), with their
        local creation date."""
        settings = self.settings
        return SQL(
            """
            SELECT cp.id AS partner_id, %(created)s AS created
              FROM res_partner cp
             WHERE cp.active
               AND (cp.company_id IS NULL OR cp.company_id = %(company)s)
               AND cp.id IN (SELECT p.commercial_partner_id FROM res_partner p
                              WHERE p.customer_rank > 0 AND p.active %(scope_inner)s)
               %(scope)s
            """,
            created=sql.local_date(SQL.identifier("cp", "create_date"), settings.tz),
            company=settings.company_id,
            scope=self._in_scope(SQL("cp.id"), scope),
            scope_inner=self._in_scope(SQL("p.commercial_partner_id"), scope),
        )

    def receivable_query(self, scope=None):
        """Open receivable and overdue amount per commercial partner (posted,
        unreconciled receivable journal items, company currency)."""
        settings = self.settings
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
               %(scope)s
          GROUP BY p.commercial_partner_id
            """,
            receivable=sql.minor_units(SQL("SUM(aml.amount_residual)"), settings.digits),
            overdue=sql.minor_units(
                SQL(
                    "SUM(aml.amount_residual) FILTER (WHERE aml.amount_residual > 0 "
                    "AND COALESCE(aml.date_maturity, aml.date) < %s)",
                    settings.today,
                ),
                settings.digits,
            ),
            company=settings.company_id,
            scope=self._in_scope(SQL("p.commercial_partner_id"), scope),
        )

    def visit_query(self, scope=None):
        """Last visit per commercial partner in the company: the playbook's
        done visits (follow-ups marked done, visits logged with the wizard or
        done from the chatter, each recorded for the company it was done in)."""
        return SQL(
            """
            SELECT a.partner_id, MAX(a.done_date) AS last_visit_date
              FROM customer_abc_action a
             WHERE a.company_id = %(company)s AND a.kind = 'visit' AND a.done_date IS NOT NULL %(scope)s
          GROUP BY a.partner_id
            """,
            company=self.settings.company_id,
            scope=self._in_scope(SQL("a.partner_id"), scope),
        )

    def coupon_query(self, scope=None):
        """Date of the last coupon reserved for each commercial partner by a
        program of the company (or shared)."""
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id, MAX(%(local_date)s) AS last_coupon_date
              FROM loyalty_card c
              JOIN loyalty_program lp ON lp.id = c.program_id
              JOIN res_partner p ON p.id = c.partner_id
             WHERE (lp.company_id IS NULL OR lp.company_id = %(company)s) %(scope)s
          GROUP BY p.commercial_partner_id
            """,
            local_date=sql.local_date(SQL.identifier("c", "create_date"), self.settings.tz),
            company=self.settings.company_id,
            scope=self._in_scope(SQL("p.commercial_partner_id"), scope),
        )

    # ------------------------------------------------------------
    # reading the stage back
    # ------------------------------------------------------------

    def chunk_bounds(self, size):
        """Keyset ranges ``(first, last)`` of partner ids covering the stage
        input table in chunks of about ``size`` customers."""
        self.cr.execute(
            SQL(
                """
                SELECT MIN(partner_id), MAX(partner_id)
                  FROM (SELECT partner_id, (row_number() OVER (ORDER BY partner_id) - 1) / %s AS chunk
                          FROM %s) t
              GROUP BY chunk ORDER BY chunk
                """,
                int(size),
                SQL.identifier(self.input),
            )
        )
        return [tuple(row) for row in self.cr.fetchall()]

    def read_chunk(self, wanted, first, last):
        """The stage input rows of the partner ids ``first`` .. ``last``."""
        dates = ["created", "first_order_date", "last_order_date", "last_visit_date", "last_coupon_date"]
        dates += [f"last_{index}" for index in range(len(wanted))]
        frame = read_frame(
            self.cr,
            SQL(
                "SELECT * FROM %s WHERE partner_id BETWEEN %s AND %s ORDER BY partner_id",
                SQL.identifier(self.input),
                first,
                last,
            ),
            dates=dates,
        )
        frame["customer"] = frame["customer"].astype(str).str.lower().isin(("t", "true"))
        for name in ("median_gap", "gap_p25", "gap_p75"):
            frame[name] = frame[name].astype("float64")
        return frame

    def stage_buyers(self, index):
        """The staged buyers of the wanted period ``index``: numpy arrays
        ``partner_id``, ``amount``, ``order_count``."""
        return read_arrays(
            self.cr,
            SQL(
                "SELECT partner_id, amount_%(i)s, count_%(i)s FROM %(table)s "
                "WHERE amount_%(i)s > 0 AND count_%(i)s > 0",
                i=SQL(str(index)),
                table=SQL.identifier(self.input),
            ),
            ["partner_id", "amount", "order_count"],
        )

    def stored_buyers(self, bounds):
        """The buyers of the period ``bounds`` as its history stores them."""
        return read_arrays(
            self.cr,
            SQL(
                """
                SELECT partner_id, ROUND(amount * %(scale)s)::bigint, order_count FROM customer_abc_history
                 WHERE company_id = %(company)s AND period_start = %(start)s AND amount > 0 AND order_count > 0
                """,
                scale=self.settings.scale,
                company=self.settings.company_id,
                start=bounds[0],
            ),
            ["partner_id", "amount", "order_count"],
        )

    def scope_ids(self):
        arrays = read_arrays(self.cr, SQL("SELECT partner_id FROM %s", SQL.identifier(self.scope)), ["partner_id"])
        return arrays["partner_id"]

    def period_buyers(self, index, scoped, bounds):
        """Every buyer of the company in the wanted period ``index`` (``bounds``
        ``(start, end)``): numpy arrays ``partner_id``, ``amount``,
        ``order_count``, for the ranking of the period.  For a scoped run,
        the customers outside the scope keep their stored amounts (the
        history of the period)."""
        staged = self.stage_buyers(index)
        if not scoped:
            return staged
        return merge_buyers(self.stored_buyers(bounds), staged, self.scope_ids())

    def drop(self):
        for name in (self.input, self.scope):
            self.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(name)))


def merge_buyers(stored, staged, scope_ids):
    """The buyers of ``stored`` outside ``scope_ids``, and those of ``staged``."""
    keep = ~np.isin(stored["partner_id"], scope_ids)
    return {name: np.concatenate([stored[name][keep], staged[name]]) for name in stored}
