"""Lifecycle and trend rules at their boundaries (no database)."""

from datetime import date, timedelta

import pandas as pd

from odoo.tests import BaseCase, tagged

from ..analytics import lifecycle, trends

TODAY = date(2024, 6, 30)


def ago(days):
    return None if days is None else TODAY - timedelta(days=days)


def frame(rows):
    """``rows``: (first order age, last order age, orders, median gap)."""
    return pd.DataFrame(
        {
            "first_order_date": [ago(row[0]) for row in rows],
            "last_order_date": [ago(row[1]) for row in rows],
            "lifetime_count": [row[2] for row in rows],
            "median_gap": [row[3] for row in rows],
        }
    )


@tagged("post_install", "-at_install", "customer_abc_engine")
class TestEngineLifecycle(BaseCase):
    def test_fixed_rule_at_every_edge(self):
        cases = [
            # first age, last age, orders, expected
            (None, None, 0, "never"),
            (0, 0, 1, "new"),
            (30, 30, 1, "new"),
            (30, 0, 4, "new"),
            (31, 31, 1, "active"),
            (400, 0, 9, "active"),
            (400, 60, 9, "active"),
            (400, 61, 9, "at_risk"),
            (400, 90, 9, "at_risk"),
            (400, 91, 9, "churned"),
            (95, 91, 2, "churned"),
            (700, 365, 30, "churned"),
        ]
        result = lifecycle.lifecycle(frame([(f, last, n, None) for f, last, n, _e in cases]), TODAY)
        for (first, last, orders, expected), got in zip(cases, result, strict=True):
            with self.subTest(first=first, last=last, orders=orders):
                self.assertEqual(got, expected)

    def test_fixed_rule_follows_the_settings(self):
        rows = frame([(20, 20, 1, None), (200, 40, 5, None), (200, 100, 5, None), (200, 130, 5, None)])
        result = lifecycle.lifecycle(rows, TODAY, new_days=10, at_risk_days=30, churn_days=120)
        self.assertEqual(result.tolist(), ["active", "at_risk", "at_risk", "churned"])

    def test_adaptive_rule_by_number_of_orders(self):
        cases = [
            # first age, last age, orders, median gap, expected
            ("1 order falls back", 200, 50, 1, None, "active"),
            ("2 orders fall back", 200, 50, 2, 150.0, "active"),
            ("2 orders fall back, churned", 200, 95, 2, 10.0, "churned"),
            ("3 orders: 2 x gap", 200, 20, 3, 10.0, "active"),
            ("3 orders: just above 2 x gap", 200, 21, 3, 10.0, "at_risk"),
            ("3 orders: 3 x gap", 200, 30, 3, 10.0, "at_risk"),
            ("3 orders: above 3 x gap", 200, 31, 3, 10.0, "churned"),
            ("slow rhythm stays active past 60 days", 700, 150, 6, 90.0, "active"),
            ("slow rhythm at risk past 2 x gap", 700, 181, 6, 90.0, "at_risk"),
            ("zero gap falls back", 200, 50, 5, 0.0, "active"),
            ("new wins", 25, 24, 3, 1.0, "new"),
            ("never stays never", None, None, 0, None, "never"),
        ]
        rows = frame([(f, last, n, gap) for _label, f, last, n, gap, _e in cases])
        result = lifecycle.lifecycle(rows, TODAY, adaptive=True, at_risk_factor=2.0, churn_factor=3.0)
        for case, got in zip(cases, result, strict=True):
            with self.subTest(case[0]):
                self.assertEqual(got, case[-1])

    def test_median_gaps_use_distinct_order_days(self):
        orders = pd.DataFrame(
            {
                "partner_id": [1, 1, 1, 1, 2, 2, 3],
                "order_date": [
                    date(2024, 1, 1),
                    date(2024, 1, 1),
                    date(2024, 1, 5),
                    date(2024, 1, 25),
                    date(2024, 3, 1),
                    date(2024, 3, 4),
                    date(2024, 3, 1),
                ],
            }
        )
        self.assertEqual(lifecycle.median_gaps(orders).to_dict(), {1: 12.0, 2: 3.0})


@tagged("post_install", "-at_install", "customer_abc_engine")
class TestEngineTrends(BaseCase):
    def test_trend_at_every_edge(self):
        cases = [
            # current, earlier, minimum, expected
            (200, 100, 0, "surge"),  # +100 % exactly
            (199, 100, 0, None),  # +99 %
            (300, 100, 0, "surge"),
            (50, 100, 0, "plunge"),  # -50 % exactly
            (51, 100, 0, None),  # -49 %
            (0, 100, 0, "plunge"),
            (100, 0, 0, None),  # earlier window empty: not judged
            (0, 0, 0, None),
            (400, 99, 100, None),  # below the minimum
            (400, 100, 100, "surge"),  # at the minimum
            (10**15, 10**12, 0, "surge"),
        ]
        current = pd.Series([case[0] for case in cases])
        earlier = pd.Series([case[1] for case in cases])
        for index, (cur, old, minimum, expected) in enumerate(cases):
            with self.subTest(current=cur, earlier=old, minimum=minimum):
                got = trends.trend(current.iloc[[index]], earlier.iloc[[index]], 100, 50, minimum).iloc[0]
                self.assertEqual(got, expected)

    def test_trend_stays_exact_where_int64_would_overflow(self):
        """Amounts near the job's limit (2**62 minor units): (current -
        earlier) x 10,000 leaves int64, and the edges stay exact; the same
        rows judged one at a time and all together (one large amount
        switches a whole chunk to exact integers)."""
        cases = [
            (2**61, 2**60, "surge"),  # +100 % exactly
            (2**61 - 1, 2**60, None),  # just under +100 %
            (2**59, 2**60, "plunge"),  # -50 % exactly
            (2**59 + 1, 2**60, None),  # just under -50 %
            (200, 100, "surge"),
            (51, 100, None),
        ]
        current = pd.Series([case[0] for case in cases])
        earlier = pd.Series([case[1] for case in cases])
        expected = [case[2] for case in cases]
        self.assertEqual(trends.trend(current, earlier, 100, 50).tolist(), expected)
        for index, (cur, old, wanted) in enumerate(cases):
            with self.subTest(current=cur, earlier=old):
                self.assertEqual(trends.trend(current.iloc[[index]], earlier.iloc[[index]], 100, 50).iloc[0], wanted)

    def test_trend_follows_the_settings(self):
        got = trends.trend(pd.Series([150, 70, 80]), pd.Series([100, 100, 100]), 50, 30).tolist()
        self.assertEqual(got, ["surge", "plunge", None])

    def test_change_pct(self):
        got = trends.change_pct(pd.Series([300, 50, 7]), pd.Series([100, 100, 0]))
        self.assertEqual(got.iloc[0], 200.0)
        self.assertEqual(got.iloc[1], -50.0)
        self.assertTrue(pd.isna(got.iloc[2]))

    def test_window_bounds(self):
        current, earlier = trends.window_bounds(date(2024, 3, 1), 30)
        self.assertEqual(current, (date(2024, 2, 1), date(2024, 3, 1)))
        self.assertEqual(earlier, (date(2024, 1, 2), date(2024, 1, 31)))
        current, earlier = trends.window_bounds(date(2024, 3, 1), 7)
        self.assertEqual(current, (date(2024, 2, 24), date(2024, 3, 1)))
        self.assertEqual(earlier, (date(2024, 2, 17), date(2024, 2, 23)))
