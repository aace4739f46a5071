"""Classification against real orders: periods, money, roll-up, reruns."""

from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .. import compat
from .common import FEB, JAN, TODAY, CustomerAbcCase


@tagged("post_install", "-at_install")
class TestClassifyFixed(CustomerAbcCase):
    def test_fixed_thresholds_at_and_around_each_boundary(self):
        # (name, February orders, expected grade, expected amount)
        cases = [
            ("at A", [100000.00], "A", 100000.00),
            ("cent under A", [99999.99], "B", 99999.99),
            ("two orders reach A", [60000.00, 40000.00], "A", 100000.00),
            ("at B", [50000.00], "B", 50000.00),
            ("cent under B", [49999.99], "C", 49999.99),
            ("at C", [10000.00], "C", 10000.00),
            ("cent under C", [9999.99], "D", 9999.99),
            ("no order", [], "D", 0.0),
        ]
        partners = {}
        for name, amounts, _grade, _amount in cases:
            partners[name] = self._customer(name)
            for amount in amounts:
                self._order(partners[name], amount, date(2024, 2, 10))
            # last year's order makes "no order" a customer who traded before
            self._order(partners[name], 1.0, date(2023, 5, 1))
        self._classify()
        for name, amounts, grade, amount in cases:
            with self.subTest(name):
                profile = self._profile(partners[name])
                self.assertEqual(profile.grade, grade)
                self.assertEqual(profile.computed_grade, grade)
                self.assertAlmostEqual(profile.period_amount, amount, places=2)
                self.assertEqual(profile.period_order_count, len(amounts))
                self.assertEqual(profile.period_start, FEB)
                self.assertEqual(profile.period_end, date(2024, 3, 1))
                history = self._history(partners[name])
                self.assertEqual(history.grade, grade)
                self.assertAlmostEqual(history.amount, amount, places=2)
                self.assertEqual(history.order_count, len(amounts))
                self.assertEqual(history.method, "fixed")
                self.assertEqual(partners[name].abc_grade, grade)

    def test_orders_outside_the_period_do_not_count(self):
        partner = self._customer("Edges")
        self._order(partner, 100000.0, date(2024, 1, 31), hour=23, minute=59)
        self._order(partner, 100000.0, date(2024, 3, 1), hour=0, minute=0)
        self._order(partner, 20000.0, date(2024, 2, 1), hour=0, minute=0)
        self._order(partner, 20000.0, date(2024, 2, 29), hour=23, minute=59)
        self._classify()
        profile = self._profile(partner)
        self.assertAlmostEqual(profile.period_amount, 40000.0)
        self.assertEqual(profile.period_order_count, 2)
        self.assertEqual(profile.grade, "C")

    def test_draft_sent_and_cancelled_orders_are_ignored(self):
        partner = self._customer("Half Decided")
        self._order(partner, 90000.0, date(2024, 2, 5), state="draft")
        self._order(partner, 90000.0, date(2024, 2, 6), state="sent")
        self._order(partner, 90000.0, date(2024, 2, 7), state="cancel")
        self._order(partner, 12000.0, date(2024, 2, 8))
        self._classify()
        profile = self._profile(partner)
        self.assertEqual(profile.period_order_count, 1)
        self.assertAlmostEqual(profile.period_amount, 12000.0)
        self.assertEqual(profile.grade, "C")

    def test_child_contact_orders_roll_up_to_the_company(self):
        parent = self._customer("Parent Ltd")
        buyer = self.env["res.partner"].create({"name": "Buyer", "parent_id": parent.id})
        shop = self.env["res.partner"].create({"name": "Shop", "parent_id": parent.id, "type": "delivery"})
        self._order(buyer, 60000.0, date(2024, 2, 3))
        self._order(shop, 30000.0, date(2024, 2, 4))
        self._order(parent, 10000.0, date(2024, 2, 5))
        self._classify()
        profile = self._profile(parent)
        self.assertEqual(profile.grade, "A")
        self.assertAlmostEqual(profile.period_amount, 100000.0)
        self.assertEqual(profile.period_order_count, 3)
        self.assertFalse(self._profile(buyer))
        self.assertFalse(self._profile(shop))
        self.assertEqual(parent.abc_grade, "A")
        self.assertEqual(buyer.abc_profile_id, profile)

    def test_other_currency_uses_the_rate_of_the_order_date(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create(
            [
                {"currency_id": eur.id, "name": "2024-01-01", "rate": 0.5, "company_id": self.company.id},
                {"currency_id": eur.id, "name": "2024-02-15", "rate": 3.0, "company_id": self.company.id},
            ]
        )
        pricelist = self.env["product.pricelist"].create({"name": "EUR list", "currency_id": eur.id})
        partner = self._customer("Euro Buyer")
        # 30,000 EUR at 0.5 EUR per USD = 60,000 USD
        first = self._order(partner, 30000.0, date(2024, 2, 10), pricelist=pricelist)
        # 100 EUR at 3 EUR per USD = 33.333... USD, rounded to the cent per order: 33.33
        second = self._order(partner, 100.0, date(2024, 2, 20), pricelist=pricelist)
        self.assertEqual(first.currency_id, eur)
        self.assertAlmostEqual(first.currency_rate, 0.5)
        self.assertAlmostEqual(second.currency_rate, 3.0)
        self._classify()
        profile = self._profile(partner)
        self.assertEqual(profile.period_amount, 60033.33)
        self.assertEqual(profile.grade, "B")

    def test_period_boundaries_follow_the_company_timezone(self):
        partner = self._customer("Night Owl")
        # 2024-01-31 23:30 UTC is 2024-02-01 07:30 in Shanghai
        self._order(partner, 100000.0, date(2024, 1, 31), hour=23, minute=30)
        cases = [(False, "D", 0.0), ("Asia/Shanghai", "A", 100000.0)]
        for tz, grade, amount in cases:
            with self.subTest(tz=tz):
                self.company.partner_id.tz = tz
                self._classify()
                profile = self._profile(partner)
                self.assertEqual(profile.grade, grade)
                self.assertAlmostEqual(profile.period_amount, amount)

    def test_empty_period_grades_everyone_d(self):
        partners = [self._customer(f"Quiet {index}") for index in range(3)]
        for partner in partners:
            self._order(partner, 50000.0, date(2023, 12, 5))
        self._classify()
        for partner in partners:
            with self.subTest(partner=partner.name):
                profile = self._profile(partner)
                self.assertEqual(profile.grade, "D")
                self.assertEqual(profile.rank, 0)
                self.assertEqual(profile.share_pct, 0.0)
                self.assertEqual(self._history(partner).grade, "D")

    def test_never_traded_customer_has_a_d_profile_and_no_history(self):
        partner = self._customer("Window Shopper")
        self._classify()
        profile = self._profile(partner)
        self.assertEqual(profile.grade, "D")
        self.assertEqual(profile.grade_change, "new")
        self.assertFalse(profile.previous_grade)
        # created after February 2024: not part of that snapshot
        self.assertFalse(self._history(partner))

    def test_not_a_customer_gets_no_profile(self):
        vendor = self.env["res.partner"].create({"name": "Vendor Only", "is_company": True})
        self._classify()
        self.assertFalse(self._profile(vendor))


@tagged("post_install", "-at_install")
class TestClassifyShare(CustomerAbcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.abc_method = "share"

    def test_share_method_ranks_shares_and_grades(self):
        amounts = [50000.0, 30000.0, 15000.0, 5000.0]
        partners = [self._customer(f"Share {index}") for index in range(4)]
        for partner, amount in zip(partners, amounts, strict=True):
            self._order(partner, amount, date(2024, 2, 12))
        self._classify()
        expected = [
            # grade, rank, share, cumulative
            ("A", 1, 50.0, 50.0),
            ("B", 2, 30.0, 80.0),
            ("C", 3, 15.0, 95.0),
            ("C", 4, 5.0, 100.0),
        ]
        for partner, (grade, rank, share, cumulative) in zip(partners, expected, strict=True):
            with self.subTest(partner=partner.name):
                history = self._history(partner)
                self.assertEqual(history.grade, grade)
                self.assertEqual(history.rank, rank)
                self.assertAlmostEqual(history.share_pct, share)
                self.assertAlmostEqual(history.cumulative_share_pct, cumulative)
                self.assertEqual(history.method, "share")
                self.assertEqual(self._profile(partner).grade, grade)

    def test_share_ties_broken_by_partner_id(self):
        first = self._customer("Tie First")
        second = self._customer("Tie Second")
        third = self._customer("Tie Third")
        for partner in (third, second, first):
            self._order(partner, 1000.0, date(2024, 2, 12))
        self._classify()
        self.assertEqual([self._history(p).rank for p in (first, second, third)], [1, 2, 3])
        # before shares 0 %, 33.3 %, 66.7 % -> A, B, B
        self.assertEqual([self._history(p).grade for p in (first, second, third)], ["A", "B", "B"])

    def test_share_customer_above_share_a_alone(self):
        whale = self._customer("Whale")
        minnow = self._customer("Minnow")
        self._order(whale, 90000.0, date(2024, 2, 1))
        self._order(minnow, 10000.0, date(2024, 2, 1))
        self._classify()
        self.assertEqual(self._profile(whale).grade, "A")
        self.assertEqual(self._profile(minnow).grade, "C")

    def test_share_exactly_at_boundaries(self):
        partners = [self._customer(f"Fifth {index}") for index in range(5)]
        for partner in partners:
            self._order(partner, 2000.0, date(2024, 2, 2))
        self._classify()
        self.assertEqual([self._profile(p).grade for p in partners], ["A", "B", "B", "B", "C"])


@tagged("post_install", "-at_install")
class TestClassifyRuns(CustomerAbcCase):
    def test_previous_grade_and_change_from_the_previous_period(self):
        cases = [
            # name, January amount, February amount, previous, grade, change
            ("up", 20000.0, 120000.0, "C", "A", "up"),
            ("down", 120000.0, 60000.0, "A", "B", "down"),
            ("same", 60000.0, 55000.0, "B", "B", "same"),
            ("to d", 60000.0, None, "B", "D", "down"),
            ("first order", None, 15000.0, False, "C", "new"),
        ]
        partners = {}
        for name, january, february, *_expected in cases:
            partners[name] = self._customer(name)
            if january:
                self._order(partners[name], january, date(2024, 1, 15))
            if february:
                self._order(partners[name], february, date(2024, 2, 15))
        self._classify()
        for name, _jan, _feb, previous, grade, change in cases:
            with self.subTest(name):
                profile = self._profile(partners[name])
                self.assertEqual(profile.previous_grade, previous)
                self.assertEqual(profile.grade, grade)
                self.assertEqual(profile.grade_change, change)
                self.assertEqual(partners[name].abc_previous_grade, previous)
                self.assertEqual(partners[name].abc_grade_change, change)
                history = self._history(partners[name])
                self.assertEqual(history.previous_grade, previous)
                self.assertEqual(history.grade_change, change)

    def test_first_run_also_writes_the_previous_period(self):
        partner = self._customer("Jan Buyer")
        self._order(partner, 70000.0, date(2024, 1, 20))
        self._classify()
        january = self._history(partner, JAN)
        self.assertEqual(january.grade, "B")
        self.assertEqual(january.grade_change, "new")
        self.assertEqual(self._history(partner).previous_grade, "B")

    def test_rerun_is_idempotent_and_rewrites_nothing(self):
        partners = [self._customer(f"Steady {index}") for index in range(3)]
        for index, partner in enumerate(partners):
            self._order(partner, 30000.0 * (index + 1), date(2024, 2, 3))
        self._classify()
        History = self.env["customer.abc.history"]
        domain = [("partner_id", "in", [p.id for p in partners])]
        before = History.search_read(domain, ["grade", "amount", "rank", "period_start"], order="id")
        profiles_before = self.env["customer.abc.profile"].search_read(domain, ["grade", "write_date"], order="id")
        # make a rewrite visible: any UPDATE moves write_date (profiles) and the row's place (history)
        self.env.cr.execute("UPDATE customer_abc_profile SET write_date = '2000-01-01'")
        self.env.cr.execute("SELECT id, ctid::text FROM customer_abc_history ORDER BY id")
        versions_before = self.env.cr.fetchall()
        History.invalidate_model()
        self.env["customer.abc.profile"].invalidate_model()
        self._classify()
        self._classify()
        after = History.search_read(domain, ["grade", "amount", "rank", "period_start"], order="id")
        self.env.cr.execute("SELECT id, ctid::text FROM customer_abc_history ORDER BY id")
        self.assertEqual(self.env.cr.fetchall(), versions_before, "no history row was rewritten")
        self.assertEqual(len(after), len(before))
        for old, new in zip(before, after, strict=True):
            self.assertEqual(
                (old["id"], old["grade"], old["amount"], old["rank"]),
                (new["id"], new["grade"], new["amount"], new["rank"]),
            )
        profiles_after = self.env["customer.abc.profile"].search_read(domain, ["grade", "write_date"], order="id")
        self.assertEqual([p["id"] for p in profiles_after], [p["id"] for p in profiles_before])
        self.assertTrue(all(str(p["write_date"]) == "2000-01-01 00:00:00" for p in profiles_after))

    def test_rerun_replaces_the_rows_of_the_period(self):
        partner = self._customer("Changed Mind")
        order = self._order(partner, 120000.0, date(2024, 2, 3))
        self._order(partner, 20000.0, date(2024, 2, 4))
        self._classify()
        self.assertEqual(self._history(partner).grade, "A")
        order._action_cancel()
        self._classify()
        rows = self.env["customer.abc.history"].search([("partner_id", "=", partner.id), ("period_start", "=", FEB)])
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows.grade, "C")
        self.assertAlmostEqual(rows.amount, 20000.0)
        self.assertEqual(self._profile(partner).grade, "C")

    def test_customer_gone_loses_its_rows(self):
        partner = self._customer("Gone")
        order = self._order(partner, 20000.0, date(2024, 2, 3))
        self._classify()
        self.assertTrue(self._history(partner))
        order._action_cancel()
        partner.customer_rank = 0
        self._classify()
        self.assertFalse(self._history(partner))
        self.assertFalse(self._profile(partner))
        self.assertFalse(partner.abc_grade)

    def test_manual_override_survives_reruns(self):
        partner = self._customer("Strategic")
        self._order(partner, 20000.0, date(2024, 2, 3))
        self._classify()
        profile = self._profile(partner)
        profile.with_user(self.manager).write({"manual_grade": "A", "manual_reason": "Strategic account"})
        self.assertEqual((profile.grade, profile.computed_grade, profile.grade_differs), ("A", "C", True))
        self.assertEqual(partner.abc_grade, "A")
        self._order(partner, 5000.0, date(2024, 2, 4))
        self._classify()
        profile.invalidate_recordset()
        self.assertEqual((profile.grade, profile.computed_grade, profile.grade_differs), ("A", "C", True))
        self.assertEqual(profile.manual_reason, "Strategic account")
        self.assertAlmostEqual(profile.period_amount, 25000.0)
        self.assertEqual(partner.abc_grade, "A")
        # the snapshot keeps the computed grade
        self.assertEqual(self._history(partner).grade, "C")
        profile.with_user(self.manager).action_clear_override()
        self.assertEqual((profile.grade, profile.grade_differs), ("C", False))
        self.assertEqual(partner.abc_grade, "C")

    def test_manual_override_equal_to_computed_is_not_flagged(self):
        partner = self._customer("Agreed")
        self._order(partner, 20000.0, date(2024, 2, 3))
        self._classify()
        profile = self._profile(partner)
        profile.write({"manual_grade": "C", "manual_reason": "Checked"})
        self.assertFalse(profile.grade_differs)

    def test_backfill_writes_twelve_periods(self):
        partner = self._customer("Regular")
        for month in range(1, 13):
            self._order(partner, 1000.0 * month, date(2023, month, 10))
        self._order(partner, 500.0, date(2024, 2, 10))
        self.env["customer.abc.profile"]._backfill(today=TODAY)
        rows = self.env["customer.abc.history"].search([("partner_id", "=", partner.id)], order="period_start")
        self.assertEqual(len(rows), 12)
        self.assertEqual(rows[0].period_start, date(2023, 3, 1))
        self.assertEqual(rows[-1].period_start, FEB)
        self.assertEqual(rows[0].grade_change, "new")
        self.assertEqual(rows[-1].previous_grade, rows[-2].grade)
        self.assertEqual(rows.filtered(lambda r: r.period_start == date(2023, 10, 1)).grade, "C")
        self.assertEqual(self._profile(partner).period_start, FEB)

    def test_quarter_periods(self):
        self.company.abc_period = "quarter"
        partner = self._customer("Quarterly")
        self._order(partner, 40000.0, date(2023, 10, 2))
        self._order(partner, 40000.0, date(2023, 12, 30))
        self._order(partner, 40000.0, date(2024, 1, 2))
        self._classify()
        profile = self._profile(partner)
        self.assertEqual(profile.period_start, date(2023, 10, 1))
        self.assertEqual(profile.period_end, date(2024, 1, 1))
        self.assertAlmostEqual(profile.period_amount, 80000.0)
        self.assertEqual(profile.grade, "B")

    def test_default_today_is_today_in_the_company_timezone(self):
        partner = self._customer("Frozen")
        self._order(partner, 60000.0, date(2024, 1, 10))
        self._order(partner, 60000.0, date(2024, 2, 10))
        cases = [
            ("2024-03-01 10:00:00", False, FEB),
            # 2024-02-29 20:00 UTC: still February in UTC, already March 1st in Shanghai
            ("2024-02-29 20:00:00", False, JAN),
            ("2024-02-29 20:00:00", "Asia/Shanghai", FEB),
        ]
        for now, tz, start in cases:
            with self.subTest(now=now, tz=tz), freeze_time(now):
                self.company.partner_id.tz = tz
                self.env["customer.abc.profile"].classify()
                self.assertEqual(self._profile(partner).period_start, start)

    def test_partner_fields_search_and_group(self):
        top = self._customer("Top")
        low = self._customer("Low")
        self._order(top, 150000.0, date(2024, 2, 3))
        self._order(low, 15000.0, date(2024, 2, 3))
        self._classify()
        Partner = self.env["res.partner"]
        self.assertIn(top, Partner.search([("abc_grade", "=", "A")]))
        self.assertNotIn(low, Partner.search([("abc_grade", "=", "A")]))
        self.assertIn(low, Partner.search([("abc_grade_change", "=", "new")]))
        groups = dict(Partner._read_group([("id", "in", (top | low).ids)], ["abc_grade"], ["__count"]))
        self.assertEqual(groups, {"A": 1, "C": 1})

    def test_partner_fields_read_the_profile(self):
        top = self._customer("Field Top")
        low = self._customer("Field Low")
        idle = self._customer("Field Idle")  # a customer who never ordered: graded D
        buyer = self.env["res.partner"].create({"name": "Field Buyer", "parent_id": top.id})
        stranger = self.env["res.partner"].create({"name": "Field Stranger"})  # no customer: no profile
        self._order(top, 150000.0, date(2024, 2, 3))
        self._order(buyer, 1000.0, date(2024, 2, 4))  # counted for its company, Field Top
        self._order(low, 15000.0, date(2024, 2, 3))
        self._classify()
        everyone = top | low | idle | buyer | stranger
        Partner = self.env["res.partner"]
        self.assertEqual(
            [partner.abc_grade for partner in everyone], ["A", "C", "D", False, False], "child contacts carry none"
        )
        cases = [
            (("abc_grade", "=", "A"), top),
            (("abc_grade", "!=", "A"), low | idle | buyer | stranger),
            (("abc_grade", "in", ["A", "C"]), top | low),
            (("abc_grade", "not in", ["A", "C"]), idle | buyer | stranger),
            (("abc_grade", "=", False), buyer | stranger),
            (("abc_grade", "!=", False), top | low | idle),
            (("abc_grade", "in", ["D", False]), idle | buyer | stranger),
            (("abc_grade", "not in", ["D", False]), top | low),
            (("abc_lifecycle", "=", "never"), idle),
            (("abc_grade_change", "=", "new"), top | low | idle),  # no grade the period before
        ]
        for condition, expected in cases:
            with self.subTest(condition=condition):
                self.assertEqual(Partner.search([("id", "in", everyone.ids), condition]), expected)
        with self.assertRaises(UserError):
            Partner.search([("abc_grade", "ilike", "A")])
        groups = dict(Partner._read_group([("id", "in", everyone.ids)], ["abc_grade"], ["__count"]))
        self.assertEqual(groups, {"A": 1, "C": 1, "D": 1, False: 2})
        ordered = Partner.search([("id", "in", (top | low | idle).ids)], order="abc_grade desc")
        self.assertEqual(ordered, idle + low + top)
        # a manual override shows on the contact at once, in reads and searches
        self._profile(low).write({"manual_grade": "B", "manual_reason": "Promising"})
        self.assertEqual(low.abc_grade, "B")
        self.assertEqual(Partner.search([("id", "in", everyone.ids), ("abc_grade", "=", "B")]), low)
        # the classification writes nothing on the partners
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'res_partner' "
            "AND column_name LIKE 'abc\\_%%'"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_concurrent_run_is_refused(self):
        with self.registry.cursor() as other:
            other.execute("SELECT pg_advisory_xact_lock(%s, %s)", (0x0ABC, self.company.id))
            with self.assertRaisesRegex(UserError, "already running"):
                self._classify()
            other.rollback()
        self._classify()

    def test_cron_classifies_every_company_and_reports_progress(self):
        partner = self._customer("Cron Customer")
        self._order(partner, 60000.0, date(2024, 2, 3))
        cron = self.env.ref("customer_abc.ir_cron_customer_abc_classify")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))
        with freeze_time("2024-03-15"), compat.cron_trigger_context(self):
            cron.method_direct_trigger()
        self.assertEqual(self._profile(partner).grade, "B")
        runs = self.env["customer.abc.run"].search([])
        self.assertEqual(set(runs.mapped("state")), {"done"})
        self.assertEqual(runs.company_id, self.env["res.company"].search([]), "every company has its run")
        # progress is counted in steps of the runs (plan, read, a chunk, publish)
        progress = self.env["ir.cron.progress"].search([("cron_id", "=", cron.id)], order="id desc", limit=1)
        self.assertEqual((progress.done, progress.remaining), (sum(runs.mapped("steps_done")), 0))

    def test_cron_failure_in_one_company_keeps_the_others(self):
        other = self.env["res.company"].create({"name": "Broken Co"})
        partner = self._customer("Survivor")
        self._order(partner, 60000.0, date(2024, 2, 3))
        Classifier = type(self.env["customer.abc.classifier"])
        original = Classifier._step_read

        def flaky(model, run, clock):
            if run.company_id == other:
                raise RuntimeError("boom")
            return original(model, run, clock)

        with (
            freeze_time("2024-03-15"),
            patch.object(Classifier, "_step_read", flaky),
            self.assertLogs("odoo.addons.customer_abc.models.customer_abc_classifier", level="ERROR") as logs,
        ):
            self.env["customer.abc.profile"]._cron_classify()
        self.assertIn("Broken Co", logs.output[0])
        self.assertEqual(self._profile(partner).grade, "B")
        failed = self.env["customer.abc.run"].search([("company_id", "=", other.id)])
        self.assertEqual((failed.state, failed.message), ("failed", "The classification failed: boom"))

    def test_two_companies_with_different_settings(self):
        second = self.env["res.company"].create(
            {"name": "Second Co", "abc_method": "share", "abc_share_a": 50.0, "abc_share_b": 30.0}
        )
        self.env.user.company_ids |= second
        shared = self._customer("Shared Customer")
        other = self._customer("Other Customer")
        self._order(shared, 20000.0, date(2024, 2, 3))
        self._order(shared, 90000.0, date(2024, 2, 3), company=second)
        self._order(other, 95000.0, date(2024, 2, 3), company=second)
        self._classify(companies=self.company | second)
        self.assertEqual(self._profile(shared).grade, "C")
        self.assertEqual(self._profile(shared, second).grade, "B")
        self.assertEqual(self._profile(other, second).grade, "A")
        self.assertEqual(self._profile(shared, second).method, "share")
        self.assertEqual(shared.abc_grade, "C")
        self.assertEqual(shared.with_company(second).abc_grade, "B")
        # "other" never bought from the first company, but is a shared customer
        self.assertEqual(self._profile(other).grade, "D")

    def test_classify_accepts_company_ids(self):
        partner = self._customer("By Id")
        self._order(partner, 60000.0, date(2024, 2, 3))
        self.env["customer.abc.profile"].classify(today=TODAY, companies=[self.company.id])
        self.assertEqual(self._profile(partner).grade, "B")

    def test_profile_and_partner_expose_history(self):
        partner = self._customer("Historic")
        self._order(partner, 60000.0, date(2024, 1, 3))
        self._order(partner, 60000.0, date(2024, 2, 3))
        self._classify()
        profile = self._profile(partner)
        self.assertEqual(profile.history_ids.mapped("period_start"), [FEB, JAN])
        self.assertEqual(partner.abc_history_ids, profile.history_ids)
        action = partner.action_abc_open_profile()
        self.assertEqual((action["res_model"], action["res_id"]), ("customer.abc.profile", profile.id))
        action = partner.action_abc_open_history()
        self.assertEqual(self.env["customer.abc.history"].search(action["domain"]), profile.history_ids)

    def test_archived_customer_keeps_an_inactive_profile(self):
        partner = self._customer("Retired")
        self._order(partner, 60000.0, date(2024, 2, 3))
        partner.action_archive()
        self._classify()
        profile = (
            self.env["customer.abc.profile"].with_context(active_test=False).search([("partner_id", "=", partner.id)])
        )
        self.assertEqual(profile.grade, "B")
        self.assertFalse(profile.active)
        self.assertNotIn(profile, self.env["customer.abc.profile"].search([]))

    def test_order_lines_with_several_products_use_the_untaxed_total(self):
        tax = self.env["account.tax"].create({"name": "VAT 13", "amount": 13.0, "type_tax_use": "sale"})
        partner = self._customer("Taxed")
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": 2,
                            "price_unit": 3000.0,
                            self.line_taxes: [Command.set(tax.ids)],
                        }
                    ),
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": 1,
                            "price_unit": 4000.0,
                            self.line_taxes: [Command.set(tax.ids)],
                        }
                    ),
                ],
            }
        )
        order.action_confirm()
        order.date_order = "2024-02-10 10:00:00"
        self._classify()
        self.assertAlmostEqual(self._profile(partner).period_amount, 10000.0)
        self.assertEqual(self._profile(partner).grade, "C")
