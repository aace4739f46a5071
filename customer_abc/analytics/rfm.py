"""RFM: recency, frequency and monetary scores 1-5, the RFM code and named
segments on the R x F grid.  Pure pandas / numpy; no Odoo import.

Population: the customers of one company who ordered in the trailing 12
months (:func:`trailing_window`), one row each:

============= ======= ===================================================
column        dtype   meaning
============= ======= ===================================================
partner_id    int64   commercial partner id
recency_days  int64   whole days from the last order to today (>= 0)
frequency     int64   confirmed orders in the trailing 12 months (>= 1)
monetary      int64   their untaxed amount, company-currency minor units
============= ======= ===================================================

Score rule (:func:`quintile_scores`), the same for R, F and M.  For a value
``v`` among ``n``, with ``worse`` the number of values strictly worse than
``v`` (a larger ``recency_days``; a smaller ``frequency`` or ``monetary``)
and ``equal`` the number equal to it (``v`` included):

* mid-rank percentile ``p = (worse + equal / 2) / n`` and score
  ``floor(5 p) + 1``, computed as ``5 * (2 * worse + equal) // (2 * n) + 1``
  in integers, so a percentile exactly on 20 %, 40 %, 60 % or 80 % goes up
  without floating-point doubt; quintiles are exact when ``n`` is a multiple
  of 5 without ties;
* the worst value scores 1 and the best value 5, however many customers share
  it (*pinned extremes*).  Without the pin, a tied block at an end scores the
  quintile of its middle: where 60 % of the customers ordered once, all of
  them would be F 2 and New, Promising and Lost would stay empty; at 80 % they
  would be F 3 and look like At Risk.  The pin changes nothing when each
  extreme holds less than 40 % of the customers, except for ``n = 2``;
* when all values are equal (one customer included), everybody scores 3;
* ``monetary <= 0`` (credit-like orders outweighing sales) always scores
  M 1: the customer stays in the population (it bought, so it has R and F)
  and keeps its rank for the others' M scores.

Equal values therefore always get the same score.  Small populations: n = 1
scores 3; n = 2 (two different values) 1 and 5; n = 3: 1, 3, 5; n = 4: 1, 2,
4, 5; n = 6: 1, 2, 3, 3, 4, 5.  Scores rank customers against each other, so
below a few dozen customers they say little.

Segments use R and F only (M is in the code, not in the segment); each of the
25 cells of the R x F grid belongs to exactly one segment (:func:`segment_grid`):

====== ============== ================== ================== ========= =========
R / F  F 1            F 2                F 3                F 4       F 5
====== ============== ================== ================== ========= =========
R 5    new            potential_loyalist potential_loyalist champions champions
R 4    promising      potential_loyalist potential_loyalist loyal     loyal
R 3    about_to_sleep about_to_sleep     need_attention     loyal     loyal
R 2    hibernating    hibernating        at_risk            at_risk   cant_lose
R 1    lost           hibernating        at_risk            at_risk   cant_lose
====== ============== ================== ================== ========= =========
"""

from datetime import date, timedelta

import numpy as np
import pandas as pd

#: segment keys (as stored) and English labels, in display order
SEGMENTS = [
    ("champions", "Champions"),
    ("loyal", "Loyal"),
    ("potential_loyalist", "Potential Loyalist"),
    ("new", "New"),
    ("promising", "Promising"),
    ("need_attention", "Need Attention"),
    ("about_to_sleep", "About to Sleep"),
    ("at_risk", "At Risk"),
    ("cant_lose", "Can't Lose"),
    ("hibernating", "Hibernating"),
    ("lost", "Lost"),
]
SCORES = (1, 2, 3, 4, 5)
#: score of a population whose values are all equal (a single customer included)
TIED_SCORE = 3


def _cells(r_scores, f_scores) -> frozenset:
    return frozenset((r, f) for r in r_scores for f in f_scores)


#: the R x F cells of each segment; :func:`segment_grid` checks they tile the grid
SEGMENT_CELLS = {
    "champions": _cells((5,), (4, 5)),
    "loyal": _cells((3, 4), (4, 5)),
    "potential_loyalist": _cells((4, 5), (2, 3)),
    "new": _cells((5,), (1,)),
    "promising": _cells((4,), (1,)),
    "need_attention": _cells((3,), (3,)),
    "about_to_sleep": _cells((3,), (1, 2)),
    "at_risk": _cells((1, 2), (3, 4)),
    "cant_lose": _cells((1, 2), (5,)),
    "hibernating": _cells((1, 2), (1, 2)) - _cells((1,), (1,)),
    "lost": _cells((1,), (1,)),
}


def segment_grid() -> dict[tuple[int, int], str]:
    """The segment key of each ``(r_score, f_score)`` cell, rows R 5 to R 1,
    columns F 1 to F 5 (the order a cockpit draws the grid in).

    Raises ``ValueError`` if :data:`SEGMENT_CELLS` leaves a cell out or puts
    one in two segments.

    >>> grid = segment_grid()
    >>> (len(grid), grid[(5, 5)], grid[(1, 1)], grid[(2, 1)], next(iter(grid)))
    (25, 'champions', 'lost', 'hibernating', (5, 1))
    """
    grid = {}
    for r in reversed(SCORES):
        for f in SCORES:
            owners = [key for key, _label in SEGMENTS if (r, f) in SEGMENT_CELLS[key]]
            if len(owners) != 1:
                raise ValueError(f"cell R{r} F{f} belongs to {owners or 'no segment'}")
            grid[(r, f)] = owners[0]
    return grid


#: segment by [r_score, f_score]; row and column 0 (no score) stay None
_SEGMENT_LOOKUP = np.full((6, 6), None, dtype=object)
for (_r, _f), _key in segment_grid().items():
    _SEGMENT_LOOKUP[_r, _f] = _key
#: "RFM" code by r * 36 + f * 6 + m; any 0 score gives None
_CODE_LOOKUP = np.full(6 * 6 * 6, None, dtype=object)
for _r in SCORES:
    for _f in SCORES:
        for _m in SCORES:
            _CODE_LOOKUP[_r * 36 + _f * 6 + _m] = f"{_r}{_f}{_m}"


def trailing_window(today: date) -> tuple[date, date]:
    """The trailing 12 months as a half-open ``[start, end)``: from the day
    after the same day a year ago up to today included (Feb 29 falls back to
    Feb 28).

    >>> trailing_window(date(2024, 6, 30))
    (datetime.date(2023, 7, 1), datetime.date(2024, 7, 1))
    """
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_ago = today.replace(year=today.year - 1, day=28)
    return year_ago + timedelta(days=1), today + timedelta(days=1)


def _integers(values, name: str) -> np.ndarray:
    """``values`` as an ``int64`` array; ``ValueError`` unless all are whole numbers."""
    array = np.asarray(values)
    if array.dtype == object:
        array = pd.to_numeric(array)  # int64 when all are integers, float64 with missing values
    if array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    if array.dtype.kind == "f" and np.isfinite(array).all() and (array == np.floor(array)).all():
        return array.astype(np.int64)
    raise ValueError(f"{name} must hold whole numbers, without missing values")


def quintile_scores(values, higher_is_better: bool = True) -> np.ndarray:
    """Scores 1-5 of integer ``values`` (array-like, no missing value) by
    the rule of the module docstring; ``higher_is_better=False`` for recency.
    Returns an ``int8`` array in the order of ``values``.

    >>> quintile_scores([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    >>> quintile_scores([1, 1, 1, 1, 1, 1, 2, 2, 3, 5]).tolist()  # 60 % ordered once
    [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    """
    array = _integers(values, "values")
    count = array.size
    if not count:
        return np.zeros(0, dtype=np.int8)
    order = np.argsort(array, kind="stable")
    ordered = array[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))  # one block per distinct value
    sizes = np.diff(np.append(starts, count))
    below = starts  # values strictly smaller than the block's
    worse = below if higher_is_better else count - below - sizes
    block_scores = np.minimum(5 * (2 * worse + sizes) // (2 * count) + 1, 5).astype(np.int8)
    if len(starts) == 1:
        block_scores[:] = TIED_SCORE
    else:
        block_scores[0], block_scores[-1] = (1, 5) if higher_is_better else (5, 1)
    scores = np.empty(count, dtype=np.int8)
    scores[order] = np.repeat(block_scores, sizes)
    return scores


def segments(r_scores, f_scores) -> np.ndarray:
    """Segment key of each (R, F) pair (object array); ``None`` where a score
    is 0 (no score).

    >>> segments([5, 1, 3, 0], [5, 1, 3, 0]).tolist()
    ['champions', 'lost', 'need_attention', None]
    """
    return _SEGMENT_LOOKUP[np.asarray(r_scores, dtype=np.intp), np.asarray(f_scores, dtype=np.intp)]


def codes(r_scores, f_scores, m_scores) -> np.ndarray:
    """The three-digit ``"RFM"`` code of each triple (object array); ``None``
    where a score is 0.

    >>> codes([5, 1, 0], [4, 1, 3], [5, 2, 3]).tolist()
    ['545', '112', None]
    """
    r, f, m = (np.asarray(scores, dtype=np.intp) for scores in (r_scores, f_scores, m_scores))
    return _CODE_LOOKUP[np.where((r > 0) & (f > 0) & (m > 0), r * 36 + f * 6 + m, 0)]


def score(frame: pd.DataFrame) -> pd.DataFrame:
    """Score one population (one company, see the module docstring).

    Returns a copy of ``frame`` with ``r_score``, ``f_score``, ``m_score``
    (``int8``, 1-5), ``rfm_code`` (``"545"``) and ``segment`` (a key of
    :data:`SEGMENTS`).  Raises ``ValueError`` on a negative ``recency_days``
    or a ``frequency`` below 1.

    >>> f = pd.DataFrame({"partner_id": [1, 2, 3, 4, 5], "recency_days": [3, 40, 100, 200, 330],
    ...                   "frequency": [12, 6, 3, 2, 1], "monetary": [90_000, 50_000, 0, 20_000, 10_000]})
    >>> score(f)[["rfm_code", "segment"]].values.tolist()
    [['555', 'champions'], ['444', 'loyal'], ['331', 'need_attention'], ['223', 'hibernating'], ['112', 'lost']]
    """
    result = frame.copy()
    recency = _integers(result["recency_days"], "recency_days")
    frequency = _integers(result["frequency"], "frequency")
    monetary = _integers(result["monetary"], "monetary")
    if (recency < 0).any():
        raise ValueError("recency_days must be >= 0 (an order after today?)")
    if (frequency < 1).any():
        raise ValueError("frequency must be >= 1: the population is the customers who ordered")
    r = quintile_scores(recency, higher_is_better=False)
    f = quintile_scores(frequency)
    m = quintile_scores(monetary)
    m[monetary <= 0] = 1
    result["r_score"] = r
    result["f_score"] = f
    result["m_score"] = m
    result["rfm_code"] = codes(r, f, m)
    result["segment"] = segments(r, f)
    return result


def input_frame(customers: pd.DataFrame, today: date) -> pd.DataFrame:
    """The population of :func:`score` from the classifier's per-customer
    figures.

    ``customers``: ``partner_id``, ``last_order_date`` (local date or None),
    ``trailing_orders`` and ``trailing_amount`` (confirmed orders and their
    amount in minor units within :func:`trailing_window` of ``today``; 0 or
    missing when none).  Keeps the customers with ``trailing_orders > 0``;
    ``recency_days`` is ``today - last_order_date`` in whole days.  Raises
    ``ValueError`` when such a customer has no last order date or one after
    ``today``.

    >>> c = pd.DataFrame({"partner_id": [1, 2], "last_order_date": [date(2024, 6, 20), date(2022, 1, 3)],
    ...                   "trailing_orders": [4, 0], "trailing_amount": [52_000, 0]})
    >>> input_frame(c, date(2024, 6, 30)).values.tolist()
    [[1, 10, 4, 52000]]
    """
    orders = pd.to_numeric(customers["trailing_orders"]).fillna(0).to_numpy()
    bought = orders > 0
    chosen = customers.loc[bought]
    last = pd.to_datetime(chosen["last_order_date"]).to_numpy().astype("datetime64[D]")
    if np.isnat(last).any():
        raise ValueError("a customer with trailing orders has no last order date")
    recency = (np.datetime64(today, "D") - last).astype(np.int64)
    if (recency < 0).any():
        raise ValueError("a customer's last order is after today")
    return pd.DataFrame(
        {
            "partner_id": chosen["partner_id"].to_numpy(dtype=np.int64),
            "recency_days": recency,
            "frequency": _integers(orders[bought], "trailing_orders"),
            "monetary": _integers(pd.to_numeric(chosen["trailing_amount"]).fillna(0).to_numpy(), "trailing_amount"),
        }
    )


def score_customers(customers: pd.DataFrame, today: date) -> pd.DataFrame:
    """One row per customer of ``customers`` (columns of :func:`input_frame`),
    in its order: ``partner_id``, ``recency_days`` (``Int64``, missing without a
    trailing order), ``r_score``, ``f_score``, ``m_score`` (``int8``, 0 without a
    trailing order), ``rfm_code`` and ``segment`` (None without one).

    >>> c = pd.DataFrame({"partner_id": [1, 2], "last_order_date": [date(2024, 6, 20), date(2022, 1, 3)],
    ...                   "trailing_orders": [4, 0], "trailing_amount": [52_000, 0]})
    >>> score_customers(c, date(2024, 6, 30))[["partner_id", "r_score", "rfm_code", "segment"]].values.tolist()
    [[1, 3, '333', 'need_attention'], [2, 0, None, None]]
    """
    population = input_frame(customers, today)
    scored = score(population)
    positions = np.flatnonzero(pd.to_numeric(customers["trailing_orders"]).fillna(0).to_numpy() > 0)
    count = len(customers)
    result = pd.DataFrame({"partner_id": customers["partner_id"].to_numpy(dtype=np.int64)})
    recency = np.zeros(count, dtype=np.int64)
    recency[positions] = scored["recency_days"].to_numpy()
    missing = np.ones(count, dtype=bool)
    missing[positions] = False
    result["recency_days"] = pd.arrays.IntegerArray(recency, missing)
    for column in ("r_score", "f_score", "m_score"):
        values = np.zeros(count, dtype=np.int8)
        values[positions] = scored[column].to_numpy()
        result[column] = values
    for column in ("rfm_code", "segment"):
        values = np.full(count, None, dtype=object)
        values[positions] = scored[column].to_numpy()
        result[column] = values
    return result
