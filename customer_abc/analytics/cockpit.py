"""Figures of the cockpit: sales concentration (Pareto) and the comparison
of the two grading methods on one period.  Pure pandas; no Odoo import.

Input frame (one row per customer of one company and one period), as for
:mod:`.grading`: ``partner_id``, ``amount`` (integer minor units),
``order_count``.
"""

import math

import pandas as pd

from . import grading

#: the grades a threshold can be suggested for, best first
THRESHOLD_GRADES = ("A", "B", "C")


def _ranked(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` ranked by :func:`.grading.rank_shares`, unless it already is."""
    return frame if "rank" in frame.columns else grading.rank_shares(frame)


def pareto_curve(frame: pd.DataFrame, top_pct: float = 20.0, points: int = 100) -> dict:
    """Sales concentration of the customers who bought in the period.

    Customers with a positive amount (and an order) are ranked as in
    :func:`.grading.rank_shares` (``frame`` may be ranked already).  Returns ``customers`` (how many),
    ``total`` (minor units), ``top_count`` (the first ``ceil(top_pct %)`` of
    them), ``top_share_pct`` (their share of the total, exact from integer
    sums) and ``curve``: at most ``points + 1`` pairs ``[customers %,
    cumulative sales %]`` from ``[0, 0]`` to ``[100, 100]``, on the ranked
    customers (every customer when there are fewer than ``points``).

    >>> f = pd.DataFrame({"partner_id": [1, 2, 3, 4, 5], "amount": [600, 200, 100, 60, 40],
    ...                   "order_count": [1, 1, 1, 1, 1]})
    >>> c = pareto_curve(f)
    >>> (c["customers"], c["top_count"], c["top_share_pct"], c["curve"][:3])
    (5, 1, 60.0, [[0.0, 0.0], [20.0, 60.0], [40.0, 80.0]])
    """
    ranked = _ranked(frame)
    amounts = ranked.loc[ranked["rank"] > 0].sort_values("rank")["amount"]
    count = len(amounts)
    total = int(amounts.sum()) if count else 0
    if not count or total <= 0:
        return {"customers": 0, "total": 0, "top_count": 0, "top_share_pct": 0.0, "curve": []}
    cumulative = [int(value) for value in amounts.cumsum()]
    top_count = max(1, math.ceil(count * top_pct / 100.0 - 1e-9))
    if count <= points:
        indexes = range(1, count + 1)
    else:
        indexes = sorted({max(1, round(step * count / points)) for step in range(1, points + 1)})
    curve = [[0.0, 0.0]] + [[index * 100.0 / count, cumulative[index - 1] * 100.0 / total] for index in indexes]
    return {
        "customers": count,
        "total": total,
        "top_count": top_count,
        "top_share_pct": cumulative[top_count - 1] * 100.0 / total,
        "curve": curve,
    }


def compare_methods(frame: pd.DataFrame, thresholds: tuple[int, int, int], shares: tuple[float, float]) -> pd.DataFrame:
    """Grade one period both ways.

    Returns ``frame`` ranked (see :func:`.grading.rank_shares`; it may be
    ranked already) with the columns ``fixed_grade`` (fixed ``thresholds``,
    minor units) and ``share_grade`` (cumulative ``shares``, percent).

    >>> f = pd.DataFrame({"partner_id": [1, 2, 3, 4], "amount": [500, 300, 150, 50],
    ...                   "order_count": [1, 1, 1, 1]})
    >>> r = compare_methods(f, (400, 200, 100), (20, 60))
    >>> r[["fixed_grade", "share_grade"]].values.tolist()
    [['A', 'A'], ['B', 'B'], ['C', 'C'], ['D', 'C']]
    """
    ranked = _ranked(frame).copy()
    ranked["fixed_grade"] = grading.grade_fixed(ranked, *thresholds)
    ranked["share_grade"] = grading.grade_share(ranked, *shares)
    return ranked


def grade_totals(ranked: pd.DataFrame, column: str) -> dict:
    """``{grade: (count, amount)}`` for the grades in ``column``, every grade present.

    >>> r = pd.DataFrame({"amount": [5, 3, 0], "g": ["A", "A", "D"]})
    >>> grade_totals(r, "g")
    {'A': (2, 8), 'B': (0, 0), 'C': (0, 0), 'D': (1, 0)}
    """
    sums = ranked.groupby(column)["amount"].agg(["count", "sum"]) if len(ranked) else None
    totals = {}
    for grade in grading.GRADES:
        if sums is not None and grade in sums.index:
            totals[grade] = (int(sums.loc[grade, "count"]), int(sums.loc[grade, "sum"]))
        else:
            totals[grade] = (0, 0)
    return totals


def suggest_thresholds(ranked: pd.DataFrame, grades: pd.Series) -> dict:
    """Fixed thresholds (minor units) that reproduce the split ``grades``
    (usually the ``share_grade`` of :func:`compare_methods`).

    Threshold A is the smallest amount graded A, B the smallest graded B, C
    the smallest graded C.  A class without customers gets one minor unit
    above the largest amount graded below it and above the threshold below
    it (so that it stays empty).
    Returns ``thresholds`` (a, b, c), ``valid`` (a > b > c >= 0, what the
    settings accept) and ``exact`` (grading with them gives ``grades`` for
    every customer; false when equal amounts were split by the ranking).

    >>> f = pd.DataFrame({"partner_id": [1, 2, 3, 4], "amount": [500, 300, 150, 50],
    ...                   "order_count": [1, 1, 1, 1]})
    >>> r = compare_methods(f, (400, 200, 100), (20, 60))
    >>> suggest_thresholds(r, r["share_grade"])
    {'thresholds': (500, 300, 50), 'valid': True, 'exact': True}
    """
    traded = ranked[ranked["order_count"] > 0]
    # fixed-width strings compare much faster than Python objects
    graded = pd.Series(grades.reindex(traded.index).to_numpy(dtype="U1"), index=traded.index)
    suggestion = {}
    floor = 0  # one minor unit above the threshold of the class below
    for position in range(len(THRESHOLD_GRADES) - 1, -1, -1):
        grade = THRESHOLD_GRADES[position]
        amounts = traded.loc[graded == grade, "amount"]
        if len(amounts):
            suggestion[grade] = int(amounts.min())
        else:
            below = traded.loc[graded.isin(grading.GRADES[position + 1 :]), "amount"]
            suggestion[grade] = max(int(below.max()) + 1 if len(below) else 1, floor, 1)
        floor = suggestion[grade] + 1
    thresholds = tuple(suggestion[grade] for grade in THRESHOLD_GRADES)
    valid = thresholds[0] > thresholds[1] > thresholds[2] >= 0
    exact = bool((grading.grade_fixed(ranked, *thresholds) == grades).all()) if len(ranked) else True
    return {"thresholds": thresholds, "valid": valid, "exact": exact}
