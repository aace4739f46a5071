"""Next expected order and the late rule at their boundaries (no database)."""

import random
from datetime import date, timedelta

import numpy as np
import pandas as pd

from odoo.tests import BaseCase, tagged

from ..analytics import lifecycle, rhythm

TODAY = date(2024, 6, 30)
START = date(2024, 1, 1)


def orders(rows):
    """``rows``: (partner_id, day offset from START); one row per order."""
    return pd.DataFrame(
        {"partner_id": [row[0] for row in rows], "order_date": [START + timedelta(days=row[1]) for row in rows]}
    )


def random_orders(seed, partners, most, span):
    """Orders of partners 1..``partners - 1``, each 1..``most`` on random days within ``span`` days."""
    generator = random.Random(seed)
    days = [
        (partner, generator.randint(0, span))
        for partner in range(1, partners)
        for _ in range(generator.randint(1, most))
    ]
    return orders(days)


def one_customer(offsets, today=TODAY, tolerance_days=7):
    return rhythm.from_order_days(orders([(1, offset) for offset in offsets]), today, tolerance_days).iloc[0]


@tagged("post_install", "-at_install", "customer_abc_engine")
class TestEngineRhythmGaps(BaseCase):
    def test_gaps_median_and_spread(self):
        cases = [
            # label, order day offsets, order days, median, p25, p75, regular
            ("three days: gaps 10, 30", [0, 10, 40], 3, 20.0, 15.0, 25.0, True),
            ("same gaps unsorted and doubled", [40, 0, 10, 10, 0], 3, 20.0, 15.0, 25.0, True),
            ("gaps 10, 20, 30", [0, 10, 30, 60], 4, 20.0, 15.0, 25.0, True),
            # gaps sorted 7, 7, 14, 30: median (7 + 14) / 2; p25 at index 0.75 -> 7; p75 at 2.25 -> 14 + 0.25 x 16
            ("gaps 7, 14, 7, 30", [0, 7, 21, 28, 58], 5, 10.5, 7.0, 18.0, True),
            ("regular gaps", [0, 30, 60, 90, 120], 5, 30.0, 30.0, 30.0, True),
            ("two days: one gap, not regular", [0, 12], 2, 12.0, 12.0, 12.0, False),
            ("two orders on one day count once", [0, 12, 12], 2, 12.0, 12.0, 12.0, False),
            ("one day", [5, 5, 5], 1, np.nan, np.nan, np.nan, False),
        ]
        for label, offsets, days, median, p25, p75, regular in cases:
            with self.subTest(label):
                row = one_customer(offsets)
                self.assertEqual(row.order_days, days)
                self.assertEqual(row.gap_count, max(days - 1, 0))
                np.testing.assert_equal([row.median_gap, row.gap_p25, row.gap_p75], [median, p25, p75])
                self.assertEqual(bool(row.regular), regular)
                np.testing.assert_equal(row.gap_iqr, p75 - p25)

    def test_median_mirrors_lifecycle_median_gaps(self):
        frame = random_orders(14, 200, 9, 180)
        expected = lifecycle.median_gaps(frame)
        got = rhythm.from_order_days(frame, TODAY).set_index("partner_id")["median_gap"].dropna()
        self.assertEqual(got.index.tolist(), expected.index.tolist())
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy())

    def test_quartiles_mirror_pandas_quantile(self):
        source = random_orders(7, 100, 15, 365)
        frame = source.drop_duplicates().copy()
        frame["order_date"] = pd.to_datetime(frame["order_date"])
        frame = frame.sort_values(["partner_id", "order_date"])
        frame["gap"] = frame.groupby("partner_id")["order_date"].diff().dt.days
        gaps = frame.dropna(subset=["gap"]).groupby("partner_id")["gap"]
        got = rhythm.from_order_days(source, TODAY).set_index("partner_id")
        for column, quantile in (("gap_p25", 0.25), ("gap_p75", 0.75)):
            with self.subTest(column):
                expected = gaps.quantile(quantile)
                np.testing.assert_allclose(got.loc[expected.index, column].to_numpy(), expected.to_numpy())

    def test_customers_come_back_sorted_one_row_each(self):
        result = rhythm.from_order_days(orders([(9, 0), (3, 5), (9, 30), (3, 6), (9, 60), (3, 7)]), TODAY)
        self.assertEqual(result["partner_id"].tolist(), [3, 9])
        self.assertEqual(result["regular"].tolist(), [True, True])
        self.assertEqual(result.columns.tolist(), rhythm.COLUMNS)

    def test_empty_input(self):
        for result in (
            rhythm.from_order_days(orders([]), TODAY),
            rhythm.from_aggregates(
                pd.DataFrame(columns=["partner_id", "order_days", "median_gap", "last_order_date"]), TODAY
            ),
        ):
            with self.subTest(rows=len(result)):
                self.assertEqual(len(result), 0)
                self.assertEqual(result.columns.tolist(), rhythm.COLUMNS)


@tagged("post_install", "-at_install", "customer_abc_engine")
class TestEngineRhythmLate(BaseCase):
    def test_late_at_the_tolerance(self):
        # order days 0, 10, 20: median 10, last order START + 20, expected START + 30
        expected_day = START + timedelta(days=30)
        cases = [
            # days after the expected date, tolerance, days_late, is_late
            (-30, 7, -30, False),  # not due for a month
            (-1, 7, -1, False),
            (0, 7, 0, False),
            (6, 7, 6, False),
            (7, 7, 7, False),  # exactly at the tolerance: not late
            (8, 7, 8, True),
            (0, 0, 0, False),
            (1, 0, 1, True),
            (14, 14, 14, False),
            (15, 14, 15, True),
        ]
        for after, tolerance, days_late, is_late in cases:
            with self.subTest(after=after, tolerance=tolerance):
                row = one_customer([0, 10, 20], expected_day + timedelta(days=after), tolerance)
                self.assertEqual(row.expected_date.date(), expected_day)
                self.assertEqual(row.days_late, days_late)
                self.assertEqual(bool(row.is_late), is_late)

    def test_expected_gap_rounds_half_up(self):
        cases = [
            # median gap (days), expected gap
            (12.0, 12),
            (12.4, 12),
            (12.5, 13),
            (13.5, 14),  # not to even
            (1.5, 2),
            (0.5, 1),
        ]
        frame = pd.DataFrame(
            {
                "partner_id": range(len(cases)),
                "order_days": 3,
                "median_gap": [case[0] for case in cases],
                "last_order_date": START,
            }
        )
        result = rhythm.from_aggregates(frame, TODAY)
        for (median, gap), got, expected_date in zip(
            cases, result["expected_gap_days"], result["expected_date"], strict=True
        ):
            with self.subTest(median=median):
                self.assertEqual(got, gap)
                self.assertEqual(expected_date.date(), START + timedelta(days=gap))

    def test_aggregates_who_is_regular(self):
        cases = [
            # label, order days, median gap, last order, regular
            ("three order days", 3, 20.0, START, True),
            ("two order days", 2, 20.0, START, False),
            ("no order", 0, np.nan, None, False),
            ("no median", 5, np.nan, START, False),
            ("zero median", 5, 0.0, START, False),
            ("no last order", 5, 20.0, None, False),
        ]
        frame = pd.DataFrame(
            [(index, *case[1:4]) for index, case in enumerate(cases)],
            columns=["partner_id", "order_days", "median_gap", "last_order_date"],
        )
        result = rhythm.from_aggregates(frame, TODAY)
        for case, row in zip(cases, result.itertuples(), strict=True):
            with self.subTest(case[0]):
                self.assertEqual(row.regular, case[-1])
                if not case[-1]:
                    self.assertTrue(pd.isna(row.expected_date) and pd.isna(row.days_late))
                    self.assertFalse(row.is_late)

    def test_both_entry_points_agree(self):
        detailed = rhythm.from_order_days(random_orders(3, 60, 8, 170), TODAY, tolerance_days=5)
        aggregated = detailed[["partner_id", "order_days", "median_gap", "last_order_date", "gap_p25", "gap_p75"]]
        again = rhythm.from_aggregates(aggregated, TODAY, tolerance_days=5)
        pd.testing.assert_frame_equal(again, detailed)
        self.assertTrue(detailed["is_late"].any() and not detailed["is_late"].all())

    def test_aggregates_keep_the_input_order_and_index(self):
        frame = pd.DataFrame(
            {"partner_id": [5, 2], "order_days": [4, 4], "median_gap": [7.0, 7.0],
             "last_order_date": [date(2024, 6, 1), date(2024, 6, 20)]},
            index=[10, 11],
        )  # fmt: skip
        result = rhythm.from_aggregates(frame, TODAY)
        self.assertEqual(result.index.tolist(), [10, 11])
        self.assertEqual(result["days_late"].tolist(), [22, 3])
        self.assertEqual(result["is_late"].tolist(), [True, False])

    def test_negative_tolerance_is_refused(self):
        with self.assertRaises(ValueError):
            rhythm.from_order_days(orders([(1, 0)]), TODAY, tolerance_days=-1)
