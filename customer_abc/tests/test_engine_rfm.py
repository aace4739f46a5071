"""RFM scores, codes and segments at their boundaries (no database).

Amounts are integer cents.
"""

import math
import random
from datetime import date, timedelta
from fractions import Fraction

import numpy as np
import pandas as pd

from odoo.tests import BaseCase, tagged

from ..analytics import rfm

TODAY = date(2024, 6, 30)


def reference_scores(values, higher_is_better=True):
    """The rule of :mod:`rfm` restated in exact fractions, one value at a time."""
    n = len(values)
    worst, best = (min(values), max(values)) if higher_is_better else (max(values), min(values))
    scores = []
    for value in values:
        worse = sum(1 for other in values if (other < value if higher_is_better else other > value))
        equal = values.count(value)
        percentile = Fraction(2 * worse + equal, 2 * n)
        score = min(5, math.floor(5 * percentile) + 1)
        if worst == best:
            score = 3
        elif value == worst:
            score = 1
        elif value == best:
            score = 5
        scores.append(score)
    return scores


def population(rows):
    """``rows``: (recency_days, frequency, monetary); partner ids 1..n."""
    return pd.DataFrame(
        [(index + 1, *row) for index, row in enumerate(rows)],
        columns=["partner_id", "recency_days", "frequency", "monetary"],
    )


@tagged("post_install", "-at_install", "customer_abc_engine")
class TestEngineRfmScores(BaseCase):
    def test_quintiles_are_exact_for_multiples_of_five(self):
        cases = [
            # n distinct values 1..n, expected scores best-last
            (5, [1, 2, 3, 4, 5]),
            (10, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
            (25, [score for score in rfm.SCORES for _ in range(5)]),
        ]
        for n, expected in cases:
            with self.subTest(n=n):
                self.assertEqual(rfm.quintile_scores(list(range(1, n + 1))).tolist(), expected)
                # recency: fewer days is better, so the same ranks reversed
                recency = list(range(n, 0, -1))
                self.assertEqual(rfm.quintile_scores(recency, higher_is_better=False).tolist(), expected)

    def test_a_percentile_exactly_on_an_edge_goes_up(self):
        # ten customers; the tied pair of 4s: worse 3, equal 2 -> p = (3 + 1) / 10 = 40 % exactly
        values = [1, 2, 3, 4, 4, 6, 7, 8, 9, 10]
        cases = [
            # value, worse, equal, p, expected: floor(5 p) + 1
            (3, 2, 1, Fraction(25, 100), 2),
            (4, 3, 2, Fraction(40, 100), 3),  # on the 40 % edge: up
            (6, 5, 1, Fraction(55, 100), 3),
            (7, 6, 1, Fraction(65, 100), 4),
        ]
        scores = dict(zip(values, rfm.quintile_scores(values).tolist(), strict=True))
        for value, worse, equal, percentile, expected in cases:
            with self.subTest(value=value):
                self.assertEqual(Fraction(2 * worse + equal, 2 * len(values)), percentile)
                self.assertEqual(scores[value], expected)
        # 20 % exactly: 20 customers, a tied pair with 3 worse -> (3 + 1) / 20
        values = [1, 2, 3, 4, 4, *range(6, 21)]
        self.assertEqual(dict(zip(values, rfm.quintile_scores(values).tolist(), strict=True))[4], 2)

    def test_small_populations(self):
        cases = [
            # values (frequency), expected scores
            ([7], [3]),
            ([2, 9], [1, 5]),
            ([9, 2], [5, 1]),
            ([1, 2, 3], [1, 3, 5]),
            ([1, 2, 3, 4], [1, 2, 4, 5]),
            ([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]),
            ([1, 2, 3, 4, 5, 6], [1, 2, 3, 3, 4, 5]),
            ([4, 4], [3, 3]),
            ([4, 4, 4, 4, 4, 4], [3, 3, 3, 3, 3, 3]),
            ([1, 1, 2], [1, 1, 5]),
        ]
        for values, expected in cases:
            with self.subTest(values=values):
                self.assertEqual(rfm.quintile_scores(values).tolist(), expected)
                self.assertEqual(reference_scores(values), expected)

    def test_empty_population(self):
        self.assertEqual(rfm.quintile_scores([]).tolist(), [])
        scored = rfm.score(population([]))
        self.assertEqual(len(scored), 0)
        self.assertTrue({"r_score", "f_score", "m_score", "rfm_code", "segment"} <= set(scored.columns))

    def test_ties_at_the_ends_keep_the_extreme_score(self):
        cases = [
            # label, frequency values, expected scores by value
            ("60 % ordered once", [1] * 6 + [2, 2, 3, 5], {1: 1, 2: 4, 3: 5, 5: 5}),
            ("80 % ordered once", [1] * 8 + [2, 4], {1: 1, 2: 5, 4: 5}),
            ("half ordered twelve times", [1, 2, 3, 4, 5] + [12] * 5, {1: 1, 2: 1, 3: 2, 4: 2, 5: 3, 12: 5}),
        ]
        for label, values, expected in cases:
            with self.subTest(label):
                scores = rfm.quintile_scores(values).tolist()
                self.assertEqual(dict(zip(values, scores, strict=True)), expected)
                self.assertEqual(scores, reference_scores(values))
        # without the pin, 60 % tied at the bottom would score the middle of their block: p = 3 / 10, F 2;
        # and the top block of five 12s: p = (5 + 5 / 2) / 10 = 75 %, F 4
        self.assertEqual(math.floor(5 * Fraction(6, 20)) + 1, 2)
        self.assertEqual(math.floor(5 * Fraction(15, 20)) + 1, 4)

    def test_recency_most_recent_scores_five(self):
        days = [0, 0, 3, 30, 90, 200, 364]
        self.assertEqual(rfm.quintile_scores(days, higher_is_better=False).tolist(), [5, 5, 4, 3, 2, 2, 1])
        self.assertEqual(reference_scores(days, higher_is_better=False), [5, 5, 4, 3, 2, 2, 1])

    def test_matches_the_exact_rule_on_random_populations(self):
        generator = random.Random(14)
        for n in [*range(1, 13), 37, 100, 501]:
            for higher_is_better in (True, False):
                values = [generator.randint(0, max(2, n // 3)) for _ in range(n)]
                with self.subTest(n=n, higher_is_better=higher_is_better):
                    got = rfm.quintile_scores(values, higher_is_better).tolist()
                    self.assertEqual(got, reference_scores(values, higher_is_better))
                    by_value = {}
                    for value, score in zip(values, got, strict=True):
                        by_value.setdefault(value, set()).add(score)
                    self.assertTrue(all(len(scores) == 1 for scores in by_value.values()), "ties differ")

    def test_large_population_is_exact_at_every_quintile(self):
        n = 1_000_000  # no float doubt at 200,000 / 400,000 / ...
        scores = rfm.quintile_scores(np.arange(n))
        self.assertEqual(np.bincount(scores, minlength=6).tolist(), [0, 200_000, 200_000, 200_000, 200_000, 200_000])
        self.assertEqual(scores[199_999], 1)
        self.assertEqual(scores[200_000], 2)

    def test_score_rejects_what_is_not_a_buyer(self):
        cases = [
            ("negative recency", [(-1, 1, 100)]),
            ("no order", [(5, 0, 100)]),
            ("missing amount", [(5, 1, float("nan"))]),
            ("fractional frequency", [(5, 1.5, 100)]),
        ]
        for label, rows in cases:
            with self.subTest(label), self.assertRaises(ValueError):
                rfm.score(population(rows))


@tagged("post_install", "-at_install", "customer_abc_engine")
class TestEngineRfmMonetary(BaseCase):
    def test_zero_and_negative_amounts_score_one(self):
        cases = [
            # label, amounts (cents), expected M scores
            ("credit below the others", [-500, 100, 200, 300, 400], [1, 2, 3, 4, 5]),
            ("zero and negative", [-500, 0, 100, 200, 300, 400, 500, 600, 700, 800], [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
            ("a large block of zeros", [0] * 5 + [100, 200, 300, 400, 500], [1] * 5 + [3, 4, 4, 5, 5]),
            ("a block of zeros above a credit", [-9] + [0] * 5 + [1, 2, 3, 4], [1] * 6 + [4, 4, 5, 5]),
            ("all zero", [0, 0, 0], [1, 1, 1]),
            ("all negative and tied", [-100, -100], [1, 1]),
            ("one customer, zero", [0], [1]),
            ("one customer, positive", [900], [3]),
        ]
        for label, amounts, expected in cases:
            with self.subTest(label):
                scored = rfm.score(population([(10, 2, amount) for amount in amounts]))
                self.assertEqual(scored["m_score"].tolist(), expected)

    def test_m_is_in_the_code_not_in_the_segment(self):
        rows = [(0, 5, 1), (1, 4, 9), (2, 3, 5), (3, 2, 3), (4, 1, 7)]  # days, orders, cents
        scored = rfm.score(population(rows))
        self.assertEqual(scored["rfm_code"].tolist(), ["551", "445", "333", "222", "114"])
        self.assertEqual(scored["segment"].tolist(), ["champions", "loyal", "need_attention", "hibernating", "lost"])


@tagged("post_install", "-at_install", "customer_abc_engine")
class TestEngineRfmSegments(BaseCase):
    def test_every_cell_belongs_to_exactly_one_segment(self):
        keys = [key for key, _label in rfm.SEGMENTS]
        self.assertEqual(len(keys), 11)
        self.assertEqual(set(keys), set(rfm.SEGMENT_CELLS))
        for r in rfm.SCORES:
            for f in rfm.SCORES:
                with self.subTest(r=r, f=f):
                    owners = [key for key in keys if (r, f) in rfm.SEGMENT_CELLS[key]]
                    self.assertEqual(len(owners), 1, owners)
        self.assertTrue(all(rfm.SEGMENT_CELLS[key] for key in keys), "a segment without cells")

    def test_grid_follows_the_issue_definitions(self):
        definitions = [
            # key, R scores, F scores, except
            ("champions", {5}, {4, 5}, set()),
            ("loyal", {3, 4}, {4, 5}, set()),
            ("potential_loyalist", {4, 5}, {2, 3}, set()),
            ("new", {5}, {1}, set()),
            ("promising", {4}, {1}, set()),
            ("need_attention", {3}, {3}, set()),
            ("about_to_sleep", {3}, {1, 2}, set()),
            ("at_risk", {1, 2}, {3, 4}, set()),
            ("cant_lose", {1, 2}, {5}, set()),
            ("hibernating", {1, 2}, {1, 2}, {(1, 1)}),
            ("lost", {1}, {1}, set()),
        ]
        grid = rfm.segment_grid()
        self.assertEqual(list(grid)[:5], [(5, 1), (5, 2), (5, 3), (5, 4), (5, 5)])
        self.assertEqual(list(grid)[-1], (1, 5))
        for key, r_scores, f_scores, excluded in definitions:
            with self.subTest(key):
                cells = {(r, f) for r in r_scores for f in f_scores} - excluded
                self.assertEqual({cell for cell, owner in grid.items() if owner == key}, cells)

    def test_segments_and_codes_vectorised(self):
        cases = [
            # r, f, m, code, segment
            (5, 5, 5, "555", "champions"),
            (5, 4, 1, "541", "champions"),
            (5, 1, 5, "515", "new"),
            (4, 1, 2, "412", "promising"),
            (4, 5, 3, "453", "loyal"),
            (3, 3, 3, "333", "need_attention"),
            (3, 2, 4, "324", "about_to_sleep"),
            (2, 5, 5, "255", "cant_lose"),
            (1, 4, 2, "142", "at_risk"),
            (1, 2, 1, "121", "hibernating"),
            (1, 1, 5, "115", "lost"),
            (0, 0, 0, None, None),
        ]
        r, f, m = ([case[index] for case in cases] for index in range(3))
        got_codes = rfm.codes(r, f, m).tolist()
        got_segments = rfm.segments(r, f).tolist()
        for case, code, segment in zip(cases, got_codes, got_segments, strict=True):
            with self.subTest(case=case[:3]):
                self.assertEqual((code, segment), case[3:])


@tagged("post_install", "-at_install", "customer_abc_engine")
class TestEngineRfmInput(BaseCase):
    def customers(self, rows):
        """``rows``: (partner_id, last order age in days or None, trailing orders, trailing amount)."""
        return pd.DataFrame(
            {
                "partner_id": [row[0] for row in rows],
                "last_order_date": [None if row[1] is None else TODAY - timedelta(days=row[1]) for row in rows],
                "trailing_orders": [row[2] for row in rows],
                "trailing_amount": [row[3] for row in rows],
            }
        )

    def test_customers_without_a_trailing_order_get_no_score(self):
        customers = self.customers(
            [
                (11, 0, 6, 90_000),
                (12, None, 0, 0),
                (13, 400, 0, 0),
                (14, 30, 3, 40_000),
                (15, 364, 1, -2_000),
                (16, 200, float("nan"), float("nan")),  # no row in the trailing query
            ]
        )
        result = rfm.score_customers(customers, TODAY)
        self.assertEqual(result["partner_id"].tolist(), [11, 12, 13, 14, 15, 16])
        self.assertEqual(result["recency_days"].tolist(), [0, pd.NA, pd.NA, 30, 364, pd.NA])
        # three buyers: R 5 / 3 / 1, F 5 / 3 / 1, M 5 / 3 / 1 (the credit is the worst anyway)
        self.assertEqual(result["r_score"].tolist(), [5, 0, 0, 3, 1, 0])
        self.assertEqual(result["m_score"].tolist(), [5, 0, 0, 3, 1, 0])
        self.assertEqual(result["rfm_code"].tolist(), ["555", None, None, "333", "111", None])
        self.assertEqual(result["segment"].tolist(), ["champions", None, None, "need_attention", "lost", None])

    def test_input_frame(self):
        frame = rfm.input_frame(self.customers([(1, 10, 4, 52_000), (2, None, 0, 0), (3, 0, 1, 0)]), TODAY)
        self.assertEqual(frame.values.tolist(), [[1, 10, 4, 52_000], [3, 0, 1, 0]])
        self.assertEqual(frame["monetary"].dtype, np.int64)

    def test_input_frame_rejects_inconsistent_figures(self):
        cases = [
            ("orders without a last date", [(1, None, 2, 500)]),
            ("last order after today", [(1, -1, 2, 500)]),
        ]
        for label, rows in cases:
            with self.subTest(label), self.assertRaises(ValueError):
                rfm.score_customers(self.customers(rows), TODAY)

    def test_trailing_window(self):
        cases = [
            (date(2024, 6, 30), date(2023, 7, 1), date(2024, 7, 1)),
            (date(2024, 2, 29), date(2023, 3, 1), date(2024, 3, 1)),
            (date(2025, 3, 1), date(2024, 3, 2), date(2025, 3, 2)),
            (date(2024, 1, 1), date(2023, 1, 2), date(2024, 1, 2)),
        ]
        for today, start, end in cases:
            with self.subTest(today=today):
                self.assertEqual(rfm.trailing_window(today), (start, end))
