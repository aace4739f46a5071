"""RFM scores and segments, and the next expected order, as the daily
classification writes them: hand-checked on a small book (see
:mod:`..analytics.rfm` and :mod:`..analytics.rhythm` for the rules)."""

from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import FEB, TODAY, CustomerAbcCase


@tagged("post_install", "-at_install")
class TestRfm(CustomerAbcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # TODAY is 2024-03-15: the trailing 12 months run from 2023-03-16 to today;
        # as of the graded period's last day (2024-02-29) from 2023-03-01
        days = {
            "P1": [date(2024, 3, 10), date(2024, 2, 20), date(2024, 1, 20), date(2023, 12, 20), date(2023, 11, 20)],
            "P2": [date(2024, 2, 24), date(2024, 1, 24), date(2023, 12, 24), date(2023, 11, 24)],
            "P3": [date(2024, 1, 15), date(2023, 11, 15)],  # and one by a contact of P3, below
            "P4": [date(2023, 12, 6), date(2023, 3, 16)],  # the first day of the trailing year
            "P5": [date(2023, 5, 20)],
            "P6": [date(2023, 3, 15)],  # the day before it: outside today's year
        }
        cls.p = {}
        for name, order_days in days.items():
            cls.p[name] = cls._customer(f"RFM {name}")
            for day in order_days:
                cls._order(cls.p[name], 1000.0, day)
        contact = cls.env["res.partner"].create({"name": "P3 buyer", "parent_id": cls.p["P3"].id})
        cls._order(contact, 1000.0, date(2023, 12, 15))
        cls._order(cls.p["P5"], 99999.0, date(2024, 3, 1), state="cancel")
        cls._order(cls.p["P5"], 99999.0, date(2024, 3, 2), state="draft")
        cls.idle = cls._customer("RFM never")
        cls.env["res.partner"].flush_model()
        cls.env["customer.abc.profile"].classify(today=TODAY)

    def setUp(self):
        super().setUp()
        # ages and lateness are counted to the company's today: the classification's
        self.patch(type(self.company), "_abc_today", lambda company: TODAY)

    def test_profile_scores_over_the_trailing_twelve_months(self):
        # five buyers with distinct figures: each quintile holds one of them
        cases = [
            # name, recency days, frequency, monetary, code, segment
            ("P1", 5, 5, 5000.0, "555", "champions"),
            ("P2", 20, 4, 4000.0, "444", "loyal"),
            ("P3", 60, 3, 3000.0, "333", "need_attention"),
            ("P4", 100, 2, 2000.0, "222", "hibernating"),
            ("P5", 300, 1, 1000.0, "111", "lost"),
        ]
        for name, recency, frequency, monetary, code, segment in cases:
            with self.subTest(name):
                profile = self._profile(self.p[name])
                self.assertEqual(profile.days_since_last_order, recency)
                self.assertEqual(profile.rfm_frequency, frequency)
                self.assertAlmostEqual(profile.rfm_monetary, monetary, places=2)
                self.assertEqual(
                    (profile.r_score, profile.f_score, profile.m_score), tuple(int(digit) for digit in code)
                )
                self.assertEqual(profile.rfm_code, code)
                self.assertEqual(profile.rfm_segment, segment)

    def test_no_order_in_the_trailing_year_has_no_segment(self):
        for name, partner in (("P6: last order a year and a day ago", self.p["P6"]), ("never traded", self.idle)):
            with self.subTest(name):
                profile = self._profile(partner)
                self.assertEqual((profile.r_score, profile.f_score, profile.m_score), (0, 0, 0))
                self.assertFalse(profile.rfm_code)
                self.assertFalse(profile.rfm_segment)
                self.assertEqual(profile.rfm_frequency, 0)

    def test_history_keeps_the_segment_as_of_the_end_of_the_period(self):
        # as of 2024-02-29 (from 2023-03-01): P6 is in, P1's March order is not; six buyers,
        # ties share a score and the extremes are pinned (analytics.rfm)
        cases = [
            # name, code, segment, recency days, orders, amount
            ("P1", "455", "loyal", 9, 4, 4000.0),  # tied with P2 for F and M
            ("P2", "555", "champions", 5, 4, 4000.0),
            ("P3", "333", "need_attention", 45, 3, 3000.0),
            ("P4", "333", "need_attention", 85, 2, 2000.0),
            ("P5", "211", "hibernating", 285, 1, 1000.0),
            ("P6", "111", "lost", 351, 1, 1000.0),
        ]
        for name, code, segment, recency, frequency, monetary in cases:
            with self.subTest(name):
                history = self._history(self.p[name], FEB)
                self.assertEqual((history.rfm_recency_days, history.rfm_frequency), (recency, frequency))
                self.assertAlmostEqual(history.rfm_monetary, monetary, places=2)
                self.assertEqual(history.rfm_code, code)
                self.assertEqual(history.rfm_segment, segment)
                self.assertEqual(
                    (history.r_score, history.f_score, history.m_score), tuple(int(digit) for digit in code)
                )

    def test_segment_filter_and_group_by(self):
        Profile = self.env["customer.abc.profile"]
        groups = Profile._read_group([("company_id", "=", self.company.id)], ["rfm_segment"], ["__count"])
        counts = dict(groups)
        self.assertEqual(counts["champions"], 1)
        self.assertEqual(counts[False], 2)
        self.assertEqual(Profile.search([("rfm_segment", "=", "lost")]).partner_id, self.p["P5"])

    def test_next_expected_order_from_the_median_gap(self):
        # name, order days, p25, median, p75, expected date, days late
        cases = [
            # gaps 30, 31, 31, 19: median 30.5 -> 31 days after the last order
            ("P1", 5, 27.25, 30.5, 31.0, date(2024, 4, 10), -26),
            # gaps 30, 31, 31: due on 2024-03-26
            ("P2", 4, 30.5, 31.0, 31.0, date(2024, 3, 26), -11),
            # gaps 30, 31 (the contact's order counts): due 2024-02-15, 29 days ago
            ("P3", 3, 30.25, 30.5, 30.75, date(2024, 2, 15), 29),
        ]
        for name, order_days, p25, median, p75, expected, late in cases:
            with self.subTest(name):
                profile = self._profile(self.p[name])
                self.assertEqual(profile.order_day_count, order_days)
                self.assertAlmostEqual(profile.gap_p25_days, p25)
                self.assertAlmostEqual(profile.median_gap_days, median)
                self.assertAlmostEqual(profile.gap_p75_days, p75)
                self.assertEqual(profile.expected_order_date, expected)
                self.assertEqual(profile.days_late, late)

    def test_fewer_than_three_order_days_have_no_expectation(self):
        for name in ("P4", "P5", "P6"):
            with self.subTest(name):
                profile = self._profile(self.p[name])
                self.assertFalse(profile.expected_order_date)
                self.assertFalse(profile.is_late)
        self.assertEqual(self._profile(self.p["P4"]).order_day_count, 2)

    def test_late_only_past_the_tolerance(self):
        Profile = self.env["customer.abc.profile"]
        p3 = self._profile(self.p["P3"])  # 29 days past the expected date
        for tolerance, late in ((7, True), (28, True), (29, False), (30, False)):
            with self.subTest(tolerance=tolerance):
                self.company.abc_late_tolerance_days = tolerance
                p3.invalidate_recordset(["is_late", "days_late"])
                self.assertEqual(p3.is_late, late)
                found = Profile.search([("company_id", "=", self.company.id), ("is_late", "=", True)])
                self.assertEqual(found.partner_id, self.p["P3"] if late else self.env["res.partner"])
                not_late = Profile.search([("company_id", "=", self.company.id), ("is_late", "=", False)])
                self.assertEqual(p3 in not_late, not late)

    def test_a_negative_tolerance_is_refused(self):
        with self.assertRaises(ValidationError):
            self.company.abc_late_tolerance_days = -1
