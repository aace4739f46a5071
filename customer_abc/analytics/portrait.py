"""Figures of one customer's portrait, from its orders and order lines.
Pure pandas; no Odoo import.

``orders``: one row per confirmed order with ``local_date`` (a ``date`` in
the company's timezone) and ``amount`` (company currency).
``lines``: one row per product and order day with ``product_id``,
``categ_id``, ``local_date``, ``qty``, ``amount`` (reward, down-payment and
section lines already left out).
"""

from datetime import date

import pandas as pd

from . import periods


def month_starts(today: date, count: int) -> list[date]:
    """The first days of the ``count`` months ending with the month of ``today``.

    >>> month_starts(date(2024, 3, 15), 3)
    [datetime.date(2024, 1, 1), datetime.date(2024, 2, 1), datetime.date(2024, 3, 1)]
    """
    current = periods.period_start(today, "month")
    return [_shift(current, offset) for offset in range(1 - count, 1)]


def _shift(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def monthly_series(orders: pd.DataFrame, months: list[date]) -> dict:
    """Amount and order count of each month of ``months`` (first days).

    >>> o = pd.DataFrame({"local_date": [date(2024, 1, 5), date(2024, 1, 9), date(2024, 3, 1)],
    ...                   "amount": [10.0, 5.0, 7.5]})
    >>> monthly_series(o, month_starts(date(2024, 3, 15), 3))
    {'amounts': [15.0, 0.0, 7.5], 'counts': [2, 0, 1]}
    """
    amounts = dict.fromkeys(months, 0.0)
    counts = dict.fromkeys(months, 0)
    for day, amount in zip(orders["local_date"], orders["amount"], strict=True):
        month = date(day.year, day.month, 1)
        if month in amounts:
            amounts[month] += float(amount)
            counts[month] += 1
    return {"amounts": [amounts[month] for month in months], "counts": [counts[month] for month in months]}


def months_active(first: date | None, today: date) -> int:
    """Calendar months from the month of ``first`` to the month of ``today``, both included.

    >>> months_active(date(2024, 1, 31), date(2024, 3, 1))
    3
    """
    if first is None:
        return 0
    return max(1, (today.year - first.year) * 12 + today.month - first.month + 1)


def weekday_counts(orders: pd.DataFrame) -> dict:
    """Orders and amount per weekday of the local order date, Monday first.

    >>> o = pd.DataFrame({"local_date": [date(2024, 3, 4), date(2024, 3, 11), date(2024, 3, 10)],
    ...                   "amount": [1.0, 2.0, 4.0]})
    >>> weekday_counts(o)
    {'counts': [2, 0, 0, 0, 0, 0, 1], 'amounts': [3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 4.0]}
    """
    counts = [0] * 7
    amounts = [0.0] * 7
    for day, amount in zip(orders["local_date"], orders["amount"], strict=True):
        counts[day.weekday()] += 1
        amounts[day.weekday()] += float(amount)
    return {"counts": counts, "amounts": amounts}


def preferences(lines: pd.DataFrame, key: str) -> pd.DataFrame:
    """Amount, quantity, order days and share of the amount per ``key``
    (``product_id`` or ``categ_id``), largest amount first (ties by key).

    >>> l = pd.DataFrame({"product_id": [1, 2, 1], "local_date": [date(2024, 1, 1)] * 3,
    ...                   "qty": [1.0, 2.0, 3.0], "amount": [30.0, 10.0, 60.0]})
    >>> preferences(l, "product_id")[["product_id", "amount", "share_pct"]].values.tolist()
    [[1.0, 90.0, 90.0], [2.0, 10.0, 10.0]]
    """
    columns = [key, "amount", "qty", "days", "share_pct"]
    if not len(lines):
        return pd.DataFrame(columns=columns)
    grouped = lines.groupby(key).agg(amount=("amount", "sum"), qty=("qty", "sum"), days=("local_date", "nunique"))
    grouped = grouped.reset_index()
    total = float(grouped["amount"].sum())
    grouped["share_pct"] = grouped["amount"] * 100.0 / total if total else 0.0
    grouped = grouped.sort_values(["amount", key], ascending=[False, True], kind="mergesort")
    return grouped[columns].reset_index(drop=True)


def usual_items(
    lines: pd.DataFrame, completed: list[tuple[date, date]], current: tuple[date, date], min_periods: int = 3
) -> pd.DataFrame:
    """Products bought in at least ``min_periods`` of the ``completed``
    periods (``(start, end)``, end exclusive) and not in the ``current`` one.

    Returns ``product_id``, ``periods`` (how many of the completed periods
    had it), ``last_date``, ``qty`` and ``amount`` over those periods; most
    regular first, then the largest amount.

    >>> l = pd.DataFrame({"product_id": [7, 7, 7, 8, 8, 8, 8],
    ...     "local_date": [date(2024, 1, 3), date(2024, 2, 3), date(2024, 3, 9),
    ...                    date(2024, 1, 3), date(2024, 2, 3), date(2024, 3, 3), date(2024, 4, 2)],
    ...     "qty": [1.0] * 7, "amount": [10.0] * 7})
    >>> months = [(date(2024, 1, 1), date(2024, 2, 1)), (date(2024, 2, 1), date(2024, 3, 1)),
    ...           (date(2024, 3, 1), date(2024, 4, 1))]
    >>> usual_items(l, months, (date(2024, 4, 1), date(2024, 5, 1)))[["product_id", "periods"]].values.tolist()
    [[7, 3]]
    """
    columns = ["product_id", "periods", "last_date", "qty", "amount"]
    if not len(lines) or not completed:
        return pd.DataFrame(columns=columns)
    frame = lines[["product_id", "local_date", "qty", "amount"]].copy()
    frame["period"] = None
    for index, (start, end) in enumerate(completed):
        inside = frame["local_date"].map(lambda day, start=start, end=end: start <= day < end)
        frame.loc[inside, "period"] = index
    bought_now = set(frame.loc[frame["local_date"].map(lambda day: current[0] <= day < current[1]), "product_id"])
    past = frame[frame["period"].notna()]
    if not len(past):
        return pd.DataFrame(columns=columns)
    grouped = past.groupby("product_id").agg(
        periods=("period", "nunique"), last_date=("local_date", "max"), qty=("qty", "sum"), amount=("amount", "sum")
    )
    grouped = grouped[(grouped["periods"] >= min_periods) & ~grouped.index.isin(bought_now)].reset_index()
    grouped = grouped.sort_values(["periods", "amount", "product_id"], ascending=[False, False, True])
    return grouped[columns].reset_index(drop=True)
