"""Surge and plunge alerts: the last window of days against the one before.

Pure pandas; no Odoo import.  With ``days`` the window length and *age* the
whole days between an order's date and today, the current window holds ages
``0 .. days - 1`` and the earlier window ages ``days .. 2 * days - 1``.

change % = (current - earlier) / earlier x 100.  A trend is judged only when
the earlier window is positive and at least ``minimum``; then it is a
*surge* when change % >= ``surge_pct`` and a *plunge* when -change % >=
``plunge_pct``.  Values are integers (minor units of money, or order counts)
and the comparisons are exact.
"""

import pandas as pd

from .grading import to_basis_points


def window_bounds(today, days: int):
    """First and last day (inclusive) of the current and earlier windows.

    >>> from datetime import date
    >>> window_bounds(date(2024, 3, 31), 30)
    ((datetime.date(2024, 3, 2), datetime.date(2024, 3, 31)), (datetime.date(2024, 2, 1), datetime.date(2024, 3, 1)))
    """
    from datetime import timedelta

    current = (today - timedelta(days=days - 1), today)
    earlier = (today - timedelta(days=2 * days - 1), today - timedelta(days=days))
    return current, earlier


def change_pct(current: pd.Series, earlier: pd.Series) -> pd.Series:
    """(current - earlier) / earlier x 100, ``NaN`` where earlier is 0.

    >>> change_pct(pd.Series([30, 5, 4]), pd.Series([10, 10, 0])).tolist()
    [200.0, -50.0, nan]
    """
    earlier_f = earlier.astype(float)
    return ((current.astype(float) - earlier_f) * 100.0 / earlier_f.where(earlier_f != 0)).astype(float)


def trend(current: pd.Series, earlier: pd.Series, surge_pct: float, plunge_pct: float, minimum: int = 0) -> pd.Series:
    """``"surge"``, ``"plunge"`` or ``None`` per row.

    >>> trend(pd.Series([20, 5, 6, 9, 0]), pd.Series([10, 10, 10, 0, 10]), 100, 50).tolist()
    ['surge', 'plunge', None, None, 'plunge']
    """
    cur = [int(value) for value in current]
    old = [int(value) for value in earlier]
    surge_bp = to_basis_points(surge_pct)
    plunge_bp = to_basis_points(plunge_pct)
    judged = pd.Series([o > 0 and o >= minimum for o in old], index=current.index, dtype=bool)
    rise = pd.Series([(c - o) * 10_000 >= surge_bp * o for c, o in zip(cur, old, strict=True)], index=current.index)
    fall = pd.Series([(o - c) * 10_000 >= plunge_bp * o for c, o in zip(cur, old, strict=True)], index=current.index)
    result = pd.Series([None] * len(cur), index=current.index, dtype=object)
    result[judged & rise] = "surge"
    result[judged & fall & ~rise] = "plunge"
    return result
