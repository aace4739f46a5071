"""Access rights: salesman reads (own or all customers), manager overrides
and configures, companies are kept apart."""

from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CustomerAbcCase


@tagged("post_install", "-at_install")
class TestAccess(CustomerAbcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mine = cls._customer("Mine", user_id=cls.salesman.id)
        cls.theirs = cls._customer("Theirs", user_id=cls.manager.id)
        cls.nobody = cls._customer("Nobody's")
        for partner, amount in ((cls.mine, 120000.0), (cls.theirs, 60000.0), (cls.nobody, 20000.0)):
            cls._order(partner, amount, date(2024, 2, 5))
        cls.env["customer.abc.profile"].classify(today=date(2024, 3, 15))
        cls.partners = cls.mine | cls.theirs | cls.nobody

    def _visible(self, user, model):
        records = self.env[model].with_user(user).search([("partner_id", "in", self.partners.ids)])
        return records.partner_id

    def test_salesman_own_documents_sees_own_and_unassigned_customers(self):
        for model in ("customer.abc.profile", "customer.abc.history"):
            with self.subTest(model=model):
                self.assertEqual(self._visible(self.salesman, model), self.mine | self.nobody)

    def test_salesman_all_documents_and_manager_see_everyone(self):
        for user in (self.salesman_all, self.manager):
            for model in ("customer.abc.profile", "customer.abc.history"):
                with self.subTest(user=user.login, model=model):
                    self.assertEqual(self._visible(user, model), self.partners)

    def test_salesman_reads_grades_on_partners(self):
        mine = self.mine.with_user(self.salesman)
        self.assertEqual(mine.abc_grade, "A")
        self.assertEqual(mine.abc_profile_id.grade, "A")
        self.assertEqual(len(mine.abc_history_ids), 1)

    def test_salesmen_cannot_override_a_grade(self):
        for user in (self.salesman, self.salesman_all):
            with self.subTest(user=user.login):
                profile = self._profile(self.mine).with_user(user)
                with self.assertRaises(AccessError):
                    profile.write({"manual_grade": "D", "manual_reason": "I say so"})

    def test_manager_overrides_a_grade(self):
        profile = self._profile(self.nobody).with_user(self.manager)
        profile.write({"manual_grade": "B", "manual_reason": "Promising"})
        self.assertEqual(profile.grade, "B")
        self.assertEqual(self.nobody.abc_grade, "B")

    def test_nobody_creates_or_deletes_profiles_and_history(self):
        for user in (self.salesman, self.salesman_all, self.manager):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self._profile(self.mine).with_user(user).unlink()
                with self.assertRaises(AccessError):
                    self._history(self.mine).with_user(user).write({"grade": "D"})
                with self.assertRaises(AccessError):
                    self.env["customer.abc.profile"].with_user(user).create(
                        {"company_id": self.company.id, "partner_id": self.mine.id}
                    )

    def test_only_managers_classify(self):
        for user in (self.salesman, self.salesman_all):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.env["customer.abc.profile"].with_user(user).classify(today=date(2024, 3, 15))
        self.env["customer.abc.profile"].with_user(self.manager).classify()
        action = self.env["customer.abc.profile"].with_user(self.manager).action_classify_now()
        self.assertEqual(action["tag"], "display_notification")

    def test_only_managers_change_settings(self):
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(self.salesman_all).create({"abc_method": "share"}).execute()

    def test_other_company_profiles_are_hidden(self):
        second = self.env["res.company"].create({"name": "Far Away Co"})
        self._order(self.mine, 60000.0, date(2024, 2, 5), company=second)
        self.env["customer.abc.profile"].classify(today=date(2024, 3, 15), companies=second)
        self.assertTrue(self._profile(self.mine, second))
        profiles = self.env["customer.abc.profile"].with_user(self.manager).search([("partner_id", "=", self.mine.id)])
        self.assertEqual(profiles.company_id, self.company)
        self.manager.company_ids |= second
        profiles = (
            self.env["customer.abc.profile"]
            .with_user(self.manager)
            .with_context(allowed_company_ids=[self.company.id, second.id])
            .search([("partner_id", "=", self.mine.id)])
        )
        self.assertEqual(profiles.company_id, self.company | second)

    def test_issue_coupons_on_partners_is_for_salespeople_and_settings_open_in_place(self):
        """Data written per Odoo version (the loader's ``version``): the
        action's groups field is groups_id on 18 and group_ids on 19; the
        settings open inline on 18, in the main area on 19 (no inline)."""
        action = self.env.ref("customer_abc.customer_abc_coupon_wizard_action_partner")
        groups = action["group_ids" if "group_ids" in action._fields else "groups_id"]
        self.assertEqual(groups, self.env.ref("sales_team.group_sale_salesman"))
        settings = self.env.ref("customer_abc.customer_abc_config_settings_action")
        targets = dict(settings._fields["target"]._description_selection(self.env))
        self.assertEqual(settings.target, "inline" if "inline" in targets else "current")
        bound = self.env["ir.actions.actions"].with_user(self.salesman)._get_bindings("res.partner")["action"]
        self.assertIn(action.id, [bound_action["id"] for bound_action in bound])
