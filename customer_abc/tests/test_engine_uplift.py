"""Control group draw and uplift statistics (no database).

Amounts are integer cents.
"""

import hashlib
import math

import numpy as np
import pandas as pd

from odoo.tests import BaseCase, tagged

from ..analytics import uplift

PERIOD = "2024-06-01"


def draw(ids, share_pct, company_id=1, period_key=PERIOD):
    frame = pd.DataFrame({"company_id": company_id, "partner_id": list(ids), "period_key": period_key})
    return uplift.holdouts(frame, share_pct)


@tagged("post_install", "-at_install", "customer_abc_engine")
class TestEngineHoldout(BaseCase):
    def test_hash_is_pinned(self):
        # the same values came out of PostgreSQL 15 with the SQL twin of the module docstring:
        # ('x' || left(encode(sha256(convert_to('1:42:2024-06-01', 'UTF8')), 'hex'), 16))::bit(64)::bigint
        cases = [
            # company, partner, period key, unsigned hash, signed bigint from SQL
            (1, 42, "2024-06-01", 12600761292627800078, -5845982781081751538),
            (7, 123456789, "2025-01-01", 8425443004809587510, 8425443004809587510),
            (3, 5, "x:y", 4977062545650759992, 4977062545650759992),
        ]
        for company, partner, key, unsigned, signed in cases:
            with self.subTest(key=uplift.canonical_key(company, partner, key)):
                got = uplift.hash64(company, partner, key)
                self.assertEqual(got, unsigned)
                self.assertEqual(got - 2**64 if got >= 2**63 else got, signed)
                text = f"{company}:{partner}:{key}".encode()
                self.assertEqual(got, int(hashlib.sha256(text).hexdigest()[:16], 16))

    def test_canonical_key(self):
        self.assertEqual(uplift.canonical_key(1, 42, PERIOD), "1:42:2024-06-01")
        self.assertEqual(uplift.canonical_key(np.int64(2), 7, "q"), "2:7:q")
        with self.assertRaises(TypeError):
            uplift.canonical_key(1, 42, 202406)

    def test_share_zero_and_hundred(self):
        ids = range(1, 2001)
        cases = [(0, 0), (0.0, 0), (100, 2000), (100.0, 2000)]
        for share, held in cases:
            with self.subTest(share=share):
                self.assertEqual(int(draw(ids, share).sum()), held)
                self.assertEqual(sum(uplift.holdout(1, i, PERIOD, share) for i in ids), held)
        for share in (-1, 100.01, 250):
            with self.subTest(share=share), self.assertRaises(ValueError):
                uplift.holdout(1, 1, PERIOD, share)

    def test_limit_is_the_exact_integer_boundary(self):
        for share in (0, 0.01, 10, 12.5, 33.33, 50, 99.99, 100):
            with self.subTest(share=share):
                bp = round(share * 100)
                limit = uplift.holdout_limit(share)
                # held out iff h * 10_000 < bp * 2**64: the limit is the first hash that is not
                self.assertTrue(limit == 0 or (limit - 1) * 10_000 < bp * 2**64)
                self.assertTrue(limit * 10_000 >= bp * 2**64)
        self.assertEqual(uplift.holdout_limit(10), 1844674407370955162)  # ceil(2**64 / 10)

    def test_share_is_unbiased(self):
        # 10 % of n: standard error sqrt(0.1 x 0.9 / n); allow four of them
        ids = list(range(1, 10_001))
        held = draw(ids, 10)
        halves = {
            "all": ids,
            "even ids": [i for i in ids if i % 2 == 0],
            "odd ids": [i for i in ids if i % 2],
            "first half": ids[:5000],
            "second half": ids[5000:],
            "multiples of ten": [i for i in ids if i % 10 == 0],
        }
        by_id = dict(zip(ids, held, strict=True))
        for label, subset in halves.items():
            with self.subTest(label):
                share = sum(by_id[i] for i in subset) / len(subset)
                margin = 4 * math.sqrt(0.1 * 0.9 / len(subset))
                self.assertLess(abs(share - 0.1), margin, f"{share:.4f}")
        # far-apart ids and another company draw independently too
        for label, frame_ids, company in (("ids spaced by 1,000", range(1000, 10_001_000, 1000), 1),
                                          ("company 2", ids, 2)):  # fmt: skip
            with self.subTest(label):
                share = draw(frame_ids, 10, company_id=company).mean()
                self.assertLess(abs(share - 0.1), 4 * math.sqrt(0.09 / len(frame_ids)))

    def test_vectorised_equals_scalar(self):
        ids = range(500, 2500)
        for share in (10, 12.5, 50, 0.5):
            with self.subTest(share=share):
                self.assertEqual(draw(ids, share).tolist(), [uplift.holdout(1, i, PERIOD, share) for i in ids])

    def test_draw_is_nested_and_changes_with_the_period(self):
        ids = range(1, 10_001)
        ten, twenty = draw(ids, 10), draw(ids, 20)
        self.assertFalse((ten & ~twenty).any(), "a larger share keeps the held-out customers of a smaller one")
        first, second = draw(ids, 50), draw(ids, 50, period_key="2024-07-01")
        overlap = (first & second).mean()  # independent draws: about 25 %
        self.assertLess(abs(overlap - 0.25), 4 * math.sqrt(0.25 * 0.75 / 10_000))

    def test_vectorised_keeps_the_index(self):
        frame = pd.DataFrame({"company_id": [1, 1], "partner_id": [3, 4], "period_key": [PERIOD] * 2}, index=[7, 9])
        self.assertEqual(uplift.holdouts(frame, 50).index.tolist(), [7, 9])
        self.assertEqual(len(uplift.holdouts(frame.iloc[0:0], 50)), 0)


@tagged("post_install", "-at_install", "customer_abc_engine")
class TestEngineIntervals(BaseCase):
    def test_wilson_by_hand(self):
        # 56 / 70 at z = 1.959964: z2 = 3.841459; centre 2 n p + z2 = 112 + 3.841459 = 115.841459;
        # half z sqrt(z2 + 4 n p (1 - p)) = 1.959964 x sqrt(3.841459 + 44.8) = 13.669461; denominator
        # 2 (n + z2) = 147.682918 -> (115.841459 -/+ 13.669461) / 147.682918 = 0.691834, 0.876953
        low, high = uplift.wilson_interval(56, 70)
        self.assertAlmostEqual(low, 0.691834, places=6)
        self.assertAlmostEqual(high, 0.876953, places=6)

    def test_wilson_published_examples(self):
        cases = [
            # wins, n, lower, upper (Newcombe 1998, single proportion, Wilson without correction; also
            # the "Single proportion, Newcombe examples" of the ratesci package's tests)
            (15, 148, 0.0624, 0.1605),
            (0, 20, 0.0, 0.1611),
            (1, 29, 0.0061, 0.1718),
        ]
        for wins, count, low, high in cases:
            with self.subTest(wins=wins, count=count):
                got = uplift.wilson_interval(wins, count)
                self.assertEqual((round(got[0], 4), round(got[1], 4)), (low, high))
        self.assertEqual(uplift.wilson_interval(0, 5)[0], 0.0)
        self.assertEqual(uplift.wilson_interval(5, 5)[1], 1.0)
        for wins, count in ((1, 0), (-1, 4), (5, 4)):
            with self.subTest(wins=wins, count=count), self.assertRaises(ValueError):
                uplift.wilson_interval(wins, count)

    def test_newcombe_by_hand(self):
        # Newcombe 1998, example (a): 56/70 - 48/80, d = 0.8 - 0.6 = 0.2
        # Wilson 56/70: 0.691834, 0.876953 (see test_wilson_by_hand)
        # Wilson 48/80: centre 96 + 3.841459 = 99.841459; half 1.959964 x sqrt(3.841459 + 76.8) = 17.600592;
        #   denominator 2 (80 + 3.841459) = 167.682918 -> 0.490455, 0.700382
        # L = 0.2 - sqrt((0.8 - 0.691834)^2 + (0.700382 - 0.6)^2) = 0.2 - sqrt(0.011700 + 0.010077) = 0.052431
        # U = 0.2 + sqrt((0.876953 - 0.8)^2 + (0.6 - 0.490455)^2) = 0.2 + sqrt(0.005922 + 0.012000) = 0.333873
        low, high = uplift.newcombe_interval(56, 70, 48, 80)
        self.assertAlmostEqual(low, 0.052431, places=6)
        self.assertAlmostEqual(high, 0.333873, places=6)

    def test_newcombe_published_examples(self):
        # Newcombe 1998, Table II, method 10 (score, no continuity correction); example (d) is also in
        # the ratesci package's tests ("Newcombe RD example (d)")
        cases = [
            ("a", 56, 70, 48, 80, 0.0524, 0.3339),
            ("b", 9, 10, 3, 10, 0.1705, 0.8090),
            ("c", 6, 7, 2, 7, 0.0582, 0.8062),
            ("d", 5, 56, 0, 29, -0.0381, 0.1926),
            ("e", 0, 10, 0, 20, -0.1611, 0.2775),
            ("f", 0, 10, 0, 10, -0.2775, 0.2775),
            ("g", 10, 10, 0, 20, 0.6791, 1.0),
            ("h", 10, 10, 0, 10, 0.6075, 1.0),
        ]
        for label, wins1, count1, wins2, count2, low, high in cases:
            with self.subTest(label):
                got = uplift.newcombe_interval(wins1, count1, wins2, count2)
                self.assertEqual((round(got[0], 4), round(got[1], 4)), (low, high))
                # swapping the groups mirrors the interval
                mirrored = uplift.newcombe_interval(wins2, count2, wins1, count1)
                self.assertAlmostEqual(mirrored[0], -got[1], places=12)
                self.assertAlmostEqual(mirrored[1], -got[0], places=12)


def actions(groups):
    """``groups``: {(kind, previous grade, group): (customers, won back, amount won in cents)}."""
    rows = []
    for (kind, grade, group), (customers, won, amount) in groups.items():
        for index in range(customers):
            rows.append((kind, grade, group, int(index < won), amount // won if index < won else 0))
    return pd.DataFrame(rows, columns=["kind", "previous_grade", "group", "won_back", "won_amount"])


@tagged("post_install", "-at_install", "customer_abc_engine")
class TestEngineUpliftTable(BaseCase):
    def test_table_by_kind_and_grade_with_totals(self):
        frame = actions(
            {
                ("visit", "B", "treated"): (70, 56, 560_000),
                ("visit", "B", "held_out"): (80, 48, 240_000),
                ("visit", None, "treated"): (10, 5, 50_000),
                ("visit", "A", "held_out"): (4, 1, 40_000),
                ("call", "C", "treated"): (20, 2, 20_000),
            }
        )
        table = uplift.uplift_table(frame)
        keys = list(zip(table["kind"], table["previous_grade"], table["is_total"], strict=True))
        self.assertEqual(
            keys,
            [("call", "C", False), ("call", None, True),
             ("visit", "A", False), ("visit", "B", False), ("visit", None, False), ("visit", None, True)],
        )  # fmt: skip
        rows = table.set_index(["kind", "previous_grade", "is_total"], drop=False)
        b = rows.loc[("visit", "B", False)]
        self.assertEqual((b.treated, b.held_out, b.treated_wins, b.held_out_wins), (70, 80, 56, 48))
        self.assertAlmostEqual(b.treated_rate_pct, 80.0)
        self.assertAlmostEqual(b.held_out_rate_pct, 60.0)
        self.assertAlmostEqual(b.uplift_pp, 20.0)
        self.assertEqual((round(b.ci_low_pp, 2), round(b.ci_high_pp, 2)), (5.24, 33.39))  # example (a) x 100
        # amounts: 560,000 / 70 = 8,000 per treated customer, 240,000 / 80 = 3,000 per held-out one
        self.assertEqual((b.treated_amount, b.held_out_amount), (560_000, 240_000))
        self.assertEqual((b.treated_amount_per_customer, b.held_out_amount_per_customer), (8000.0, 3000.0))
        self.assertEqual(b.amount_uplift_per_customer, 5000.0)
        self.assertTrue(b.enough)
        # the kind total: treated 80 (61 won, 610,000), held out 84 (49 won, 280,000)
        total = rows.loc[("visit", None, True)]
        self.assertEqual((total.treated, total.held_out, total.treated_wins, total.held_out_wins), (80, 84, 61, 49))
        self.assertEqual((total.treated_amount, total.held_out_amount), (610_000, 280_000))
        self.assertAlmostEqual(total.uplift_pp, (61 / 80 - 49 / 84) * 100)
        self.assertTrue(total.enough)

    def test_an_empty_group_gives_no_figures(self):
        frame = actions({("call", "C", "treated"): (20, 2, 20_000), ("call", "A", "held_out"): (12, 6, 6_000)})
        table = uplift.uplift_table(frame).set_index("previous_grade")
        c = table.loc["C"]
        self.assertEqual((c.treated, c.held_out), (20, 0))
        self.assertAlmostEqual(c.treated_rate_pct, 10.0)
        for column in ("held_out_rate_pct", "uplift_pp", "ci_low_pp", "ci_high_pp", "held_out_amount_per_customer"):
            with self.subTest(column):
                self.assertTrue(math.isnan(c[column]))
        self.assertFalse(c.enough)

    def test_enough_at_the_boundary(self):
        cases = [
            # treated (customers, won), held out (customers, won), enough
            ((10, 5), (10, 5), True),  # 5 won and 5 not on each side
            ((10, 4), (10, 5), False),  # 4 won
            ((10, 6), (10, 5), False),  # 4 not won
            ((10, 5), (9, 5), False),
            ((10, 5), (9, 4), False),
            ((1000, 500), (10, 5), True),
            ((1000, 0), (1000, 5), False),
            ((0, 0), (10, 5), False),
        ]
        for treated, held_out, enough in cases:
            with self.subTest(treated=treated, held_out=held_out):
                groups = {("visit", "B", "held_out"): (*held_out, 100)}
                if treated[0]:
                    groups[("visit", "B", "treated")] = (*treated, 100)
                row = uplift.uplift_table(actions(groups)).iloc[0]
                self.assertEqual(bool(row.enough), enough)
        frame = actions({("visit", "B", "treated"): (6, 3, 30), ("visit", "B", "held_out"): (6, 3, 30)})
        self.assertFalse(uplift.uplift_table(frame).iloc[0].enough)
        self.assertTrue(uplift.uplift_table(frame, min_outcomes=3).iloc[0].enough)

    def test_no_action_and_bad_input(self):
        self.assertEqual(uplift.uplift_table(actions({})).columns.tolist(), uplift.TABLE_COLUMNS)
        self.assertEqual(len(uplift.uplift_table(actions({}))), 0)
        bad = actions({("visit", "B", "treated"): (3, 1, 10)})
        cases = [("group", "control"), ("won_back", 2)]
        for column, value in cases:
            with self.subTest(column=column):
                broken = bad.copy()
                broken.loc[0, column] = value
                with self.assertRaises(ValueError):
                    uplift.uplift_table(broken)
