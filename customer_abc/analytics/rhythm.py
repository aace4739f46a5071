"""Next expected order of regular customers, and the "late for usual order"
alert.  Pure pandas / numpy; no Odoo import.

Order days are local dates (company timezone); several orders on one day are
one order day.  A *gap* is the number of days between two consecutive
distinct order days of a customer (always >= 1), as in
:func:`.lifecycle.median_gaps` and the profile job's SQL.

* *Regular*: at least :data:`MIN_ORDER_DAYS` (3) distinct order days, hence
  at least two gaps.  (The adaptive lifecycle counts orders instead; two
  orders on one day make one order day here.)
* ``median_gap``: median of the gaps (linear interpolation, the mean of the
  two middle gaps for an even count), as pandas ``median`` and PostgreSQL
  ``percentile_cont(0.5)``.
* Spread: ``gap_p25`` and ``gap_p75`` (the same interpolation at 0.25 and
  0.75, PostgreSQL ``percentile_cont(0.25)`` / ``(0.75)``) and
  ``gap_iqr = gap_p75 - gap_p25``; ``gap_count`` is the number of gaps.
* ``expected_gap_days = floor(median_gap + 0.5)`` (half up: 12.5 -> 13, as
  SQL ``round(numeric)``), ``expected_date = last_order_date +
  expected_gap_days``.
* ``days_late = today - expected_date`` in days, negative while not yet due.
* ``is_late`` when ``days_late > tolerance_days`` (a company setting, default
  :data:`DEFAULT_TOLERANCE_DAYS`); exactly at the tolerance is not late.

Both entry points return one row per customer with the columns
:data:`COLUMNS`; the gap figures are filled from two order days on; customers
that are not regular have ``regular`` False, missing values for the
expectation and ``is_late`` False.  Dates come back as
``datetime64[ns]`` (``NaT`` when missing; ``.dt.date`` gives ``date`` objects).
"""

from datetime import date

import numpy as np
import pandas as pd

MIN_ORDER_DAYS = 3
DEFAULT_TOLERANCE_DAYS = 7
COLUMNS = [
    "partner_id",
    "order_days",
    "gap_count",
    "median_gap",
    "gap_p25",
    "gap_p75",
    "gap_iqr",
    "last_order_date",
    "regular",
    "expected_gap_days",
    "expected_date",
    "days_late",
    "is_late",
]


def _days(dates) -> np.ndarray:
    """Dates (``date`` objects, strings or datetime64) as ``datetime64[D]``."""
    return pd.to_datetime(pd.Series(dates)).to_numpy().astype("datetime64[D]")


def _group_quantiles(values: np.ndarray, starts: np.ndarray, counts: np.ndarray, quarter: int) -> np.ndarray:
    """Quantile ``quarter / 4`` of each group of the sorted ``values``
    (groups at ``starts``, ``counts`` >= 1 long), linear interpolation."""
    position = (counts - 1) * quarter  # in quarters of an index step
    low = starts + position // 4
    high = np.minimum(low + 1, starts + counts - 1)
    fraction = (position % 4) / 4.0
    return values[low] + fraction * (values[high] - values[low])


def from_order_days(orders: pd.DataFrame, today: date, tolerance_days: int = DEFAULT_TOLERANCE_DAYS) -> pd.DataFrame:
    """Rhythm of each customer of ``orders`` (small inputs, tests, portrait).

    ``orders``: ``partner_id`` and ``order_date`` (local date), one row per
    order or per order day (duplicates are merged).  Returns :data:`COLUMNS`,
    one row per partner sorted by ``partner_id``.

    >>> o = pd.DataFrame({"partner_id": [1, 1, 1, 1, 2], "order_date": [date(2024, 5, 1), date(2024, 5, 11),
    ...                   date(2024, 5, 11), date(2024, 6, 10), date(2024, 6, 1)]})
    >>> r = from_order_days(o, date(2024, 7, 18))
    >>> r[["partner_id", "order_days", "median_gap", "gap_iqr", "days_late", "is_late"]].values.tolist()
    [[1, 3, 20.0, 10.0, 18, True], [2, 1, nan, nan, <NA>, False]]
    """
    partners = orders["partner_id"].to_numpy(dtype=np.int64)
    days = _days(orders["order_date"]).astype(np.int64)
    order = np.lexsort((days, partners))
    partners, days = partners[order], days[order]
    distinct = np.ones(len(partners), dtype=bool)
    distinct[1:] = (partners[1:] != partners[:-1]) | (days[1:] != days[:-1])
    partners, days = partners[distinct], days[distinct]
    ids, starts, counts = np.unique(partners, return_index=True, return_counts=True)
    last = days[starts + counts - 1] if len(ids) else np.zeros(0, dtype=np.int64)
    # gaps in order of (partner, day): group i holds counts[i] - 1 gaps, already by partner
    same = partners[1:] == partners[:-1]
    gaps = (days[1:] - days[:-1])[same]
    gap_partners = partners[1:][same]
    gaps = gaps[np.lexsort((gaps, gap_partners))].astype(np.float64)
    gap_counts = counts - 1
    gap_starts = np.concatenate(([0], np.cumsum(gap_counts)[:-1])).astype(np.int64) if len(ids) else gap_counts
    quantiles = {}
    has_gaps = gap_counts > 0
    for name, quarter in (("gap_p25", 1), ("median_gap", 2), ("gap_p75", 3)):
        values = np.full(len(ids), np.nan)
        values[has_gaps] = _group_quantiles(gaps, gap_starts[has_gaps], gap_counts[has_gaps], quarter)
        quantiles[name] = values
    aggregated = pd.DataFrame(
        {
            "partner_id": ids,
            "order_days": counts.astype(np.int64),
            "median_gap": quantiles["median_gap"],
            "last_order_date": last.astype("datetime64[D]"),
            "gap_p25": quantiles["gap_p25"],
            "gap_p75": quantiles["gap_p75"],
        }
    )
    return from_aggregates(aggregated, today, tolerance_days)


def from_aggregates(frame: pd.DataFrame, today: date, tolerance_days: int = DEFAULT_TOLERANCE_DAYS) -> pd.DataFrame:
    """Rhythm from per-customer figures already aggregated (the nightly job,
    where SQL computes the median); the late rule lives here only.

    ``frame``: ``partner_id``, ``order_days`` (distinct order days),
    ``median_gap`` (days, NaN when unknown), ``last_order_date`` (local date
    or None) and optionally ``gap_p25`` / ``gap_p75``.  Returns
    :data:`COLUMNS`, one row per row of ``frame``, in its order.  Raises
    ``ValueError`` on a negative ``tolerance_days``.

    >>> f = pd.DataFrame({"partner_id": [7, 8], "order_days": [5, 2], "median_gap": [12.5, 30.0],
    ...                   "last_order_date": [date(2024, 6, 1), date(2024, 6, 1)]})
    >>> r = from_aggregates(f, date(2024, 6, 21))
    >>> (r.expected_date.dt.date.iloc[0], int(r.days_late.iloc[0]), bool(r.is_late.iloc[0]), bool(r.regular.iloc[1]))
    (datetime.date(2024, 6, 14), 7, False, False)
    """
    if tolerance_days < 0:
        raise ValueError("tolerance_days must be >= 0")
    count = len(frame)
    order_days = pd.to_numeric(frame["order_days"]).fillna(0).to_numpy().astype(np.int64)
    median = pd.to_numeric(frame["median_gap"]).to_numpy(dtype=np.float64)
    last = _days(frame["last_order_date"]) if count else np.zeros(0, dtype="datetime64[D]")
    regular = (order_days >= MIN_ORDER_DAYS) & (median > 0) & ~np.isnat(last)
    step = np.floor(np.where(regular, median, 0.0) + 0.5).astype(np.int64)
    expected = np.where(regular, last + step.astype("timedelta64[D]"), np.datetime64("NaT", "D"))
    late_by = (np.datetime64(today, "D") - expected).astype("timedelta64[D]").astype(np.int64)
    spread = {}
    for name in ("gap_p25", "gap_p75"):
        values = pd.to_numeric(frame[name]).to_numpy(dtype=np.float64) if name in frame else np.full(count, np.nan)
        spread[name] = np.where(order_days >= 2, values, np.nan)
    return pd.DataFrame(
        {
            "partner_id": frame["partner_id"].to_numpy(dtype=np.int64),
            "order_days": order_days,
            "gap_count": np.maximum(order_days - 1, 0),
            "median_gap": np.where(order_days >= 2, median, np.nan),
            "gap_p25": spread["gap_p25"],
            "gap_p75": spread["gap_p75"],
            "gap_iqr": spread["gap_p75"] - spread["gap_p25"],
            "last_order_date": last.astype("datetime64[ns]"),
            "regular": regular,
            "expected_gap_days": pd.arrays.IntegerArray(step, ~regular),
            "expected_date": expected.astype("datetime64[ns]"),
            "days_late": pd.arrays.IntegerArray(np.where(regular, late_by, 0), ~regular),
            "is_late": regular & (late_by > tolerance_days),
        },
        index=frame.index,
    )
