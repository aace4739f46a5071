"""Lifecycle, trend alerts and detail columns through real orders, invoices,
activities and coupons."""

from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .. import compat
from .common import FEB, JAN, TODAY, CustomerAbcCase


def ago(days):
    return TODAY - timedelta(days=days)


@tagged("post_install", "-at_install")
class TestLifecycle(CustomerAbcCase):
    def test_lifecycle_at_every_edge(self):
        cases = [
            # name, ages of the orders, expected
            ("ordered today, first time", [0], "new"),
            ("first order 30 days ago", [30], "new"),
            ("first order 31 days ago", [31], "active"),
            ("last order 60 days ago", [200, 60], "active"),
            ("last order 61 days ago", [200, 61], "at_risk"),
            ("last order 90 days ago", [200, 90], "at_risk"),
            ("last order 91 days ago", [200, 91], "churned"),
            ("old customer back today", [400, 0], "active"),
            ("never ordered", [], "never"),
        ]
        partners = self._customers_by_order_age(cases, TODAY)
        self._classify()
        for name, ages, expected in cases:
            with self.subTest(name):
                profile = self._profile(partners[name])
                self.assertEqual(profile.lifecycle, expected)
                self.assertEqual(partners[name].abc_lifecycle, expected)
                if ages:
                    self.assertEqual(profile.first_order_date, ago(max(ages)))
                    self.assertEqual(profile.last_order_date, ago(min(ages)))
                    with freeze_time("2024-03-15 12:00:00"):
                        profile.invalidate_recordset(["days_since_last_order"])
                        self.assertEqual(profile.days_since_last_order, min(ages))
                    self.assertEqual(profile.lifetime_order_count, len(ages))
                else:
                    self.assertFalse(profile.last_order_date)

    def test_lifecycle_follows_the_company_settings(self):
        self.company.write({"abc_new_days": 10, "abc_at_risk_days": 20, "abc_churn_days": 40})
        cases = [
            ("fresh", [10], "new"),
            ("eleven", [11], "active"),
            ("twenty-one", [21], "at_risk"),
            ("gone", [41], "churned"),
        ]
        partners = self._customers_by_order_age(cases, TODAY)
        self._classify()
        for name, _ages, expected in cases:
            with self.subTest(name):
                self.assertEqual(self._profile(partners[name]).lifecycle, expected)

    def test_order_age_counts_in_the_company_timezone(self):
        partner = self._customer("Late Order")
        # 2024-02-14 20:00 UTC is already 2024-02-15 in Shanghai: 29 days before TODAY there, 30 in UTC
        self._order(partner, 100.0, date(2024, 2, 14), hour=20)
        self._order(partner, 100.0, date(2023, 1, 1))
        self._classify()
        self.assertEqual(self._profile(partner).last_order_date, date(2024, 2, 14))
        with freeze_time("2024-03-15 12:00:00"):
            self.assertEqual(self._profile(partner).days_since_last_order, 30)
        self.company.partner_id.tz = "Asia/Shanghai"
        self._classify()
        self.assertEqual(self._profile(partner).last_order_date, date(2024, 2, 15))
        with freeze_time("2024-03-15 12:00:00"):
            self._profile(partner).invalidate_recordset(["days_since_last_order"])
            self.assertEqual(self._profile(partner).days_since_last_order, 29)
            profiles = self.env["customer.abc.profile"].search([("days_since_last_order", "=", 29)])
            self.assertIn(self._profile(partner), profiles)
            self.assertNotIn(self._profile(partner), profiles.search([("days_since_last_order", ">", 29)]))

    def test_adaptive_lifecycle_uses_each_customers_rhythm(self):
        self.company.write(
            {"abc_lifecycle_adaptive": True, "abc_adaptive_at_risk_factor": 2.0, "abc_adaptive_churn_factor": 3.0}
        )
        cases = [
            # name, order ages, expected (fixed rule in brackets)
            ("every 10 days, quiet for 20", [100, 90, 80, 70, 60, 50, 40, 30, 20], "active"),  # (active)
            ("every 10 days, quiet for 25", [105, 95, 85, 75, 65, 55, 45, 35, 25], "at_risk"),  # (active)
            ("every 10 days, quiet for 31", [111, 101, 91, 81, 71, 61, 51, 41, 31], "churned"),  # (active)
            ("every 60 days, quiet for 100", [400, 340, 280, 220, 160, 100], "active"),  # (churned)
            ("two orders fall back", [200, 50], "active"),  # gap 150, but only 2 orders
            ("two orders fall back, 95 days", [300, 95], "churned"),
            ("same-day orders fall back", [50, 50, 50], "active"),
        ]
        partners = self._customers_by_order_age(cases, TODAY)
        self._classify()
        for name, _ages, expected in cases:
            with self.subTest(name):
                self.assertEqual(self._profile(partners[name]).lifecycle, expected)
        self.assertEqual(self._profile(partners["every 60 days, quiet for 100"]).median_gap_days, 60.0)


@tagged("post_install", "-at_install")
class TestTrends(CustomerAbcCase):
    def test_trend_windows_and_rules(self):
        # TODAY = 2024-03-15: current window ages 0-29 (Feb 15 .. Mar 15), earlier ages 30-59 (Jan 16 .. Feb 14)
        cases = [
            # name, [(age, amount)], amount trend, order trend, cur amount, old amount, cur orders, old orders
            ("doubles at the edges", [(30, 100.0), (29, 200.0)], "surge", False, 200.0, 100.0, 1, 1),
            ("halves", [(59, 100.0), (45, 100.0), (0, 100.0)], "plunge", "plunge", 100.0, 200.0, 1, 2),
            ("not quite double", [(40, 100.0), (10, 199.99)], False, False, 199.99, 100.0, 1, 1),
            ("not quite half", [(40, 100.0), (10, 50.01)], False, False, 50.01, 100.0, 1, 1),
            ("order surge", [(40, 300.0), (20, 100.0), (10, 100.0), (5, 100.0)], False, "surge", 300.0, 300.0, 3, 1),
            ("outside both windows", [(60, 500.0), (1, 1000.0)], False, False, 1000.0, 0.0, 1, 0),
            ("stopped", [(35, 500.0)], "plunge", "plunge", 0.0, 500.0, 0, 1),
        ]
        partners = {name: self._customer(name) for name, *_rest in cases}
        for name, orders, *_rest in cases:
            for age, amount in orders:
                self._order(partners[name], amount, ago(age))
        self._classify()
        for name, _orders, amount_trend, order_trend, cur, old, cur_n, old_n in cases:
            with self.subTest(name):
                profile = self._profile(partners[name])
                self.assertEqual(profile.amount_trend, amount_trend)
                self.assertEqual(profile.frequency_trend, order_trend)
                self.assertAlmostEqual(profile.trend_amount_current, cur)
                self.assertAlmostEqual(profile.trend_amount_previous, old)
                self.assertEqual(profile.trend_orders_current, cur_n)
                self.assertEqual(profile.trend_orders_previous, old_n)
                self.assertEqual(partners[name].abc_amount_trend, amount_trend)
                self.assertEqual(partners[name].abc_frequency_trend, order_trend)
        self.assertAlmostEqual(self._profile(partners["doubles at the edges"]).amount_change_pct, 100.0)
        self.assertAlmostEqual(self._profile(partners["halves"]).frequency_change_pct, -50.0)

    def test_minimum_guards(self):
        self.company.write({"abc_trend_min_amount": 1000.0, "abc_trend_min_orders": 2})
        small = self._customer("Small Before")
        big = self._customer("Big Before")
        for partner, earlier in ((small, 999.99), (big, 1000.0)):
            self._order(partner, earlier, ago(40))
            self._order(partner, 5000.0, ago(5))
            self._order(partner, 5000.0, ago(4))
            self._order(partner, 5000.0, ago(3))
        self._classify()
        self.assertFalse(self._profile(small).amount_trend)
        self.assertEqual(self._profile(big).amount_trend, "surge")
        # one order before: below the minimum of two orders, not judged
        self.assertFalse(self._profile(big).frequency_trend)

    def test_trend_window_length_and_thresholds_are_settings(self):
        self.company.write({"abc_trend_days": 7, "abc_surge_pct": 50.0, "abc_plunge_pct": 20.0})
        riser = self._customer("Riser")
        faller = self._customer("Faller")
        self._order(riser, 100.0, ago(7))
        self._order(riser, 150.0, ago(6))
        self._order(faller, 100.0, ago(13))
        self._order(faller, 80.0, ago(0))
        self._classify()
        self.assertEqual(self._profile(riser).amount_trend, "surge")
        self.assertEqual(self._profile(faller).amount_trend, "plunge")

    def test_growth_against_the_previous_period(self):
        cases = [("grew", 100.0, 150.0, 50.0), ("shrank", 200.0, 50.0, -75.0), ("flat", 80.0, 80.0, 0.0)]
        partners = {name: self._customer(name) for name, *_rest in cases}
        for name, january, february, _growth in cases:
            self._order(partners[name], january, JAN + timedelta(days=9))
            self._order(partners[name], february, FEB + timedelta(days=9))
        newcomer = self._customer("Newcomer")
        self._order(newcomer, 100.0, FEB + timedelta(days=3))
        self._classify()
        for name, january, _february, growth in cases:
            with self.subTest(name):
                profile = self._profile(partners[name])
                self.assertAlmostEqual(profile.growth_pct, growth)
                self.assertAlmostEqual(profile.previous_amount, january)
        self.assertEqual(self._profile(newcomer).previous_amount, 0.0)
        self.env.cr.execute("SELECT growth_pct FROM customer_abc_profile WHERE partner_id = %s", [newcomer.id])
        self.assertIsNone(self.env.cr.fetchone()[0], "no growth against an empty period")


@tagged("post_install", "-at_install")
class TestDetailColumns(CustomerAbcCase):
    def test_receivable_and_overdue(self):
        partner = self._customer("Owes Money")
        contact = self.env["res.partner"].create({"name": "Accountant", "parent_id": partner.id})
        self._invoice(partner, 1000.0, TODAY - timedelta(days=1))  # overdue
        self._invoice(contact, 300.0, TODAY - timedelta(days=40))  # overdue, invoiced to a contact
        self._invoice(partner, 500.0, TODAY)  # due today: not overdue yet
        self._invoice(partner, 200.0, TODAY - timedelta(days=5), "out_refund")  # open credit note
        draft = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_line_ids": [Command.create({"name": "x", "quantity": 1, "price_unit": 9999.0})],
            }
        )
        self.assertEqual(draft.state, "draft")
        punctual = self._customer("Pays On Time")
        self._invoice(punctual, 700.0, TODAY + timedelta(days=10))
        self._classify()
        profile = self._profile(partner)
        self.assertAlmostEqual(profile.receivable_amount, 1600.0)
        self.assertAlmostEqual(profile.overdue_amount, 1300.0)
        self.assertTrue(profile.is_overdue)
        self.assertAlmostEqual(self._profile(punctual).receivable_amount, 700.0)
        self.assertFalse(self._profile(punctual).is_overdue)
        overdue = self.env["customer.abc.profile"].search([("is_overdue", "=", True)])
        self.assertIn(profile, overdue)
        self.assertNotIn(self._profile(punctual), overdue)

    def test_receivable_seen_by_a_salesman(self):
        partner = self._customer("Rep's Debtor", user_id=self.salesman.id)
        self._invoice(partner, 800.0, TODAY - timedelta(days=3))
        self._classify()
        profile = self._profile(partner).with_user(self.salesman)
        self.assertAlmostEqual(profile.receivable_amount, 800.0)
        self.assertAlmostEqual(profile.overdue_amount, 800.0)
        self.assertAlmostEqual(profile.receivable_amount, partner.sudo().credit)

    def test_last_visit_date_from_done_visits(self):
        partner = self._customer("Visited")
        contact = self.env["res.partner"].create({"name": "Store Manager", "parent_id": partner.id})
        visit = self.env.ref("customer_abc.mail_activity_type_visit")
        with freeze_time("2024-02-20 09:00:00"):
            contact.activity_schedule(activity_type_id=visit.id, summary="Visit").action_feedback(feedback="Met")
        with freeze_time("2024-03-01 09:00:00"):
            partner.activity_schedule(activity_type_id=visit.id, summary="Visit").action_feedback(feedback="Met")
            # a done call is no visit
            partner.activity_schedule("mail.mail_activity_data_call").action_feedback(feedback="Called")
        with freeze_time("2024-03-05 09:00:00"):
            partner.activity_schedule(activity_type_id=visit.id, summary="Planned visit")  # not done yet
        self._classify()
        self.assertEqual(self._profile(partner).last_visit_date, date(2024, 3, 1))

    def test_last_coupon_date(self):
        partner = self._customer("Coupon Fan")
        program = (
            self.env["loyalty.program"]
            .with_context(default_program_type="coupons")
            .create({"name": "Win back", "program_type": "coupons", "communication_plan_ids": [Command.clear()]})
        )
        cards = self.env["loyalty.card"].create(
            [{"program_id": program.id, "partner_id": partner.id, "points": 1} for _index in range(2)]
        )
        # the issue date of a coupon is its creation time
        for card, moment in zip(cards, ("2024-02-03 10:00:00", "2024-03-04 10:00:00"), strict=True):
            self.env.cr.execute("UPDATE loyalty_card SET create_date = %s WHERE id = %s", [moment, card.id])
        self._classify()
        self.assertEqual(self._profile(partner).last_coupon_date, date(2024, 3, 4))

    def test_region_salesperson_and_phone_follow_the_partner(self):
        china = self.env.ref("base.cn")
        state = self.env["res.country.state"].search([("country_id", "=", china.id)], limit=1)
        partner = self._customer(
            "Regional", state_id=state.id, country_id=china.id, user_id=self.salesman.id, phone="+86 21 5555 0101"
        )
        self._classify()
        profile = self._profile(partner)
        self.assertEqual((profile.state_id, profile.country_id, profile.user_id), (state, china, self.salesman))
        self.assertEqual(profile.phone, "+86 21 5555 0101")
        partner.write({"user_id": self.salesman_all.id, "phone": "+86 21 5555 0202"})
        self.assertEqual(profile.user_id, self.salesman_all)
        self.assertEqual(profile.phone, "+86 21 5555 0202")

    def test_mobile_follows_the_partner_where_partners_have_one(self):
        """Odoo 18: the profile mirrors the partner's mobile too; Odoo 19
        partners have no mobile, and neither has the profile."""
        partner = self._customer("Mobile Only")
        self._classify()
        profile = self._profile(partner)
        views = profile.get_views([(False, "list"), (False, "form")])["views"]
        shown = {view_type: 'name="mobile"' in views[view_type]["arch"] for view_type in ("list", "form")}
        if not compat.PARTNER_HAS_MOBILE:
            self.assertNotIn("mobile", self.env["res.partner"]._fields)
            self.assertNotIn("mobile", profile._fields)
            self.assertEqual(shown, {"list": False, "form": False})
            return
        partner.mobile = "+86 138 0000 0000"
        self.assertEqual(profile.mobile, "+86 138 0000 0000")
        self.assertEqual(shown, {"list": True, "form": True})


@tagged("post_install", "-at_install")
class TestHistoryLifecycle(CustomerAbcCase):
    def test_history_keeps_the_lifecycle_at_each_period_end(self):
        partner = self._customer("Seasonal")
        self._order(partner, 100.0, date(2023, 3, 10))
        self._order(partner, 100.0, date(2023, 9, 20))
        self.env["customer.abc.profile"]._backfill(today=TODAY)
        rows = {
            row.period_start: row.lifecycle
            for row in self.env["customer.abc.history"].search([("partner_id", "=", partner.id)])
        }
        expected = {
            date(2023, 3, 1): "new",  # first order on Mar 10, seen on Mar 31
            date(2023, 4, 1): "active",  # Apr 30: 51 days
            date(2023, 5, 1): "at_risk",  # May 31: 82 days
            date(2023, 6, 1): "churned",  # Jun 30: 112 days
            date(2023, 9, 1): "active",  # back on Sep 20
            date(2023, 11, 1): "at_risk",  # Nov 30: 71 days
            FEB: "churned",  # Feb 29: 162 days
        }
        for start, lifecycle in expected.items():
            with self.subTest(start=start):
                self.assertEqual(rows[start], lifecycle)
