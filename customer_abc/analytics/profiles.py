"""The per-customer "now" picture: grade of the last completed period plus
growth, lifecycle and trend alerts.  Pure pandas; no Odoo import.
"""

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from . import lifecycle, trends


@dataclass(frozen=True)
class Rules:
    """Lifecycle and trend settings of a company (money in minor units)."""

    new_days: int = 30
    at_risk_days: int = 60
    churn_days: int = 90
    adaptive: bool = False
    at_risk_factor: float = 2.0
    churn_factor: float = 3.0
    surge_pct: float = 100.0
    plunge_pct: float = 50.0
    trend_min_amount: int = 0
    trend_min_orders: int = 1


def lifecycle_by_rules(frame: pd.DataFrame, today: date, rules: Rules) -> pd.Series:
    """:func:`lifecycle.lifecycle` with a company's :class:`Rules`."""
    return lifecycle.lifecycle(
        frame,
        today,
        rules.new_days,
        rules.at_risk_days,
        rules.churn_days,
        rules.adaptive,
        rules.at_risk_factor,
        rules.churn_factor,
    )


def build_profiles(customers: pd.DataFrame, graded: pd.DataFrame, today: date, rules: Rules) -> pd.DataFrame:
    """One row per customer of ``customers``.

    ``customers`` (per commercial partner): ``partner_id``,
    ``first_order_date``, ``last_order_date``, ``lifetime_count``,
    ``lifetime_amount``, ``previous_amount`` (the period before the graded
    one), ``trend_amount_current`` / ``_previous``, ``trend_orders_current`` /
    ``_previous`` and optionally ``median_gap``.  ``graded``: the graded
    period's rows (``partner_id``, ``grade``, ``previous_grade``, ``amount``,
    ``order_count``, ``share_pct``, ``cumulative_share_pct``, ``rank``);
    customers missing there (not yet customers in that period) are D with
    nothing ordered.

    >>> c = pd.DataFrame({"partner_id": [1], "first_order_date": [date(2024, 1, 5)],
    ...     "last_order_date": [date(2024, 3, 20)], "lifetime_count": [4], "lifetime_amount": [900],
    ...     "previous_amount": [200], "trend_amount_current": [500], "trend_amount_previous": [100],
    ...     "trend_orders_current": [2], "trend_orders_previous": [1]})
    >>> g = pd.DataFrame({"partner_id": [1], "grade": ["C"], "previous_grade": ["D"], "amount": [300],
    ...     "order_count": [1], "share_pct": [100.0], "cumulative_share_pct": [100.0], "rank": [1]})
    >>> row = build_profiles(c, g, date(2024, 3, 31), Rules()).iloc[0]
    >>> (row.computed_grade, float(row.growth_pct), row.lifecycle, int(row.days_since_last_order), row.amount_trend)
    ('C', 50.0, 'active', 11, 'surge')
    """
    # a new frame sharing the columns (they are replaced, never written in place)
    result = customers.copy(deep=False)
    result.index = pd.RangeIndex(len(result))
    period = graded.set_index("partner_id").reindex(result["partner_id"])
    result["computed_grade"] = period["grade"].fillna("D").to_numpy()
    result["previous_grade"] = [grade if isinstance(grade, str) else None for grade in period["previous_grade"]]
    result["period_amount"] = period["amount"].fillna(0).astype("int64").to_numpy()
    result["period_order_count"] = period["order_count"].fillna(0).astype("int64").to_numpy()
    result["share_pct"] = period["share_pct"].fillna(0.0).to_numpy()
    result["cumulative_share_pct"] = period["cumulative_share_pct"].fillna(0.0).to_numpy()
    result["rank"] = period["rank"].fillna(0).astype("int64").to_numpy()
    result["growth_pct"] = trends.change_pct(result["period_amount"], result["previous_amount"])
    if "median_gap" not in result:
        result["median_gap"] = np.nan
    result["median_gap_days"] = result["median_gap"]
    result["lifetime_order_count"] = result["lifetime_count"]
    result["lifecycle"] = lifecycle_by_rules(result, today, rules)
    last_age = lifecycle.ages(result["last_order_date"], today)
    result["days_since_last_order"] = last_age.astype("Int64")
    result["amount_trend"] = trends.trend(
        result["trend_amount_current"],
        result["trend_amount_previous"],
        rules.surge_pct,
        rules.plunge_pct,
        rules.trend_min_amount,
    )
    result["frequency_trend"] = trends.trend(
        result["trend_orders_current"],
        result["trend_orders_previous"],
        rules.surge_pct,
        rules.plunge_pct,
        rules.trend_min_orders,
    )
    result["amount_change_pct"] = trends.change_pct(result["trend_amount_current"], result["trend_amount_previous"])
    result["frequency_change_pct"] = trends.change_pct(result["trend_orders_current"], result["trend_orders_previous"])
    return result
