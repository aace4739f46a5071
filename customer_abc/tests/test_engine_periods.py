"""Period arithmetic on hand-checked dates (no database)."""

import itertools
from datetime import date

from odoo.tests import BaseCase, tagged

from ..analytics import periods


@tagged("post_install", "-at_install", "customer_abc_engine")
class TestEnginePeriods(BaseCase):
    def test_period_start_and_end(self):
        cases = [
            (date(2024, 5, 17), "month", date(2024, 5, 1), date(2024, 6, 1)),
            (date(2024, 12, 31), "month", date(2024, 12, 1), date(2025, 1, 1)),
            (date(2024, 2, 29), "month", date(2024, 2, 1), date(2024, 3, 1)),
            (date(2024, 1, 1), "quarter", date(2024, 1, 1), date(2024, 4, 1)),
            (date(2024, 6, 30), "quarter", date(2024, 4, 1), date(2024, 7, 1)),
            (date(2024, 11, 5), "quarter", date(2024, 10, 1), date(2025, 1, 1)),
        ]
        for day, kind, start, end in cases:
            with self.subTest(day=day, kind=kind):
                self.assertEqual(periods.period_start(day, kind), start)
                self.assertEqual(periods.period_end(start, kind), end)

    def test_last_completed_periods_never_include_the_running_one(self):
        cases = [
            (date(2024, 3, 1), "month", 1, [(date(2024, 2, 1), date(2024, 3, 1))]),
            (date(2024, 3, 31), "month", 1, [(date(2024, 2, 1), date(2024, 3, 1))]),
            (
                date(2024, 1, 15),
                "month",
                2,
                [(date(2023, 11, 1), date(2023, 12, 1)), (date(2023, 12, 1), date(2024, 1, 1))],
            ),
            (date(2024, 4, 1), "quarter", 1, [(date(2024, 1, 1), date(2024, 4, 1))]),
            (
                date(2024, 2, 10),
                "quarter",
                2,
                [(date(2023, 7, 1), date(2023, 10, 1)), (date(2023, 10, 1), date(2024, 1, 1))],
            ),
        ]
        for today, kind, count, expected in cases:
            with self.subTest(today=today, kind=kind, count=count):
                self.assertEqual(periods.last_completed_periods(today, kind, count), expected)

    def test_twelve_months_back_are_contiguous(self):
        result = periods.last_completed_periods(date(2025, 1, 10), "month", 12)
        self.assertEqual(result[0], (date(2024, 1, 1), date(2024, 2, 1)))
        self.assertEqual(result[-1], (date(2024, 12, 1), date(2025, 1, 1)))
        for (_start, end), (next_start, _end) in itertools.pairwise(result):
            self.assertEqual(end, next_start)

    def test_previous_period(self):
        self.assertEqual(periods.previous_period(date(2024, 1, 1), "month"), (date(2023, 12, 1), date(2024, 1, 1)))
        self.assertEqual(periods.previous_period(date(2024, 1, 1), "quarter"), (date(2023, 10, 1), date(2024, 1, 1)))

    def test_unknown_period_kind_is_refused(self):
        with self.assertRaises(ValueError):
            periods.period_start(date(2024, 1, 1), "week")
