"""The writing side of a classification run: chunks of results are staged
(``COPY`` into unlogged tables, a chunk at a time), then published into the
history and the profiles in one statement per table, writing only the rows
whose fingerprint changed.  Nothing is written on the partners: their grade
fields read the profiles.
"""

import io

import numpy as np
import pandas as pd

from odoo import fields
from odoo.tools import SQL

from ..analytics.classification import HISTORY_COLUMNS
from .reader import read_frame, stage_table

#: rows per ``COPY`` buffer: bounds the memory of a write, whatever the chunk
COPY_ROWS = 50_000
#: ``work_mem`` of a publication's transaction: the hash joins of a chunk's
#: upserts (100,000 customers and their RFM scores) in one batch, not spilled
#: to disk in eight (PostgreSQL's default is 4 MB); the server's memory, not
#: the worker's
PUBLISH_WORK_MEM = "64MB"
#: staged customers fewer than 1 in this many of their id range: their stored
#: fingerprints are looked up by id rather than read by range
SPARSE_IDS = 4

# Columns the job writes on the profile: (name, SQL type of the stage table,
# kind).  ``money`` columns travel as integer minor units and are stored as
# amounts.
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
    ("order_day_count", "int4", "data"),
    ("gap_p25_days", "float8", "data"),
    ("gap_p75_days", "float8", "data"),
    ("expected_order_date", "date", "data"),
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
#: profile columns copied from the commercial partner at publication
PARTNER_COLUMNS = ["active", "user_id", "state_id", "country_id", "phone"]
HISTORY_TYPES = {
    "partner_id": "int4",
    "period_start": "date",
    "period_end": "date",
    "grade": "varchar",
    "previous_grade": "varchar",
    "grade_change": "varchar",
    "amount": "int8",
    "order_count": "int4",
    "share_pct": "float8",
    "cumulative_share_pct": "float8",
    "rank": "int4",
    "lifecycle": "varchar",
}
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
#: RFM stage columns (a row per customer and as-of day; ``period_start`` NULL
#: for the profile, as of the run's today): name, SQL type, profile/history column
RFM_COLUMNS = [
    ("recency_days", "int4", "rfm_recency_days"),
    ("frequency", "int4", "rfm_frequency"),
    ("monetary", "int8", "rfm_monetary"),
    ("r_score", "int2", "r_score"),
    ("f_score", "int2", "f_score"),
    ("m_score", "int2", "m_score"),
    ("rfm_code", "varchar", "rfm_code"),
    ("segment", "varchar", "rfm_segment"),
]
#: the RFM columns of the profiles: not the recency, which is the age of the last order
RFM_PROFILE_COLUMNS = [column for column in RFM_COLUMNS if column[0] != "recency_days"]
#: dtypes the fingerprints are computed on, so that a value hashes the same
#: in every chunk and every kind of run
_INT_DTYPE = "int64"


def typed(frame, types):
    """``frame`` with the columns of ``types`` (name -> SQL type) in the
    dtype of their SQL type: a float column stays float in a chunk where all
    values happen to be whole (PostgreSQL prints 15.0 as 15)."""
    frame = frame.copy(deep=False)  # columns are replaced, never written in place
    for name, kind in types.items():
        if name not in frame:
            continue
        if kind == "float8":
            frame[name] = frame[name].astype("float64")
        elif kind in ("int4", "int8") and frame[name].notna().all():
            frame[name] = frame[name].astype("int64")
    return frame


def _as_text(column):
    """``column`` (object dtype: dates, strings, ...) as the text ``COPY``
    reads, each distinct value formatted once (``to_csv`` would call
    ``str()`` on every date of every row): None for missing values."""
    codes, uniques = pd.factorize(column)
    labels = np.array([str(value) for value in uniques] + [None], dtype=object)
    return labels[codes]


def _arrow():
    """``(pyarrow, pyarrow.csv)``, or ``None`` when pyarrow is not installed
    (imported on first use: the server's other workers never load it)."""
    try:
        import pyarrow  # pylint: disable=import-outside-toplevel
        from pyarrow import csv  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return pyarrow, csv


def csv_buffer(columns, arrow=True):
    """The rows of ``columns`` (name -> numpy array, all of one length) as
    a CSV buffer for ``COPY ... WITH (FORMAT csv)``: missing values (None,
    NaN, NaT) empty, so NULL.  Written by pyarrow when it is installed (six
    times as fast as pandas' ``to_csv``, and no frame is built), else by
    pandas; the two give the same values to PostgreSQL."""
    modules = _arrow() if arrow else None
    if modules is None:
        frame = pd.DataFrame(
            {name: _as_text(values) if values.dtype == object else values for name, values in columns.items()}
        )
        buffer = io.StringIO()
        frame.to_csv(buffer, header=False, index=False)
        buffer.seek(0)
        return buffer
    pyarrow, csv = modules
    # the system allocator, not pyarrow's own arenas: a worker's address space is capped
    # (limit_memory_hard) and its memory is returned when the batch is written
    pool = pyarrow.system_memory_pool()
    arrays = []
    for values in columns.values():
        if values.dtype == object:
            text = _as_text(values)
            # pandas writes an empty string as an empty field: NULL to PostgreSQL, as here
            text[text == ""] = None
            arrays.append(pyarrow.array(text, type=pyarrow.string(), memory_pool=pool))
        else:
            arrays.append(pyarrow.array(values, from_pandas=True, memory_pool=pool))
    table = pyarrow.Table.from_arrays(arrays, names=list(columns))
    buffer = io.BytesIO()
    csv.write_csv(table, buffer, csv.WriteOptions(include_header=False), memory_pool=pool)
    buffer.seek(0)
    return buffer


def fingerprints(frame, columns):
    """One hex fingerprint per row of the values ``columns`` (stable across
    runs and chunks: integers as int64, floats as float64, the rest as
    objects), to skip rows whose stored figures are the same."""
    if frame.empty:
        return pd.Series([], dtype=object)
    normal = {}
    for name in columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_integer_dtype(column):
            normal[name] = column.to_numpy(_INT_DTYPE)
        elif pd.api.types.is_float_dtype(column):
            normal[name] = column.to_numpy("float64")
        else:
            # str() of each distinct value, None where missing (None, NaN, NaT)
            normal[name] = _as_text(column)
    hashes = pd.util.hash_pandas_object(pd.DataFrame(normal, index=frame.index), index=False)
    return hashes.map("{:016x}".format)


class Writer:
    """Stages and publishes the results of one run of one company."""

    def __init__(self, env, settings, run_id):
        self.env = env
        self.cr = env.cr
        self.settings = settings
        self.run_id = run_id
        self.history = stage_table(run_id, "history")
        self.profile = stage_table(run_id, "profile")
        self.scope = stage_table(run_id, "scope")
        self.rfm = stage_table(run_id, "rfm")

    # ------------------------------------------------------------
    # staging
    # ------------------------------------------------------------

    def create_stage(self):
        """(Re)create the empty stage tables of the outputs."""
        cr = self.cr
        history = [(name, HISTORY_TYPES[name]) for name in HISTORY_COLUMNS]
        history += [("sync_hash", "varchar"), ("kept", "bool")]
        profile = [("partner_id", "int4")] + [(name, kind) for name, kind, _ in PROFILE_COLUMNS]
        profile += [("sync_hash", "varchar"), ("kept", "bool")]
        for table, columns in ((self.history, history), (self.profile, profile)):
            cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(table)))
            cr.execute(
                SQL(
                    "CREATE UNLOGGED TABLE %s (%s)",
                    SQL.identifier(table),
                    SQL(", ").join(SQL("%s %s", SQL.identifier(name), SQL(kind)) for name, kind in columns),
                )
            )

    def create_rfm_stage(self):
        """(Re)create the empty RFM stage table (filled one as-of day at a
        time by :meth:`stage_rfm`)."""
        columns = [("partner_id", "int4"), ("period_start", "date")]
        columns += [(name, kind) for name, kind, _target in RFM_COLUMNS]
        self.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(self.rfm)))
        self.cr.execute(
            SQL(
                "CREATE UNLOGGED TABLE %s (%s)",
                SQL.identifier(self.rfm),
                SQL(", ").join(SQL("%s %s", SQL.identifier(name), SQL(kind)) for name, kind in columns),
            )
        )
        self.cr.execute(SQL("CREATE INDEX ON %s (partner_id, period_start)", SQL.identifier(self.rfm)))

    def stage_rfm(self, period_start, scored):
        """Stage the RFM scores ``scored`` (:func:`..analytics.rfm.score`) of
        the period starting ``period_start``, or of the profiles (``None``)."""
        frame = scored.copy(deep=False)
        frame["period_start"] = period_start
        names = ["partner_id", "period_start", *(name for name, _kind, _target in RFM_COLUMNS)]
        self.copy_rows(self.rfm, names, frame)

    def _rfm_value(self, name, kind):
        """The stored value of the RFM stage column ``name`` (alias ``s``):
        amounts from minor units, scores and counts 0 for a customer without
        an order in the year (no stage row)."""
        column = SQL.identifier("s", name)
        if name == "monetary":
            return SQL("%s::numeric / %s", column, self.settings.scale)
        if name == "frequency" or kind == "int2":
            return SQL("COALESCE(%s, 0)", column)
        return column

    def sync_rfm(self, periods, partners=None, scoped=False):
        """Write the staged RFM scores on the profiles and on the history rows
        of the period starts ``periods`` where they differ (partner ids
        within ``partners``, ``(first, last)``, when given), and clear them
        where the customer has no order in the trailing 12 months any more.
        Rows the upserts just wrote already carry them: this catches the
        customers whose scores moved while their other figures did not (the
        quintiles rank every customer against all others).  A ``scoped``
        run staged only the scope's scores and the others' that moved: only
        the rows of those customers are looked at.  A full run looks only at
        the rows it kept (:meth:`_stage_kept_apart`): it wrote the others
        with their scores, or deletes them.  Returns the number of rows
        written."""
        cr = self.cr
        company = self.settings.company_id
        written = 0
        for table, condition, columns in (
            (
                "customer_abc_profile",
                SQL("s.period_start IS NULL"),
                RFM_PROFILE_COLUMNS,
            ),
            (
                "customer_abc_history",
                SQL("s.period_start = t.period_start"),
                RFM_COLUMNS,
            ),
        ):
            if table == "customer_abc_history" and not periods:
                continue

            values = SQL(", ").join(self._rfm_value(name, kind) for name, kind, _target in columns)
            aliased = SQL(", ").join(
                SQL("%s AS %s", self._rfm_value(name, kind), SQL.identifier(f"v{index}"))
                for index, (name, kind, _target) in enumerate(columns)
            )
            targets = SQL(", ").join(SQL.identifier(target) for _name, _kind, target in columns)
            new_values = SQL(", ").join(SQL.identifier("n", f"v{index}") for index in range(len(columns)))
            current = SQL(", ").join(SQL.identifier("t", target) for _name, _kind, target in columns)
            restrict = SQL("AND t.period_start = ANY(%s)", list(periods)) if table == "customer_abc_history" else SQL()
            rows = SQL("%s t", SQL.identifier(table))
            if not scoped:
                kept = self.profile if table == "customer_abc_profile" else self.history
                if not self._kept_any(kept, partners):
                    continue  # a first run: every row was written with its scores
                same_period = SQL("AND t.period_start = k.period_start") if table == "customer_abc_history" else SQL()
                rows = SQL(
                    "%s k JOIN %s ON k.kept AND t.partner_id = k.partner_id %s",
                    SQL.identifier(kept),
                    rows,
                    same_period,
                )
            else:
                # only the rows with staged scores and those of the scope (the others did not
                # move), looked up from the few customers concerned (index lookups)
                rows = SQL(
                    "(SELECT partner_id FROM %s UNION SELECT partner_id FROM %s) k "
                    "JOIN %s ON t.partner_id = k.partner_id",
                    SQL.identifier(self.rfm),
                    SQL.identifier(self.scope),
                    rows,
                )
                restrict = SQL(
                    "%s AND (s.partner_id IS NOT NULL OR t.partner_id IN (SELECT partner_id FROM %s))",
                    restrict,
                    SQL.identifier(self.scope),
                )
            cr.execute(
                SQL(
                    """
                    UPDATE %(table)s u SET (%(targets)s) = ROW(%(new_values)s)
                      FROM (SELECT t.id, %(aliased)s
                              FROM %(rows)s
                              LEFT JOIN %(stage)s s ON s.partner_id = t.partner_id AND %(condition)s %(rfm_range)s
                             WHERE t.company_id = %(company)s %(restrict)s %(range)s
                               AND ROW(%(current)s) IS DISTINCT FROM ROW(%(values)s)) n
                     WHERE u.id = n.id
                    """,
                    table=SQL.identifier(table),
                    targets=targets,
                    new_values=new_values,
                    aliased=aliased,
                    values=values,
                    current=current,
                    stage=SQL.identifier(self.rfm),
                    condition=condition,
                    company=company,
                    rows=rows,
                    restrict=restrict,
                    range=self._range(SQL("t.partner_id"), partners),
                    rfm_range=self._range(SQL("s.partner_id"), partners),
                )
            )
            written += cr.rowcount
        return written

    def _stage_keys(self):
        """The key columns of the history and profile stage tables."""
        return {self.history: ["partner_id", "period_start"], self.profile: ["partner_id"]}

    def index_kept(self):
        """Index the kept rows of the stage tables (:meth:`_stage_kept_apart`),
        once the compute steps are done: the RFM sync of a full run joins the
        company's rows to them, and a nested loop over the company's rows
        (planned on an estimate of none, a first run's) must not scan the
        stage for each of them."""
        for table, columns in self._stage_keys().items():
            self.cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS %s ON %s (%s) WHERE kept",
                    SQL.identifier(f"{table}_kept"),
                    SQL.identifier(table),
                    SQL(", ").join(SQL.identifier(column) for column in columns),
                )
            )

    def publication_settings(self):
        """Planner settings of the publication's transaction (see
        :data:`PUBLISH_WORK_MEM`)."""
        self.cr.execute(SQL("SET LOCAL work_mem = %s", PUBLISH_WORK_MEM))

    def kept_any(self):
        """Whether the compute steps kept any history or profile row (a
        stored row with the same fingerprint): a first run keeps none."""
        return any(self._kept_any(stage, None) for stage in (self.history, self.profile))

    def _kept_any(self, stage, partners):
        """Whether the stage table ``stage`` kept a row of the partner ids
        ``partners`` (``(first, last)``, or all)."""
        self.cr.execute(
            SQL(
                "SELECT EXISTS (SELECT 1 FROM %s k WHERE k.kept %s)",
                SQL.identifier(stage),
                self._range(SQL("k.partner_id"), partners),
            )
        )
        return self.cr.fetchone()[0]

    def copy_rows(self, table, columns, frame):
        """``COPY`` the ``columns`` of ``frame`` into ``table``, a slice of
        :data:`COPY_ROWS` rows at a time (the buffer never holds more)."""
        if frame.empty:
            return
        copy = SQL(
            "COPY %s (%s) FROM STDIN WITH (FORMAT csv)",
            SQL.identifier(table),
            SQL(", ").join(SQL.identifier(name) for name in columns),
        )
        arrays = {name: frame[name].to_numpy() for name in columns}
        for start in range(0, len(frame), COPY_ROWS):
            batch = {name: values[start : start + COPY_ROWS] for name, values in arrays.items()}
            self.cr.copy_expert(copy.code, csv_buffer(batch))

    def _stored_hashes(self, table, partner_ids, partners, period_start=None):
        """The fingerprints stored in ``table`` for the run's company and the
        partner ids ``partner_ids`` (of the range ``partners``, ``(first,
        last)``), of the period starting ``period_start`` for the history: a
        Series indexed by partner id.  A range scan where the ids fill their
        range (a full run's chunk), lookups of the ids where they are few in
        it (a nightly run's changed customers, spread over every id)."""
        period = SQL("AND period_start = %s", period_start) if period_start is not None else SQL()
        if len(partner_ids) * SPARSE_IDS < partners[1] - partners[0] + 1:
            which = SQL("AND partner_id = ANY(%s)", [int(partner_id) for partner_id in partner_ids])
        else:
            which = self._range(SQL("partner_id"), partners)
        stored = read_frame(
            self.cr,
            SQL(
                "SELECT partner_id, sync_hash FROM %s WHERE company_id = %s %s %s",
                SQL.identifier(table),
                self.settings.company_id,
                which,
                period,
            ),
            text=["sync_hash"],
        )
        return pd.Series(stored["sync_hash"].to_numpy(dtype=object), index=stored["partner_id"].to_numpy())

    def _stage_kept_apart(self, table, columns, rows, stored):
        """``COPY`` the ``rows`` whose fingerprint differs from ``stored``
        (partner id -> stored fingerprint) whole, and of the others only
        their key (:meth:`_stage_keys`), their fingerprint and ``kept``: the publication writes
        only rows whose fingerprint changed, so their figures would never be
        read (a regrade that moves nothing formats and copies almost nothing),
        and the RFM sync looks only at the kept rows (the others are written
        with their scores)."""
        same = rows["sync_hash"].to_numpy() == stored.reindex(rows["partner_id"].to_numpy()).to_numpy()
        rows = rows.copy(deep=False)
        rows["kept"] = same
        changed = [*columns, "sync_hash", "kept"]
        self.copy_rows(table, changed, rows.loc[~same, changed])
        keys = [*self._stage_keys()[table], "sync_hash", "kept"]
        self.copy_rows(table, keys, rows.loc[same, keys])

    def stage_history(self, rows, partners):
        """Stage the history ``rows`` of the partner ids ``partners``
        (``(first, last)``, a compute chunk)."""
        rows = typed(rows, HISTORY_TYPES)
        rows["method"] = self.settings.method
        rows["sync_hash"] = fingerprints(rows, HISTORY_HASHED).to_numpy()
        for start in rows["period_start"].unique():
            period = rows[rows["period_start"] == start]
            stored = self._stored_hashes(
                "customer_abc_history", period["partner_id"].to_numpy(), partners, pd.Timestamp(start).date()
            )
            self._stage_kept_apart(self.history, HISTORY_COLUMNS, period, stored)

    def stage_profiles(self, rows, partners):
        """Stage the profile ``rows`` of the partner ids ``partners``
        (``(first, last)``, a compute chunk)."""
        start, end = self.settings.period_bounds
        rows = typed(rows, {name: kind for name, kind, _kind in PROFILE_COLUMNS})
        rows["method"] = self.settings.method
        rows["period_start"] = start
        rows["period_end"] = end
        names = [name for name, _type, _kind in PROFILE_COLUMNS]
        rows["sync_hash"] = fingerprints(rows, [*names, "method", "period_start", "period_end"]).to_numpy()
        stored = self._stored_hashes("customer_abc_profile", rows["partner_id"].to_numpy(), partners)
        self._stage_kept_apart(self.profile, ["partner_id", *names], rows, stored)

    # ------------------------------------------------------------
    # publication
    # ------------------------------------------------------------

    def _range(self, column, partners):
        """SQL condition on ``column`` for a partner id range ``(first, last)``.
        A chunk's upsert puts it on each table it joins (the stage, the RFM
        stage, the contacts): PostgreSQL does not carry a range across a
        join, and without it each chunk hashed every customer's rows (a
        tenth of a 10M first run went there)."""
        if partners is None:
            return SQL()
        return SQL("AND %s BETWEEN %s AND %s", column, partners[0], partners[1])

    def delete_gone_history(self, periods, scoped):
        """Delete the history rows of the period starts ``periods`` of
        customers who have none any more (any of the company, or of the
        scope of a scoped run).  Returns the count."""
        restrict = (
            SQL("AND h.partner_id IN (SELECT partner_id FROM %s)", SQL.identifier(self.scope)) if scoped else SQL()
        )
        self.cr.execute(
            SQL(
                """
                DELETE FROM customer_abc_history h
                 WHERE h.company_id = %(company)s AND h.period_start = ANY(%(periods)s) %(restrict)s
                   AND NOT EXISTS (SELECT 1 FROM %(stage)s s
                                    WHERE s.partner_id = h.partner_id AND s.period_start = h.period_start)
                """,
                company=self.settings.company_id,
                periods=list(periods),
                restrict=restrict,
                stage=SQL.identifier(self.history),
            )
        )
        return self.cr.rowcount

    def upsert_history(self, periods, partners=None):
        """Write the staged history rows of the period starts ``periods``
        whose fingerprint changed, for the partner ids ``partners``
        (``(first, last)``, default: all).  Whether it changed was decided at
        staging (``kept``, :meth:`_stage_kept_apart`): no other run of the
        company writes in between (the run holds the company).  Returns the
        count."""
        cr = self.cr
        company = self.settings.company_id
        cr.execute(
            SQL(
                """
                INSERT INTO customer_abc_history AS h
                       (company_id, partner_id, period_start, period_end, grade, previous_grade, grade_change,
                        amount, order_count, share_pct, cumulative_share_pct, rank, method, lifecycle, sync_hash,
                        rfm_recency_days, rfm_frequency, rfm_monetary, r_score, f_score, m_score, rfm_code,
                        rfm_segment)
                SELECT %(company)s, v.partner_id, v.period_start, v.period_end, v.grade, v.previous_grade,
                       v.grade_change, v.amount::numeric / %(scale)s, v.order_count, v.share_pct,
                       v.cumulative_share_pct, v.rank, %(method)s, v.lifecycle, v.sync_hash,
                       s.recency_days, COALESCE(s.frequency, 0), s.monetary::numeric / %(scale)s,
                       COALESCE(s.r_score, 0), COALESCE(s.f_score, 0), COALESCE(s.m_score, 0), s.rfm_code, s.segment
                  FROM %(stage)s v
                  LEFT JOIN %(rfm)s s ON s.partner_id = v.partner_id AND s.period_start = v.period_start %(rfm_range)s
                 WHERE v.period_start = ANY(%(periods)s) AND NOT v.kept %(range)s
                ON CONFLICT (company_id, partner_id, period_start) DO UPDATE
                   SET period_end = EXCLUDED.period_end, grade = EXCLUDED.grade,
                       previous_grade = EXCLUDED.previous_grade, grade_change = EXCLUDED.grade_change,
                       amount = EXCLUDED.amount, order_count = EXCLUDED.order_count,
                       share_pct = EXCLUDED.share_pct, cumulative_share_pct = EXCLUDED.cumulative_share_pct,
                       rank = EXCLUDED.rank, method = EXCLUDED.method, lifecycle = EXCLUDED.lifecycle,
                       sync_hash = EXCLUDED.sync_hash, rfm_recency_days = EXCLUDED.rfm_recency_days,
                       rfm_frequency = EXCLUDED.rfm_frequency, rfm_monetary = EXCLUDED.rfm_monetary,
                       r_score = EXCLUDED.r_score, f_score = EXCLUDED.f_score,
                       m_score = EXCLUDED.m_score, rfm_code = EXCLUDED.rfm_code, rfm_segment = EXCLUDED.rfm_segment
                """,
                company=company,
                rfm=SQL.identifier(self.rfm),
                scale=self.settings.scale,
                method=self.settings.method,
                stage=SQL.identifier(self.history),
                periods=list(periods),
                range=self._range(SQL("v.partner_id"), partners),
                rfm_range=self._range(SQL("s.partner_id"), partners),
            )
        )
        return cr.rowcount

    def count_changes(self, periods):
        """Staged history and profile rows that differ from the stored ones."""
        self.cr.execute(
            SQL(
                """
                SELECT (SELECT count(*) FROM %(history)s v WHERE v.period_start = ANY(%(periods)s) AND NOT v.kept)
                     + (SELECT count(*) FROM %(profile)s v WHERE NOT v.kept)
                """,
                history=SQL.identifier(self.history),
                profile=SQL.identifier(self.profile),
                periods=list(periods),
            )
        )
        return self.cr.fetchone()[0]

    def delete_gone_profiles(self, scoped):
        """Delete the profiles of customers gone (any of the company, or of
        the scope of a scoped run).  Returns the count."""
        cr = self.cr
        company = self.settings.company_id
        restrict = (
            SQL("AND pr.partner_id IN (SELECT partner_id FROM %s)", SQL.identifier(self.scope)) if scoped else SQL()
        )
        cr.execute(
            SQL(
                """
                DELETE FROM customer_abc_profile pr
                 WHERE pr.company_id = %(company)s %(restrict)s
                   AND NOT EXISTS (SELECT 1 FROM %(stage)s s WHERE s.partner_id = pr.partner_id)
                """,
                company=company,
                restrict=restrict,
                stage=SQL.identifier(self.profile),
            )
        )
        return cr.rowcount

    def upsert_profiles(self, partners=None):
        """Upsert the staged profiles whose fingerprint changed (not
        ``kept``, see :meth:`upsert_history`), for the partner ids
        ``partners`` (``(first, last)``, default: all).  Returns the count."""
        cr = self.cr
        settings = self.settings
        company = settings.company_id
        start, end = settings.period_bounds

        def value(name, kind):
            column = SQL.identifier("v", name)
            return SQL("%s::numeric / %s", column, settings.scale) if kind == "money" else column

        # name -> SQL value, for every column the job owns
        owned = {name: value(name, kind) for name, _type, kind in PROFILE_COLUMNS}
        owned.update({name: SQL.identifier("p", name) for name in PARTNER_COLUMNS})
        owned.update({target: self._rfm_value(name, kind) for name, kind, target in RFM_PROFILE_COLUMNS})
        owned.update(
            {
                "method": SQL("%s", settings.method),
                "period_start": SQL("%s::date", start),
                "period_end": SQL("%s::date", end),
                "rank_sort": SQL("CASE WHEN v.rank > 0 THEN v.rank ELSE 2147483647 END"),
                "is_overdue": SQL("v.overdue_amount > 0"),
                "sync_hash": SQL.identifier("v", "sync_hash"),
            }
        )
        if "mobile" in self.env["customer.abc.profile"]._fields:
            owned["mobile"] = SQL.identifier("p", "mobile")
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
        # written by the job, not by a user: no create/write user, whose foreign keys would be
        # checked on each row of a first run (dates kept)
        now = fields.Datetime.now()
        cr.execute(
            SQL(
                """
                INSERT INTO customer_abc_profile AS pr
                       (company_id, partner_id, %(columns)s, %(derived)s,
                        create_uid, create_date, write_uid, write_date)
                SELECT %(company)s, v.partner_id, %(values)s, %(derived_values)s,
                       NULL, %(now)s, NULL, %(now)s
                  FROM %(stage)s v
                  JOIN res_partner p ON p.id = v.partner_id %(partner_range)s
                  LEFT JOIN %(rfm)s s ON s.partner_id = v.partner_id AND s.period_start IS NULL %(rfm_range)s
                 WHERE NOT v.kept %(range)s
                ON CONFLICT (company_id, partner_id) DO UPDATE
                   SET %(assignments)s, %(derived_assignments)s,
                       write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                """,
                columns=SQL(", ").join(SQL.identifier(name) for name in names),
                derived=SQL(", ").join(SQL.identifier(name) for name in derived_insert),
                values=SQL(", ").join(owned[name] for name in names),
                derived_values=SQL(", ").join(derived_insert.values()),
                company=company,
                now=now,
                stage=SQL.identifier(self.profile),
                rfm=SQL.identifier(self.rfm),
                range=self._range(SQL("v.partner_id"), partners),
                partner_range=self._range(SQL("p.id"), partners),
                rfm_range=self._range(SQL("s.partner_id"), partners),
                assignments=SQL(", ").join(
                    SQL("%s = EXCLUDED.%s", SQL.identifier(name), SQL.identifier(name)) for name in names
                ),
                derived_assignments=SQL(", ").join(
                    SQL("%s = %s", SQL.identifier(name), expression) for name, expression in derived_update.items()
                ),
            )
        )
        return cr.rowcount

    def analyze(self, stage=False, live=True):
        """Refresh the planner's statistics of the live tables (with
        ``live``) and of the stage tables of the run (with ``stage``): of the
        columns the publication and the next run join and filter on (the
        table's size too), not of the fifty others (autovacuum still analyzes
        the whole table: a partial ANALYZE does not reset its count of
        changed rows)."""
        tables = []
        if live:
            tables += [
                ("customer_abc_history", ["company_id", "partner_id", "period_start"]),
                ("customer_abc_profile", ["company_id", "partner_id"]),
            ]
        if stage:
            tables += [(table, [*keys, "kept"]) for table, keys in self._stage_keys().items()]
            tables.append((self.rfm, ["partner_id", "period_start"]))
        for table, columns in tables:
            self.cr.execute(
                SQL(
                    "ANALYZE %s (%s)",
                    SQL.identifier(table),
                    SQL(", ").join(SQL.identifier(column) for column in columns),
                )
            )

    def believed_rows(self):
        """Rows of the run's company the planner believes the live tables
        (history and profiles) hold: its estimate for the company's rows,
        which is what the publication's joins are planned on (a table full of
        another company's rows says nothing of this one's)."""
        believed = 0
        for table in ("customer_abc_history", "customer_abc_profile"):
            self.cr.execute(
                SQL(
                    "EXPLAIN (FORMAT JSON) SELECT 1 FROM %s WHERE company_id = %s",
                    SQL.identifier(table),
                    self.settings.company_id,
                )
            )
            believed += self.cr.fetchone()[0][0]["Plan"]["Plan Rows"]
        return believed

    def statistics_stale(self, written, minimum):
        """Whether ``written`` rows (history and profiles) are at least
        ``minimum`` and more than a tenth of what the planner believes the
        live tables hold for the company (:meth:`believed_rows`): as
        PostgreSQL's autovacuum would judge, but now and per company."""
        return written >= minimum and written > self.believed_rows() / 10

    def drop(self):
        for name in (self.history, self.profile, self.rfm):
            self.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(name)))
