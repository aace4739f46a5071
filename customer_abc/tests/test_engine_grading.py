"""Grading engine on hand-checked tables (no database).

Amounts are integer cents: 100,000.00 is ``10_000_000``.
"""

import pandas as pd

from odoo.tests import BaseCase, tagged

from ..analytics import grading

A, B, C = 10_000_000, 5_000_000, 1_000_000  # default thresholds in cents


def frame(rows):
    """``rows``: (partner_id, amount_cents, order_count)."""
    return pd.DataFrame(rows, columns=["partner_id", "amount", "order_count"])


@tagged("post_install", "-at_install", "customer_abc_engine")
class TestEngineGrading(BaseCase):
    def test_fixed_thresholds_at_and_around_each_boundary(self):
        cases = [
            # amount, orders, expected
            (A + 1, 1, "A"),
            (A, 1, "A"),
            (A - 1, 1, "B"),
            (B, 1, "B"),
            (B - 1, 1, "C"),
            (C, 1, "C"),
            (C - 1, 1, "D"),
            (1, 1, "D"),
            (0, 1, "D"),
            (-500, 1, "D"),
            (0, 0, "D"),
            (A * 1000, 3, "A"),
        ]
        for amount, orders, expected in cases:
            with self.subTest(amount=amount, orders=orders):
                result = grading.grade_fixed(frame([(1, amount, orders)]), A, B, C)
                self.assertEqual(result.iloc[0], expected)

    def test_fixed_threshold_c_zero_still_needs_an_order(self):
        cases = [((0, 1), "C"), ((0, 0), "D"), ((5, 1), "C")]
        for (amount, orders), expected in cases:
            with self.subTest(amount=amount, orders=orders):
                self.assertEqual(grading.grade_fixed(frame([(1, amount, orders)]), A, B, 0).iloc[0], expected)

    def test_fixed_ties_get_the_same_grade(self):
        result = grading.grade_fixed(frame([(1, B, 1), (2, B, 2), (3, B, 1)]), A, B, C)
        self.assertEqual(result.tolist(), ["B", "B", "B"])

    def test_share_classes_start_rule(self):
        # (amounts by partner id 1..n), share A, share B, expected grades by partner id
        cases = [
            ("textbook 50/30/15/5", [50, 30, 15, 5], 20, 60, ["A", "B", "C", "C"]),
            ("first is always A", [1], 20, 60, ["A"]),
            ("own share above share A", [90, 10], 20, 60, ["A", "C"]),
            ("own share above A and B", [85, 10, 5], 20, 60, ["A", "C", "C"]),
            ("exactly at share A and at A+B", [20, 20, 20, 20, 20], 20, 60, ["A", "B", "B", "B", "C"]),
            ("one cent under share A", [1999, 1999, 1999, 1999, 1999, 5], 20, 60, ["A", "A", "B", "B", "B", "C"]),
            ("decimal shares", [125, 125, 750], 12.5, 70, ["B", "C", "A"]),
            (
                "small share A",
                [10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
                10,
                10,
                ["A", "B", "C", "C", "C", "C", "C", "C", "C", "C"],
            ),
        ]
        for label, amounts, share_a, share_b, expected in cases:
            with self.subTest(label):
                ranked = grading.rank_shares(frame([(i + 1, amount, 1) for i, amount in enumerate(amounts)]))
                self.assertEqual(grading.grade_share(ranked, share_a, share_b).tolist(), expected)

    def test_share_ties_are_broken_by_partner_id(self):
        ranked = grading.rank_shares(frame([(7, 500, 1), (3, 500, 1), (5, 500, 1)]))
        # rank: 3, 5, 7; before shares 0 %, 33.3 %, 66.7 %
        self.assertEqual(ranked.set_index("partner_id")["rank"].to_dict(), {3: 1, 5: 2, 7: 3})
        grades = grading.grade_share(ranked, 20, 60)
        self.assertEqual(dict(zip(ranked["partner_id"], grades, strict=True)), {3: "A", 5: "B", 7: "B"})

    def test_share_without_positive_amount_is_d(self):
        ranked = grading.rank_shares(frame([(1, 0, 0), (2, -100, 1), (3, 0, 1), (4, 300, 2)]))
        self.assertEqual(grading.grade_share(ranked, 20, 60).tolist(), ["D", "D", "D", "A"])
        self.assertEqual(ranked["rank"].tolist(), [0, 0, 0, 1])

    def test_share_empty_period(self):
        ranked = grading.rank_shares(frame([(1, 0, 0), (2, 0, 0)]))
        self.assertEqual(grading.grade_share(ranked, 20, 60).tolist(), ["D", "D"])
        self.assertEqual(ranked["share_pct"].tolist(), [0.0, 0.0])
        empty = grading.rank_shares(frame([]))
        self.assertEqual(len(grading.grade_share(empty, 20, 60)), 0)
        self.assertEqual(len(grading.grade_fixed(empty, A, B, C)), 0)

    def test_share_huge_totals_do_not_overflow(self):
        big = 4 * 10**17  # cents; total * 10_000 exceeds int64
        ranked = grading.rank_shares(frame([(1, big, 1), (2, big, 1), (3, big // 2, 1)]))
        # before shares: 0 %, 40 %, 80 % -> A, B, C
        self.assertEqual(grading.grade_share(ranked, 20, 60).tolist(), ["A", "B", "C"])

    def test_rank_and_shares_hand_checked(self):
        ranked = grading.rank_shares(frame([(1, 100, 1), (2, 300, 1), (3, 0, 0), (4, 600, 4)]))
        by_id = ranked.set_index("partner_id")
        self.assertEqual(by_id["rank"].to_dict(), {1: 3, 2: 2, 3: 0, 4: 1})
        self.assertEqual(by_id["amount_before"].to_dict(), {1: 900, 2: 600, 3: 0, 4: 0})
        self.assertAlmostEqual(by_id.loc[4, "share_pct"], 60.0)
        self.assertAlmostEqual(by_id.loc[2, "cumulative_share_pct"], 90.0)
        self.assertAlmostEqual(by_id.loc[1, "cumulative_share_pct"], 100.0)
        self.assertEqual(ranked.attrs["total"], 1000)

    def test_grade_changes(self):
        cases = [
            ("B", "A", "up"),
            ("D", "A", "up"),
            ("A", "B", "down"),
            ("C", "D", "down"),
            ("C", "C", "same"),
            (None, "A", "new"),
            (None, "D", "new"),
        ]
        previous = pd.Series([case[0] for case in cases], dtype=object)
        current = pd.Series([case[1] for case in cases], dtype=object)
        self.assertEqual(grading.grade_changes(previous, current).tolist(), [case[2] for case in cases])

    def test_grade_period_keeps_ranks_for_both_methods(self):
        period = frame([(1, 6_000_000, 1), (2, 20_000_000, 2), (3, 0, 0)])
        fixed = grading.grade_period(period, "fixed", (A, B, C))
        share = grading.grade_period(period, "share", shares=(20, 60))
        self.assertEqual(fixed["grade"].tolist(), ["B", "A", "D"])
        self.assertEqual(share["grade"].tolist(), ["B", "A", "D"])
        self.assertEqual(fixed["rank"].tolist(), share["rank"].tolist())
        with self.assertRaises(ValueError):
            grading.grade_period(period, "magic")

    def test_minor_units_round_half_up(self):
        cases = [
            (1234.565, 2, 123457),
            (0.005, 2, 1),
            (-0.005, 2, -1),
            (100000, 2, 10_000_000),
            (12.5, 0, 13),
            (None, 2, 0),
            (20, 2, 2000),
        ]
        for value, digits, expected in cases:
            with self.subTest(value=value, digits=digits):
                self.assertEqual(grading.to_minor_units(value, digits), expected)
