"""Safe to install in production: what a salesman, a manager of one company
and a plain employee can reach over RPC (through ``with_user``, as the web
client calls), bad input, and the robustness of the nightly job."""

from datetime import date, timedelta

from odoo import Command, fields, sql_db
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.sms.tests.common import SMSCase

from .common import TODAY, CustomerAbcCase

JOB_LOGGERS = ("odoo.addons.customer_abc.models.customer_abc_classifier", "odoo.sql_db")


@tagged("post_install", "-at_install")
class TestClassifyScope(CustomerAbcCase):
    """classify() over RPC: a sales manager's operation on his own companies, as of today."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.env["res.company"].create({"name": "Other Branch"})
        cls.shopper = cls._customer("Branch Shopper")
        cls._order(cls.shopper, 500.0, date.today() - timedelta(days=40))
        cls._order(cls.shopper, 700.0, date.today() - timedelta(days=40), company=cls.other)
        # a manager of the first company only
        cls.Profile = cls.env["customer.abc.profile"]

    def _profiles(self, company):
        return self.Profile.search([("company_id", "=", company.id), ("partner_id", "=", self.shopper.id)])

    def test_manager_cannot_classify_another_company(self):
        for companies in ([self.other.id], self.other, [self.company.id, self.other.id]):
            with self.subTest(companies=companies):
                with self.assertRaises(AccessError):
                    self.Profile.with_user(self.manager).classify(companies=companies)
        self.assertFalse(self._profiles(self.other))

    def test_manager_classifies_only_the_current_company_by_default(self):
        self.Profile.with_user(self.manager).classify()
        self.assertTrue(self._profiles(self.company))
        self.assertFalse(self._profiles(self.other), "another company of the database is left alone")

    def test_manager_of_both_companies_classifies_the_selected_ones(self):
        self.manager.company_ids |= self.other
        both = self.Profile.with_user(self.manager).with_context(allowed_company_ids=[self.company.id, self.other.id])
        both.classify(companies=[self.other.id])
        self.assertTrue(self._profiles(self.other))

    def test_runs_of_another_company_are_not_shown(self):
        self.Profile.classify()  # code: every company, one run each
        runs = self.env["customer.abc.run"].with_user(self.manager).search([])
        self.assertEqual(runs.company_id, self.company, "the manager of the first company sees its runs only")
        self.assertTrue(self.env["customer.abc.run"].search([("company_id", "=", self.other.id)]))
        with self.assertRaises(AccessError):
            self.env["customer.abc.run"].with_user(self.salesman).search([])

    def test_no_classification_of_the_future(self):
        future = fields.Date.today() + timedelta(days=1)
        for user in (self.manager, self.env.user):
            with self.subTest(user=user.login):
                with self.assertRaisesRegex(UserError, "has not come yet"):
                    self.Profile.with_user(user).classify(today=future)
        with self.assertRaises(UserError):
            self.Profile.classify(today=date(2200, 6, 15))
        self.assertFalse(self.env["customer.abc.history"].search([("period_start", ">", fields.Date.today())]))

    def test_past_days_are_for_code_only(self):
        with self.assertRaises(AccessError):
            self.Profile.with_user(self.manager).classify(today=TODAY)
        self.Profile.with_user(self.manager).classify(today=fields.Date.today())
        self.Profile.classify(today=TODAY, companies=self.company)
        self.assertEqual(self._profiles(self.company).period_start, date(2024, 2, 1))

    def test_cockpit_never_opens_after_the_last_completed_period(self):
        self.Profile.classify(companies=self.company)
        # rows of a period that has not ended (written by some earlier bug or script)
        self.env["customer.abc.history"].create(
            {
                "company_id": self.company.id,
                "partner_id": self.shopper.id,
                "period_start": date(2200, 5, 1),
                "period_end": date(2200, 6, 1),
                "grade": "D",
            }
        )
        data = self.env["customer.abc.cockpit"].with_user(self.manager).get_cockpit_data()
        last_completed = fields.Date.today().replace(day=1)
        self.assertLess(fields.Date.to_date(data["period"]["start"]), last_completed)
        self.assertNotIn("2200-05-01", [period["start"] for period in data["periods"]])


@tagged("post_install", "-at_install")
class TestJobOwnedFigures(CustomerAbcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyer = cls._customer("Owned Figures", user_id=cls.salesman.id)
        cls._order(cls.buyer, 20000.0, date(2024, 2, 5))
        cls.env["customer.abc.profile"].classify(today=TODAY)
        cls.admin = new_test_user(
            cls.env, login="abc_admin", groups="base.group_system,sales_team.group_sale_manager", name="Admin"
        )

    def test_only_the_manual_grade_and_its_reason_are_writable(self):
        profile = self._profile(self.buyer)
        elsewhere = self.env["res.company"].create({"name": "Elsewhere"})
        for user in (self.manager, self.admin):
            for vals in (
                {"period_amount": 1.0},
                {"computed_grade": "A"},
                {"company_id": elsewhere.id},
                {"lifecycle": "churned"},
                {"manual_grade": "A", "period_order_count": 9},
            ):
                with self.subTest(user=user.login, vals=vals):
                    with self.assertRaises(AccessError):
                        profile.with_user(user).write(vals)
        profile.invalidate_recordset()
        self.assertEqual(
            (profile.period_amount, profile.computed_grade, profile.company_id), (20000.0, "C", self.company)
        )
        profile.with_user(self.manager).write({"manual_grade": "B", "manual_reason": "Big tender coming"})
        self.assertEqual((profile.grade, profile.computed_grade), ("B", "C"))

    def test_history_and_playbook_results_are_read_only(self):
        history = self._history(self.buyer)
        action = self.env["customer.abc.action"]._abc_log(
            [{"company_id": self.company.id, "partner_id": self.buyer.id, "kind": "call", "source": "manual",
              "date": TODAY}]
        )  # fmt: skip
        for user in (self.manager, self.admin):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    history.with_user(user).write({"grade": "A"})
                with self.assertRaises(AccessError):
                    action.with_user(user).write({"state": "won", "won_amount": 1000.0})
        self.assertEqual((history.grade, action.state), ("C", "open"))


@tagged("post_install", "-at_install")
class TestGradesAreSalesInformation(CustomerAbcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyer = cls._customer("Sales Secret", user_id=cls.salesman.id)
        cls._order(cls.buyer, 120000.0, date(2024, 2, 5))
        cls.env["customer.abc.profile"].classify(today=TODAY)
        cls.employee = new_test_user(cls.env, login="abc_employee", groups="base.group_user", name="Plain Employee")

    def test_plain_employee_reads_no_grade(self):
        partner = self.buyer.with_user(self.employee)
        self.assertEqual(partner.name, "Sales Secret")
        for field in (
            "abc_grade",
            "abc_previous_grade",
            "abc_grade_change",
            "abc_lifecycle",
            "abc_amount_trend",
            "abc_frequency_trend",
            "abc_profile_id",
        ):
            with self.subTest(field=field):
                with self.assertRaises(AccessError):
                    partner.read([field])
        Partner = self.env["res.partner"].with_user(self.employee)
        with self.assertRaises(AccessError):
            Partner.search([("abc_grade", "=", "A")])
        # grouped or sorted by a grade, the groups' or the rows' order would tell it
        with self.assertRaises(AccessError):
            Partner._read_group([("id", "=", self.buyer.id)], ["abc_grade"], ["__count"])
        with self.assertRaises(AccessError):
            Partner.search([("id", "=", self.buyer.id)], order="abc_lifecycle")

    def test_salesman_reads_grades(self):
        self.assertEqual(self.buyer.with_user(self.salesman).abc_grade, "A")
        Partner = self.env["res.partner"].with_user(self.salesman)
        self.assertEqual(Partner._read_group([("id", "=", self.buyer.id)], ["abc_grade"], ["__count"]), [("A", 1)])
        self.assertEqual(Partner.search([("id", "=", self.buyer.id)], order="abc_lifecycle"), self.buyer)

    def test_contact_views_show_grades_to_sales_users_only(self):
        for user, shown in ((self.employee, False), (self.salesman, True)):
            views = self.env["res.partner"].with_user(user).get_views([(False, "list"), (False, "form")])
            for view_type in ("list", "form"):
                with self.subTest(user=user.login, view=view_type):
                    self.assertEqual('name="abc_grade"' in views["views"][view_type]["arch"], shown)


@tagged("post_install", "-at_install")
class TestVisitDates(CustomerAbcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.env["res.company"].create({"name": "Visit Branch"})
        cls.salesman.company_ids |= cls.other
        cls.shop = cls._customer("Visited Shop", user_id=cls.salesman.id)
        cls._order(cls.shop, 900.0, date.today() - timedelta(days=10))
        cls._order(cls.shop, 900.0, date.today() - timedelta(days=10), company=cls.other)
        cls.env["customer.abc.profile"].classify(companies=cls.company | cls.other)
        cls.visit = cls.env.ref("customer_abc.mail_activity_type_visit")

    def test_context_key_does_not_backdate_or_postdate_a_visit(self):
        activity = self.shop.activity_schedule(activity_type_id=self.visit.id, user_id=self.salesman.id)
        future = fields.Date.today() + timedelta(days=300)
        activity.with_user(self.salesman).with_context(abc_visit_date=future).action_feedback(feedback="Went")
        self.assertEqual(self._profile(self.shop).last_visit_date, fields.Date.today())

    def test_visit_wizard_refuses_a_future_date(self):
        with self.assertRaises(ValidationError):
            self.env["customer.abc.visit.wizard"].with_user(self.salesman).create(
                {"partner_id": self.shop.id, "visit_date": fields.Date.today() + timedelta(days=1)}
            )

    def test_only_the_current_company_profile_is_touched(self):
        yesterday = fields.Date.today() - timedelta(days=1)
        wizard = (
            self.env["customer.abc.visit.wizard"]
            .with_user(self.salesman)
            .with_context(allowed_company_ids=[self.company.id, self.other.id])
            .create({"partner_id": self.shop.id, "visit_date": yesterday})
        )
        wizard.action_log()
        self.assertEqual(self._profile(self.shop).last_visit_date, yesterday)
        self.assertFalse(self._profile(self.shop, self.other).last_visit_date)
        # and the nightly run agrees: the visit belongs to the company it was logged in
        self.env["customer.abc.profile"].classify(companies=self.company | self.other)
        self.assertEqual(self._profile(self.shop).last_visit_date, yesterday)
        self.assertFalse(self._profile(self.shop, self.other).last_visit_date)


@tagged("post_install", "-at_install")
class TestSettingsSavedTogether(CustomerAbcCase):
    def _save(self, vals, user=None):
        env = self.env(user=user) if user else self.env
        env["res.config.settings"].create(vals).execute()
        self.company.invalidate_recordset()

    def test_valid_combinations_saved_as_the_form_saves_them(self):
        cases = [
            {"abc_threshold_a": 300.0, "abc_threshold_b": 200.0, "abc_threshold_c": 100.0},
            {"abc_threshold_a": 500000.0, "abc_threshold_b": 400000.0, "abc_threshold_c": 300000.0},
            {"abc_at_risk_days": 200, "abc_churn_days": 300},
            {"abc_at_risk_days": 20, "abc_churn_days": 30},
            {"abc_lifecycle_adaptive": True, "abc_adaptive_at_risk_factor": 5.0, "abc_adaptive_churn_factor": 6.0},
            {"abc_share_a": 70.0, "abc_share_b": 20.0},
        ]
        for vals in cases:
            with self.subTest(vals=vals):
                self._save(vals, user=self.admin_user())
                for name, value in vals.items():
                    self.assertEqual(self.company[name], value)

    def admin_user(self):
        return self.env.ref("base.user_admin")

    @mute_logger("odoo.sql_db")
    def test_refused_combinations_name_the_field_and_save_nothing(self):
        cases = [
            ({"abc_threshold_a": 300.0, "abc_threshold_b": 400.0, "abc_threshold_c": 100.0}, "Threshold A"),
            ({"abc_at_risk_days": 300, "abc_churn_days": 200}, "Active Days"),
            ({"abc_adaptive_at_risk_factor": 6.0, "abc_adaptive_churn_factor": 5.0}, "Adaptive Churn Factor"),
            ({"abc_share_a": 70.0, "abc_share_b": 30.0, "abc_method": "share"}, r"Share A \+ Share B"),
        ]
        for vals, label in cases:
            with self.subTest(vals=vals):
                with self.assertRaisesRegex(ValidationError, label):
                    with self.env.cr.savepoint():
                        self._save(vals)
                        self.env.flush_all()
                self.company.invalidate_recordset()
                self.assertEqual(
                    (self.company.abc_threshold_a, self.company.abc_at_risk_days, self.company.abc_method),
                    (100000.0, 60, "fixed"),
                    "nothing of a refused save is kept",
                )

    @mute_logger("odoo.sql_db")
    def test_upper_bounds(self):
        cases = [
            ({"abc_trend_days": 10**7}, "Trend Window"),
            ({"abc_trend_days": 3651}, "Trend Window"),
            ({"abc_winback_days": 10**7}, "Win-back Window"),
            ({"abc_coupon_cooldown_days": 3651}, "Coupon Cooldown"),
            ({"abc_churn_days": 3651}, "Churn Days"),
            ({"abc_new_days": 3651}, "New Customer Days"),
            ({"abc_surge_pct": 1000.01}, "Surge"),
            ({"abc_adaptive_churn_factor": 100.5}, "Adaptive Churn Factor"),
            ({"abc_threshold_a": 1e17}, "Threshold A"),
            ({"abc_trend_min_amount": 1e17}, "Trend Minimum Amount"),
            ({"abc_trend_min_orders": 10**7}, "Trend Minimum Orders"),
        ]
        for vals, label in cases:
            with self.subTest(vals=vals):
                with self.assertRaisesRegex(ValidationError, label):
                    with self.env.cr.savepoint():
                        self._save(vals)
                        self.env.flush_all()
        accepted = {"abc_trend_days": 3650, "abc_winback_days": 3650, "abc_surge_pct": 1000.0, "abc_churn_days": 3650}
        self._save(accepted)
        for name, value in accepted.items():
            self.assertEqual(self.company[name], value)

    @mute_logger("odoo.sql_db")
    def test_fallback_user_is_an_internal_user_of_the_company(self):
        portal = new_test_user(self.env, login="abc_portal", groups="base.group_portal", name="Portal Person")
        elsewhere = self.env["res.company"].create({"name": "Far Co"})
        stranger = new_test_user(
            self.env,
            login="abc_stranger",
            groups="base.group_user",
            company_id=elsewhere.id,
            company_ids=[Command.set(elsewhere.ids)],
            name="Stranger",
        )
        for user in (portal, stranger):
            with self.subTest(user=user.login):
                with self.assertRaisesRegex(ValidationError, "Fallback Follow-up User"):
                    with self.env.cr.savepoint():
                        self._save({"abc_followup_user_id": user.id})
                        self.env.flush_all()
        self._save({"abc_followup_user_id": self.salesman.id})
        self.assertEqual(self.company.abc_followup_user_id, self.salesman)


@tagged("post_install", "-at_install")
class TestOverflowingOrders(CustomerAbcCase):
    def test_an_order_too_large_is_named_and_other_companies_go_on(self):
        other = self.env["res.company"].create({"name": "Sane Co"})
        giant = self._customer("Giant Order Ltd")
        order = self._order(giant, 1e17, date(2024, 2, 5))
        sane = self._customer("Sane Buyer")
        self._order(sane, 20000.0, date(2024, 2, 5), company=other)
        with mute_logger(*JOB_LOGGERS):
            with self.assertRaisesRegex(UserError, order.name):
                self.env["customer.abc.profile"].classify(today=TODAY, companies=self.company)
            # the scheduled action logs it and classifies the other companies
            self.env["customer.abc.profile"]._cron_classify()
        self.assertTrue(self._profile(sane, other))
        self.assertFalse(self._profile(giant))

    def test_many_large_orders_whose_sum_overflows(self):
        buyers = [self._customer(f"Large {index}") for index in range(3)]
        for buyer in buyers:
            self._order(buyer, 2e16, date(2024, 2, 5))
        with mute_logger(*JOB_LOGGERS):
            with self.assertRaisesRegex(UserError, "too large to be added up exactly"):
                self.env["customer.abc.profile"].classify(today=TODAY, companies=self.company)


@tagged("post_install", "-at_install")
class TestCockpitCountsAgree(CustomerAbcCase):
    def test_grade_tiles_and_method_comparison_count_the_same_customers(self):
        for name, amount in (("Tile A", 150000.0), ("Tile C", 20000.0), ("Tile D", 500.0)):
            self._order(self._customer(name), amount, date(2024, 2, 5))
        self._customer("Never Ordered")
        self.env["customer.abc.profile"].classify(today=TODAY)
        # a customer who arrived after the period, and one whose first order came later
        self._customer("Arrived Later")
        self._order(self._customer("Ordered Later"), 3000.0, date(2024, 3, 5))
        self.env["customer.abc.profile"].classify(today=TODAY)
        data = self.env["customer.abc.cockpit"].get_cockpit_data()
        tiles = {tile["segment"]: tile["count"] for section in data["sections"] for tile in section["tiles"]}
        rows = {row["grade"]: row["fixed_count"] for row in data["comparison"]["rows"]}
        self.assertEqual(data["comparison"]["method"], "fixed")
        for grade in "ABCD":
            with self.subTest(grade=grade):
                self.assertEqual(rows[grade], tiles[f"grade_{grade.lower()}"])
        self.assertEqual(data["comparison"]["customers"], sum(rows.values()))


@tagged("post_install", "-at_install")
class TestExportCompanies(CustomerAbcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        eur = cls.env.ref("base.EUR")
        eur.active = True
        cls.europe = cls.env["res.company"].create({"name": "Europe GmbH", "currency_id": eur.id})
        cls.manager.company_ids |= cls.europe
        cls.buyer = cls._customer("Two Continents")
        cls._order(cls.buyer, 1000.0, date(2024, 2, 5))
        cls._order(cls.buyer, 2000.0, date(2024, 2, 5), company=cls.europe)
        cls.env["customer.abc.profile"].classify(today=TODAY, companies=cls.company | cls.europe)

    def test_each_row_in_its_own_currency(self):
        from .test_export import read_workbook

        profiles = (
            self.env["customer.abc.profile"]
            .with_user(self.manager)
            .with_context(allowed_company_ids=[self.company.id, self.europe.id])
            .search([("partner_id", "=", self.buyer.id)])
        )
        self.assertEqual(len(profiles), 2)
        book, sheet, header, rows = read_workbook(profiles._abc_export_xlsx())
        self.assertIn("Company", header)
        amount_column = header.index("Period Amount") + 1
        formats = {
            row[header.index("Company")]: sheet.cell(row=index, column=amount_column).number_format
            for index, row in enumerate(rows, start=2)
        }
        self.assertIn("€", formats["Europe GmbH"])
        self.assertIn("$", formats[self.company.name])
        titles = [row[0] for row in book["Summary"].iter_rows(values_only=True) if row[0]]
        self.assertIn("By grade, Europe GmbH", titles)

    def test_action_carries_the_selected_companies(self):
        profiles = (
            self.env["customer.abc.profile"]
            .with_user(self.manager)
            .with_context(allowed_company_ids=[self.europe.id, self.company.id])
            .search([("partner_id", "=", self.buyer.id)])
        )
        action = profiles.action_export_xlsx()
        self.assertIn(f"cids={self.europe.id}-{self.company.id}", action["url"])


@tagged("post_install", "-at_install")
class TestCouponSafety(SMSCase, CustomerAbcCase):
    """The coupon wizard gives coupons only to customers the user may work with."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.china = cls.env.ref("base.cn")
        cls.program = (
            cls.env["loyalty.program"]
            .with_context(default_program_type="coupons")
            .create(
                {
                    "name": "Safe 30",
                    "program_type": "coupons",
                    "communication_plan_ids": [Command.clear()],
                    "reward_ids": [
                        Command.clear(),
                        Command.create({"reward_type": "discount", "discount_mode": "per_order", "discount": 30}),
                    ],
                }
            )
        )

        def customer(name, number, **vals):
            return cls._customer(name, phone=number, country_id=cls.china.id, **vals)

        cls.mine = customer("Own Shop", "138 0013 8001", user_id=cls.salesman.id)
        cls.colleague = customer("Colleague Shop", "138 0013 8002", user_id=cls.manager.id)
        cls.unassigned = customer("Free Shop", "138 0013 8003")
        for partner in cls.mine | cls.colleague | cls.unassigned:
            cls._order(partner, 5000.0, date(2024, 2, 3))
        cls.env["customer.abc.profile"].classify(today=TODAY)
        # after the classification: no profile yet
        cls.newcomer = customer("Newcomer Shop", "138 0013 8004")
        cls.colleague_newcomer = customer("Colleague Newcomer", "138 0013 8005", user_id=cls.manager.id)
        cls.supplier = cls.env["res.partner"].create(
            {"name": "Only A Supplier", "is_company": True, "phone": "138 0013 8006", "country_id": cls.china.id}
        )
        cls.salesman.partner_id.write({"phone": "138 0013 8007", "country_id": cls.china.id})
        cls.other = cls.env["res.company"].create({"name": "Coupon Elsewhere"})
        cls.foreign = customer("Foreign Shop", "138 0013 8008", company_id=cls.other.id)

    def _wizard(self, partners, user=None, **vals):
        env = self.env(user=user) if user else self.env
        return env["customer.abc.coupon.wizard"].create(
            {"partner_ids": [Command.set(partners.ids)], "program_id": self.program.id, **vals}
        )

    def _reasons(self, wizard):
        return {line.partner_id: (line.status, line.reason) for line in wizard.line_ids}

    def test_own_documents_salesman_reaches_only_his_and_unassigned_customers(self):
        everyone = (
            self.mine
            | self.colleague
            | self.unassigned
            | self.newcomer
            | self.colleague_newcomer
            | self.supplier
            | self.salesman.partner_id
            | self.foreign
        )
        wizard = self._wizard(everyone, user=self.salesman)
        reasons = self._reasons(wizard)
        expected = {
            self.mine: ("send", False),
            self.unassigned: ("send", False),
            self.newcomer: ("send", False),
            self.colleague: ("skip", "Customer of another salesperson"),
            self.colleague_newcomer: ("skip", "Customer of another salesperson"),
            self.supplier: ("skip", f"Not a customer of {self.company.name}"),
            self.salesman.partner_id: ("skip", "Contact of an internal user or a company"),
        }
        for partner, outcome in expected.items():
            with self.subTest(partner=partner.name):
                self.assertEqual(reasons[partner], outcome)
        self.assertNotIn(self.foreign, reasons, "a contact of another company, which he cannot read, is left out")
        reasons = self._reasons(self._wizard(self.foreign))
        self.assertEqual(reasons[self.foreign], ("skip", f"Not a customer of {self.company.name}"))
        with self.mockSMSGateway():
            wizard.with_user(self.salesman).action_issue()
        cards = self.env["loyalty.card"].search([("program_id", "=", self.program.id)])
        self.assertEqual(cards.partner_id, self.mine | self.unassigned | self.newcomer)

    def test_a_salesman_seeing_all_documents_reaches_his_colleagues_customers(self):
        reasons = self._reasons(self._wizard(self.colleague | self.colleague_newcomer, user=self.salesman_all))
        self.assertEqual(reasons[self.colleague], ("send", False))
        self.assertEqual(reasons[self.colleague_newcomer], ("send", False))

    def test_crafted_issue_call_issues_nothing_for_others(self):
        wizard = self._wizard(self.mine, user=self.salesman)
        # the web client would never send this; an RPC caller can
        wizard.with_user(self.salesman).write(
            {"partner_ids": [Command.set((self.colleague | self.salesman.partner_id | self.foreign).ids)]}
        )
        with self.mockSMSGateway():
            wizard.with_user(self.salesman).action_issue()
        self.assertFalse(self.env["loyalty.card"].search([("program_id", "=", self.program.id)]))
        self.assertFalse(self.env["sms.sms"].sudo().search([("partner_id", "in", self.colleague.ids)]))

    def test_wizard_of_another_company_is_refused(self):
        with self.assertRaises(AccessError):
            wizard = self._wizard(self.mine, user=self.salesman, company_id=self.other.id)
            wizard.with_user(self.salesman).action_issue()
        self.assertFalse(self.env["loyalty.card"].search([("program_id", "=", self.program.id)]))

    def test_only_coupon_templates(self):
        leaky = self.env["sms.template"].create(
            {"name": "Leaky", "model_id": self.env.ref("base.model_res_users").id, "body": "{{ object.login }}"}
        )
        with self.assertRaises(ValidationError):
            self._wizard(self.mine, user=self.salesman, sms_template_id=leaky.id)
        wizard = self._wizard(self.mine, user=self.salesman)
        with self.assertRaises(ValidationError):
            wizard.with_user(self.salesman).write({"sms_template_id": leaky.id})
        domain = wizard._fields["sms_template_id"].domain
        self.assertIn("loyalty.card", str(domain))

    def test_template_is_rendered_with_the_users_rights(self):
        # a coupon template reaching for what only the superuser may read
        nosy = self.env["sms.template"].create(
            {
                "name": "Nosy",
                "model_id": self.env.ref("loyalty.model_loyalty_card").id,
                "body": "{{ object.env['ir.config_parameter'].get_param('database.secret') }}",
            }
        )
        wizard = self._wizard(self.mine, user=self.salesman, sms_template_id=nosy.id)
        with self.mockSMSGateway(), self.assertRaises(UserError):
            with self.env.cr.savepoint():
                wizard.with_user(self.salesman).action_issue()
        self.assertFalse(self.env["loyalty.card"].search([("program_id", "=", self.program.id)]))

    def test_blacklisted_number_is_skipped(self):
        self.env["phone.blacklist"].sudo().add("+8613800138001")
        wizard = self._wizard(self.mine | self.unassigned, user=self.salesman)
        self.assertEqual(self._reasons(wizard)[self.mine], ("skip", "Number blacklisted"))
        with self.mockSMSGateway():
            wizard.with_user(self.salesman).action_issue()
            self.env["sms.sms"].sudo().search([("state", "=", "outgoing")]).send()
        self.assertSMSIapSent(["+8613800138003"])
        self.assertFalse(self.env["loyalty.card"].search([("partner_id", "=", self.mine.id)]))

    def test_sms_leave_only_after_commit(self):
        wizard = self._wizard(self.mine | self.unassigned, user=self.salesman)
        with self.mockSMSGateway():
            wizard.with_user(self.salesman).action_issue()
            self.assertFalse(self._sms, "nothing reaches the gateway inside the transaction")
        queued = self.env["sms.sms"].sudo().search([("partner_id", "in", (self.mine | self.unassigned).ids)])
        self.assertEqual(set(queued.mapped("state")), {"outgoing"})
        self.assertEqual(len(queued), 2)
        cron = self.env.ref("sms.ir_cron_sms_scheduler_action")
        self.assertTrue(self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", cron.id)]))
        for line in wizard.line_ids:
            with self.subTest(partner=line.partner_id.name):
                self.assertEqual(line.status, "sent")
                self.assertIn(line.partner_id, queued.partner_id, "a line says sent only with its SMS")
        with self.mockSMSGateway():
            queued.send()
        self.assertSMSIapSent(["+8613800138001", "+8613800138003"])

    def test_programs_and_validity_refused(self):
        today = fields.Date.today()
        archived = self.program.copy({"name": "Archived 30"})
        archived.active = False
        ended = self.program.copy({"name": "Ended 30", "date_to": today - timedelta(days=1)})
        ending = self.program.copy({"name": "Ending 30", "date_to": today + timedelta(days=5)})
        foreign = self.program.copy({"name": "Foreign 30", "company_id": self.other.id})
        cases = [
            ({"program_id": archived.id}, "archived"),
            ({"program_id": ended.id}, "ended on"),
            ({"program_id": ending.id, "valid_until": today + timedelta(days=6)}, "after the end of their program"),
            ({"program_id": foreign.id}, "is not a coupon program of"),
        ]
        for vals, message in cases:
            with self.subTest(vals=vals):
                wizard = self._wizard(self.mine, **vals)
                with self.assertRaisesRegex(UserError, message):
                    wizard.action_issue()
        with self.assertRaisesRegex(ValidationError, "already past"):
            self._wizard(self.mine, valid_until=today - timedelta(days=1))
        self.assertFalse(self.env["loyalty.card"].search([("partner_id", "=", self.mine.id)]))

    def test_customers_are_locked_also_without_a_profile(self):
        # a committed contact without profile, untouched by this test until the lock:
        # another connection updates it freely before, and must wait after
        partner = self.env.ref("base.public_partner")
        self.assertFalse(self._profile(partner))
        update = "UPDATE res_partner SET write_date = write_date WHERE id = %s"

        def other_connection():
            # a connection of its own (not the test's cursor, which Odoo 19 may hand out again)
            return sql_db.db_connect(self.env.cr.dbname).cursor()

        with other_connection() as other_cr:
            other_cr.execute("SET LOCAL lock_timeout = '500ms'")
            other_cr.execute(update, [partner.id])
            other_cr.rollback()
        self._wizard(self.mine)._lock_customers(partner)
        with other_connection() as other_cr:
            other_cr.execute("SET LOCAL lock_timeout = '500ms'")
            with self.assertRaisesRegex(Exception, "lock timeout"), mute_logger("odoo.sql_db"):
                other_cr.execute(update, [partner.id])
            other_cr.rollback()
