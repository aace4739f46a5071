"""Cockpit and portrait figures on hand-checked tables (no database).

Amounts are integer cents unless said otherwise.
"""

from datetime import date

import pandas as pd

from odoo.tests import BaseCase, tagged

from ..analytics import cockpit, portrait


def frame(rows):
    """``rows``: (partner_id, amount_cents, order_count)."""
    return pd.DataFrame(rows, columns=["partner_id", "amount", "order_count"])


@tagged("post_install", "-at_install", "customer_abc_engine")
class TestEngineCockpit(BaseCase):
    def test_pareto_of_ten_customers(self):
        amounts = [500, 200, 100, 60, 40, 30, 30, 20, 15, 5]  # total 1,000
        curve = cockpit.pareto_curve(frame([(index + 1, amount, 1) for index, amount in enumerate(amounts)]))
        self.assertEqual(curve["customers"], 10)
        self.assertEqual(curve["total"], 1000)
        self.assertEqual(curve["top_count"], 2)
        self.assertEqual(curve["top_share_pct"], 70.0)
        self.assertEqual(len(curve["curve"]), 11)
        self.assertEqual(curve["curve"][-1], [100.0, 100.0])

    def test_pareto_rounds_the_top_up_and_ignores_non_buyers(self):
        rows = [(1, 300, 1), (2, 200, 1), (3, 100, 2), (4, 0, 0), (5, -50, 1)]
        curve = cockpit.pareto_curve(frame(rows))
        # three buyers: 20 % of them is 0.6, one customer
        self.assertEqual((curve["customers"], curve["top_count"]), (3, 1))
        self.assertEqual(curve["top_share_pct"], 50.0)

    def test_pareto_samples_large_populations(self):
        rows = [(index, 1000 - index, 1) for index in range(1, 501)]
        curve = cockpit.pareto_curve(frame(rows), points=100)
        self.assertEqual(len(curve["curve"]), 101)
        self.assertEqual(curve["curve"][1][0], 1.0)
        self.assertEqual(curve["top_count"], 100)

    def test_pareto_without_sales(self):
        curve = cockpit.pareto_curve(frame([(1, 0, 0)]))
        self.assertEqual(curve, {"customers": 0, "total": 0, "top_count": 0, "top_share_pct": 0.0, "curve": []})

    def test_comparison_and_totals(self):
        ranked = cockpit.compare_methods(frame([(1, 500, 1), (2, 300, 1), (3, 150, 1), (4, 50, 1), (5, 0, 0)]),
                                         (400, 200, 100), (20, 60))  # fmt: skip
        self.assertEqual(ranked["fixed_grade"].tolist(), ["A", "B", "C", "D", "D"])
        self.assertEqual(ranked["share_grade"].tolist(), ["A", "B", "C", "C", "D"])
        self.assertEqual(
            cockpit.grade_totals(ranked, "share_grade"), {"A": (1, 500), "B": (1, 300), "C": (2, 200), "D": (1, 0)}
        )
        self.assertEqual(cockpit.grade_totals(ranked.iloc[0:0], "share_grade")["A"], (0, 0))

    def test_suggested_thresholds_reproduce_the_share_split(self):
        ranked = cockpit.compare_methods(frame([(1, 500, 1), (2, 300, 1), (3, 150, 1), (4, 50, 1)]), (1, 0, 0),
                                         (20, 60))  # fmt: skip
        suggestion = cockpit.suggest_thresholds(ranked, ranked["share_grade"])
        self.assertEqual(suggestion, {"thresholds": (500, 300, 50), "valid": True, "exact": True})

    def test_suggested_thresholds_with_equal_amounts_on_a_boundary(self):
        # 400 / 400 / 200: the second 400 starts at 40 %, so it is B while its twin is A
        ranked = cockpit.compare_methods(frame([(1, 400, 1), (2, 400, 1), (3, 200, 1)]), (1, 0, 0), (20, 60))
        self.assertEqual(ranked["share_grade"].tolist(), ["A", "B", "C"])
        suggestion = cockpit.suggest_thresholds(ranked, ranked["share_grade"])
        self.assertEqual(suggestion["thresholds"], (400, 400, 200))
        self.assertFalse(suggestion["valid"])
        self.assertFalse(suggestion["exact"])

    def test_suggested_thresholds_when_classes_are_empty(self):
        # one customer holds everything: A; B and C are empty
        ranked = cockpit.compare_methods(frame([(1, 900, 1), (2, 0, 1)]), (1, 0, 0), (20, 60))
        self.assertEqual(ranked["share_grade"].tolist(), ["A", "D"])
        suggestion = cockpit.suggest_thresholds(ranked, ranked["share_grade"])
        self.assertEqual(suggestion["thresholds"], (900, 2, 1))
        self.assertTrue(suggestion["valid"])
        self.assertTrue(suggestion["exact"])

    def test_month_starts_and_months_active(self):
        self.assertEqual(portrait.month_starts(date(2024, 1, 31), 2), [date(2023, 12, 1), date(2024, 1, 1)])
        self.assertEqual(len(portrait.month_starts(date(2024, 3, 15), 24)), 24)
        self.assertEqual(portrait.month_starts(date(2024, 3, 15), 24)[0], date(2022, 4, 1))
        self.assertEqual(portrait.months_active(date(2023, 12, 20), date(2024, 1, 2)), 2)
        self.assertEqual(portrait.months_active(None, date(2024, 1, 2)), 0)

    def test_usual_items_need_enough_periods_and_no_purchase_now(self):
        months = [(date(2024, m, 1), date(2024, m + 1, 1)) for m in range(1, 7)]
        current = (date(2024, 7, 1), date(2024, 8, 1))
        lines = pd.DataFrame(
            [
                # product, day, qty, amount
                (1, date(2024, 1, 5), 1.0, 10.0),
                (1, date(2024, 1, 20), 1.0, 10.0),  # twice in January counts once
                (1, date(2024, 3, 5), 1.0, 10.0),
                (1, date(2024, 6, 5), 2.0, 20.0),
                (2, date(2024, 1, 5), 1.0, 99.0),
                (2, date(2024, 2, 5), 1.0, 99.0),
                (2, date(2024, 4, 5), 1.0, 99.0),
                (2, date(2024, 7, 2), 1.0, 99.0),  # bought in the running period
                (3, date(2023, 12, 5), 1.0, 5.0),  # before the six periods
                (3, date(2024, 1, 5), 1.0, 5.0),
                (3, date(2024, 5, 5), 1.0, 5.0),
            ],
            columns=["product_id", "local_date", "qty", "amount"],
        )
        items = portrait.usual_items(lines, months, current)
        self.assertEqual(items["product_id"].tolist(), [1])
        self.assertEqual(items.iloc[0]["periods"], 3)
        self.assertEqual(items.iloc[0]["qty"], 5.0)
        self.assertEqual(items.iloc[0]["last_date"], date(2024, 6, 5))
        self.assertTrue(portrait.usual_items(lines.iloc[0:0], months, current).empty)

    def test_preferences_shares(self):
        lines = pd.DataFrame(
            [(7, date(2024, 1, 1), 1.0, 75.0), (8, date(2024, 1, 1), 1.0, 25.0), (7, date(2024, 1, 2), 1.0, 0.0)],
            columns=["categ_id", "local_date", "qty", "amount"],
        )
        table = portrait.preferences(lines, "categ_id")
        self.assertEqual(table["categ_id"].tolist(), [7, 8])
        self.assertEqual(table["share_pct"].tolist(), [75.0, 25.0])
        self.assertEqual(table["days"].tolist(), [2, 1])
        self.assertTrue(portrait.preferences(lines.iloc[0:0], "categ_id").empty)
