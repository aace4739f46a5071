"""Customer lifecycle as of a day: never / new / active / at_risk / churned.

Pure pandas; no Odoo import.  *Age* is the number of whole days between an
order's date (company timezone) and ``today``.

Fixed rule (company settings ``new_days``, ``at_risk_days``, ``churn_days``):

=========== ==========================================================
never       no confirmed order at all
new         first order age <= new_days
active      last order age <= at_risk_days
at_risk     at_risk_days < last order age <= churn_days
churned     last order age > churn_days
=========== ==========================================================

Adaptive rule (``adaptive=True``): for a customer with at least
:data:`ADAPTIVE_MIN_ORDERS` confirmed orders and a positive median gap
between its distinct order days, *active* lasts while the last order age is
at most ``at_risk_factor`` x median gap, *at_risk* while at most
``churn_factor`` x median gap, then *churned*.  Other customers fall back to
the fixed rule.  *new* and *never* are the same in both rules.
"""

from datetime import date

import numpy as np
import pandas as pd

LIFECYCLES = ("never", "new", "active", "at_risk", "churned")
ADAPTIVE_MIN_ORDERS = 3


def ages(dates: pd.Series, today: date) -> pd.Series:
    """Whole days from each date to ``today`` (``NaN`` where no date).

    >>> ages(pd.Series([date(2024, 3, 1), None]), date(2024, 3, 31)).tolist()
    [30.0, nan]
    """
    stamps = pd.to_datetime(dates, errors="coerce")
    return (pd.Timestamp(today) - stamps).dt.days.astype(float)


def lifecycle(
    frame: pd.DataFrame,
    today: date,
    new_days: int = 30,
    at_risk_days: int = 60,
    churn_days: int = 90,
    adaptive: bool = False,
    at_risk_factor: float = 2.0,
    churn_factor: float = 3.0,
) -> pd.Series:
    """Lifecycle of each customer of ``frame``.

    ``frame`` columns: ``first_order_date`` and ``last_order_date`` (dates or
    None), ``lifetime_count`` (confirmed orders) and, for the adaptive rule,
    ``median_gap`` (days, NaN when unknown).

    >>> f = pd.DataFrame({"first_order_date": [date(2024, 1, 1), None], "last_order_date": [date(2024, 3, 1), None],
    ...                   "lifetime_count": [5, 0]})
    >>> lifecycle(f, date(2024, 3, 31)).tolist()
    ['active', 'never']
    """
    first_age = ages(frame["first_order_date"], today)
    last_age = ages(frame["last_order_date"], today)
    active_limit = pd.Series(float(at_risk_days), index=frame.index)
    churn_limit = pd.Series(float(churn_days), index=frame.index)
    if adaptive and "median_gap" in frame:
        gap = frame["median_gap"].astype(float)
        rhythm = (frame["lifetime_count"] >= ADAPTIVE_MIN_ORDERS) & (gap > 0)
        active_limit = active_limit.where(~rhythm, gap * at_risk_factor)
        churn_limit = churn_limit.where(~rhythm, gap * churn_factor)
    states = np.select(
        [
            last_age.isna(),
            first_age <= new_days,
            last_age <= active_limit,
            last_age <= churn_limit,
        ],
        ["never", "new", "active", "at_risk"],
        default="churned",
    )
    return pd.Series(states, index=frame.index, dtype=object)


def median_gaps(orders: pd.DataFrame) -> pd.Series:
    """Median days between consecutive distinct order days, per partner.

    ``orders``: one row per (``partner_id``, ``order_date``).  Partners with a
    single order day get no value.

    >>> o = pd.DataFrame({"partner_id": [1, 1, 1, 1, 2], "order_date": [date(2024, 1, 1), date(2024, 1, 11),
    ...                   date(2024, 1, 11), date(2024, 2, 10), date(2024, 1, 1)]})
    >>> median_gaps(o).to_dict()
    {1: 20.0}
    """
    days = orders.drop_duplicates().copy()
    days["order_date"] = pd.to_datetime(days["order_date"])
    days = days.sort_values(["partner_id", "order_date"])
    days["gap"] = days.groupby("partner_id")["order_date"].diff().dt.days
    return days.dropna(subset=["gap"]).groupby("partner_id")["gap"].median().astype(float)
