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

import numpy as np
import pandas as pd

from .grading import to_basis_points

#: products below this bound are exact in int64
_INT64_LIMIT = 2**63 - 1


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
    surge_bp = to_basis_points(surge_pct)
    plunge_bp = to_basis_points(plunge_pct)
    cur = current.to_numpy()
    old = earlier.to_numpy()
    largest = max((abs(int(values.max())) + abs(int(values.min())) for values in (cur, old) if len(values)), default=0)
    if largest * max(10_000, abs(surge_bp), abs(plunge_bp)) < _INT64_LIMIT:
        # every product fits in int64: exact with numpy
        cur, old = cur.astype(np.int64), old.astype(np.int64)
    else:
        # Python integers never overflow
        cur = np.array([int(value) for value in cur], dtype=object)
        old = np.array([int(value) for value in old], dtype=object)
    judged = (old > 0) & (old >= minimum)
    rise = (cur - old) * 10_000 >= surge_bp * old
    fall = (old - cur) * 10_000 >= plunge_bp * old
    result = np.full(len(cur), None, dtype=object)
    result[judged & rise] = "surge"
    result[judged & fall & ~rise] = "plunge"
    return pd.Series(result, index=current.index, dtype=object)
