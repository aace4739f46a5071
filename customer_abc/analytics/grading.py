"""ABC grading of customers for one period.

Pure pandas; no Odoo import.  Money is handled in **integer minor units**
(cents for a two-decimal currency) so that "exactly at a threshold" and
"exactly at a cumulative share" are decided without floating-point error.

Input frame (one row per customer of one company and one period):

============ ======= ==================================================
column       dtype   meaning
============ ======= ==================================================
partner_id   int64   commercial partner id (tie breaker of the ranking)
amount       int64   untaxed amount in company-currency minor units
order_count  int64   confirmed orders in the period
============ ======= ==================================================
"""

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

GRADES = ("A", "B", "C", "D")
_GRADE_RANK = {grade: index for index, grade in enumerate(GRADES)}

#: basis points (1/100 of a percent) in 100 %
_FULL_BP = 10_000
#: above this, products such as ``total * 10_000`` may overflow int64
_INT64_SAFE = 2**62 // _FULL_BP


def to_minor_units(value, digits: int) -> int:
    """Round a money value to an integer count of minor units (half up).

    >>> to_minor_units(1234.565, 2)
    123457
    """
    scaled = Decimal(str(value or 0)).scaleb(digits)
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_basis_points(percent) -> int:
    """Percent (float) to integer basis points: ``20.0 -> 2000``."""
    return to_minor_units(percent, 2)


def _exact(series: pd.Series, largest: int) -> pd.Series:
    """Return ``series`` in a dtype where ``largest * 10_000`` cannot overflow."""
    if largest > _INT64_SAFE:
        # Python integers never overflow; pandas would infer int64 back from map()
        return pd.Series([int(value) for value in series], index=series.index, dtype=object)
    return series.astype(np.int64)


def rank_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """Rank customers with a positive amount and compute their shares.

    Ranking is by amount descending, ties by ``partner_id`` ascending.  Rows
    with no positive amount get rank 0 and shares 0.  ``share_pct`` and
    ``cumulative_share_pct`` (including the row itself) are percentages of
    the total of the positive amounts; ``amount_before`` is the integer sum of
    the amounts ranked before the row (used by :func:`grade_share`).

    >>> f = pd.DataFrame({"partner_id": [1, 2, 3], "amount": [100, 300, 0], "order_count": [1, 1, 0]})
    >>> rank_shares(f)[["partner_id", "rank", "amount_before"]].values.tolist()
    [[1, 2, 300], [2, 1, 0], [3, 0, 0]]
    """
    result = frame.copy()
    amount = result["amount"]
    positive = (amount > 0) & (result["order_count"] > 0)
    ranked = result.loc[positive, ["partner_id", "amount"]].sort_values(
        ["amount", "partner_id"], ascending=[False, True], kind="mergesort"
    )
    total = int(ranked["amount"].sum()) if len(ranked) else 0
    cumulative = ranked["amount"].cumsum()
    result["rank"] = 0
    result["amount_before"] = 0
    result["share_pct"] = 0.0
    result["cumulative_share_pct"] = 0.0
    if total > 0:
        result.loc[ranked.index, "rank"] = np.arange(1, len(ranked) + 1)
        result.loc[ranked.index, "amount_before"] = cumulative - ranked["amount"]
        result.loc[ranked.index, "share_pct"] = ranked["amount"].astype(float) * 100.0 / total
        result.loc[ranked.index, "cumulative_share_pct"] = cumulative.astype(float) * 100.0 / total
    result["rank"] = result["rank"].astype(np.int64)
    result.attrs["total"] = total
    return result


def grade_fixed(frame: pd.DataFrame, threshold_a: int, threshold_b: int, threshold_c: int) -> pd.Series:
    """Grade by fixed thresholds (integer minor units, ``a > b > c >= 0``).

    A if amount >= a, B if >= b, C if >= c, else D; no order in the period is
    always D, even when ``c`` is 0.

    >>> f = pd.DataFrame({"amount": [100, 99, 0], "order_count": [1, 1, 0]})
    >>> grade_fixed(f, 100, 50, 0).tolist()
    ['A', 'B', 'D']
    """
    amount = frame["amount"]
    traded = frame["order_count"] > 0
    grades = np.select(
        [~traded, amount >= threshold_a, amount >= threshold_b, amount >= threshold_c],
        ["D", "A", "B", "C"],
        default="D",
    )
    return pd.Series(grades, index=frame.index, dtype=object)


def grade_share(ranked: pd.DataFrame, share_a: float, share_b: float) -> pd.Series:
    """Grade by cumulative share; ``ranked`` comes from :func:`rank_shares`.

    A customer belongs to the class in which its cumulative share *starts*:
    A while the share of the customers ranked before it is below ``share_a``
    percent, B while below ``share_a + share_b``, C otherwise.  The first
    customer is therefore always A.  Customers without a positive amount are D.

    >>> f = rank_shares(pd.DataFrame({"partner_id": [1, 2, 3, 4], "amount": [50, 30, 15, 5],
    ...                               "order_count": [1, 1, 1, 1]}))
    >>> grade_share(f, 20, 60).tolist()
    ['A', 'B', 'C', 'C']
    """
    total = int(ranked.attrs.get("total", ranked.loc[ranked["rank"] > 0, "amount"].sum()))
    before = _exact(ranked["amount_before"], total)
    limit_a = to_basis_points(share_a) * total
    limit_b = to_basis_points(share_a + share_b) * total
    scaled = before * _FULL_BP
    grades = np.select(
        [ranked["rank"] <= 0, scaled < limit_a, scaled < limit_b],
        ["D", "A", "B"],
        default="C",
    )
    return pd.Series(grades, index=ranked.index, dtype=object)


def grade_changes(previous: pd.Series, current: pd.Series) -> pd.Series:
    """``up`` / ``down`` / ``same`` against the previous grade, ``new`` without one.

    >>> grade_changes(pd.Series(["B", "A", None, "C"]), pd.Series(["A", "B", "D", "C"])).tolist()
    ['up', 'down', 'new', 'same']
    """
    prev_rank = previous.map(_GRADE_RANK)
    cur_rank = current.map(_GRADE_RANK)
    changes = np.select(
        [prev_rank.isna(), cur_rank < prev_rank, cur_rank > prev_rank],
        ["new", "up", "down"],
        default="same",
    )
    return pd.Series(changes, index=current.index, dtype=object)


def grade_period(
    frame: pd.DataFrame,
    method: str,
    thresholds: tuple[int, int, int] = (0, 0, 0),
    shares: tuple[float, float] = (20.0, 60.0),
) -> pd.DataFrame:
    """Grade one period with ``method`` (``"fixed"`` or ``"share"``).

    Returns ``frame`` with ``rank``, ``share_pct``, ``cumulative_share_pct``
    and ``grade`` added.  Ranks and shares are computed for both methods, so
    history rows always carry them.
    """
    ranked = rank_shares(frame)
    if method == "fixed":
        ranked["grade"] = grade_fixed(ranked, *thresholds)
    elif method == "share":
        ranked["grade"] = grade_share(ranked, *shares)
    else:
        raise ValueError(f"unknown grading method {method!r}")
    return ranked
