"""Calendar periods (month / quarter) used to grade customers.

Pure functions on :class:`datetime.date`; no Odoo import.  A period is the
half-open interval ``[start, end)``: ``end`` is the first day of the next
period, so an order dated on ``end`` belongs to the next period.
"""

from datetime import date

PERIOD_MONTHS = {"month": 1, "quarter": 3}


def _months(period: str) -> int:
    try:
        return PERIOD_MONTHS[period]
    except KeyError:
        raise ValueError(f"unknown period kind {period!r}") from None


def _shift(day: date, months: int) -> date:
    """First day of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_start(day: date, period: str = "month") -> date:
    """First day of the period containing ``day``.

    >>> period_start(date(2024, 5, 17), "quarter")
    datetime.date(2024, 4, 1)
    """
    step = _months(period)
    month = (day.month - 1) // step * step + 1
    return date(day.year, month, 1)


def period_end(start: date, period: str = "month") -> date:
    """Exclusive end of the period that starts on ``start``.

    >>> period_end(date(2024, 12, 1), "month")
    datetime.date(2025, 1, 1)
    """
    return _shift(start, _months(period))


def last_completed_periods(today: date, period: str = "month", count: int = 1) -> list[tuple[date, date]]:
    """The ``count`` latest periods that ended on or before ``today``, oldest first.

    The period containing ``today`` is still running and is never included.

    >>> last_completed_periods(date(2024, 3, 1), "month", 2)
    [(datetime.date(2024, 1, 1), datetime.date(2024, 2, 1)), (datetime.date(2024, 2, 1), datetime.date(2024, 3, 1))]
    """
    step = _months(period)
    current = period_start(today, period)
    periods = []
    for back in range(count, 0, -1):
        start = _shift(current, -back * step)
        periods.append((start, _shift(start, step)))
    return periods


def previous_period(start: date, period: str = "month") -> tuple[date, date]:
    """The period just before the one starting on ``start``."""
    prev_start = _shift(start, -_months(period))
    return prev_start, start
