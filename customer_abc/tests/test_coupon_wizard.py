"""Coupons by SMS: preview, real coupons, SMS through Odoo's mocked gateway,
failures, cooldown, double submit, companies and rights."""

from datetime import date, timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from odoo.addons.sms.tests.common import SMSCase

from .. import compat
from .common import CustomerAbcCase


@tagged("post_install", "-at_install")
class TestCouponWizard(SMSCase, CustomerAbcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.china = cls.env.ref("base.cn")
        cls.usa = cls.env.ref("base.us")
        cls.program = (
            cls.env["loyalty.program"]
            .with_context(default_program_type="coupons")
            .create(
                {
                    "name": "Come back 50",
                    "program_type": "coupons",
                    "communication_plan_ids": [Command.clear()],
                    "reward_ids": [
                        Command.clear(),
                        Command.create({"reward_type": "discount", "discount_mode": "per_order", "discount": 50}),
                    ],
                }
            )
        )
        # the number to text: the mobile on Odoo 18 (where a customer may have only one), the phone on 19
        number = compat.PARTNER_PHONE_FIELDS[0]
        cls.wang = cls._customer(
            "Wang Trading", **{number: "138 0013 8000"}, country_id=cls.china.id, user_id=cls.salesman.id
        )
        cls.lake = cls._customer("Lake Foods", phone="+1 206 555 0134", country_id=cls.usa.id, user_id=cls.salesman.id)
        cls.silent = cls._customer("No Number Ltd", country_id=cls.china.id, user_id=cls.salesman.id)
        cls.wrong = cls._customer(
            "Wrong Number Co", **{number: "12345"}, country_id=cls.china.id, user_id=cls.manager.id
        )
        cls.recent = cls._customer("Recent Coupon", **{number: "139 0013 9000"}, country_id=cls.china.id)
        cls.gone = cls._customer("Closed Shop", **{number: "137 0013 7000"}, country_id=cls.china.id, active=False)
        card = cls.env["loyalty.card"].create({"program_id": cls.program.id, "partner_id": cls.recent.id, "points": 1})
        cls.env.cr.execute("UPDATE loyalty_card SET create_date = now() - interval '5 days' WHERE id = %s", [card.id])
        cls.everyone = cls.wang | cls.lake | cls.silent | cls.wrong | cls.recent | cls.gone
        for partner in cls.everyone:
            cls._order(partner, 5000.0, date(2024, 2, 3))
        cls.env["customer.abc.profile"].classify(today=date(2024, 3, 15))

    def _wizard(self, partners, user=None, model="res.partner"):
        env = self.env(user=user) if user else self.env
        records = (
            partners
            if model == "res.partner"
            else self.env["customer.abc.profile"].search([("partner_id", "in", partners.ids)])
        )
        form = Form(
            env["customer.abc.coupon.wizard"].with_context(
                active_model=model, active_ids=records.ids, active_test=False
            )
        )
        form.program_id = self.program
        return form.save()

    def _send_queue(self):
        """What Odoo's SMS queue does after the commit."""
        self.env["sms.sms"].sudo().search([("state", "=", "outgoing")]).send()

    def _lines(self, wizard):
        return {line.partner_id: line for line in wizard.line_ids}

    def test_preview_counts_and_reasons(self):
        wizard = self._wizard(self.everyone)
        lines = self._lines(wizard)
        self.assertEqual((wizard.send_count, wizard.skip_count), (2, 4))
        self.assertEqual(lines[self.wang].status, "send")
        self.assertEqual(lines[self.wang].number, "+8613800138000")
        self.assertEqual(lines[self.lake].number, "+12065550134")
        self.assertEqual(
            lines[self.silent].reason, "No mobile or phone number" if compat.PARTNER_HAS_MOBILE else "No phone number"
        )
        self.assertIn("12345 is not a valid number for China", lines[self.wrong].reason)
        self.assertIn("cooldown: 30 days", lines[self.recent].reason)
        self.assertEqual(lines[self.gone].reason, "Archived customer")
        self.assertFalse(self.env["loyalty.card"].search([("partner_id", "in", (self.wang | self.lake).ids)]))

    def test_issue_creates_coupons_and_texts_each_code(self):
        wizard = self._wizard(self.everyone)
        with self.mockSMSGateway():
            wizard.action_issue()
            self._send_queue()
        cards = self.env["loyalty.card"].search([("partner_id", "in", (self.wang | self.lake).ids)])
        self.assertEqual(len(cards), 2)
        self.assertEqual(set(cards.program_id.ids), {self.program.id})
        self.assertEqual(cards.mapped("expiration_date"), [fields.Date.today() + timedelta(days=30)] * 2)
        self.assertEqual(cards.mapped("points"), [1.0, 1.0])
        self.assertSMSIapSent(["+8613800138000", "+12065550134"])
        for card in cards:
            with self.subTest(customer=card.partner_id.name):
                number = "+8613800138000" if card.partner_id == self.wang else "+12065550134"
                sms = self._find_sms_sent(card.partner_id, number)
                self.assertIn(card.code, sms["body"])
                self.assertIn("valid until", sms["body"])
                self.assertIn("$ 50 on your order", sms["body"])
                message = self.env["mail.message"].search(
                    [("model", "=", "res.partner"), ("res_id", "=", card.partner_id.id), ("message_type", "=", "sms")]
                )
                self.assertIn(card.code, str(message.body))
        self.assertEqual((wizard.state, wizard.sent_count, wizard.failed_count, wizard.skip_count), ("done", 2, 0, 4))
        self.assertEqual(self._lines(wizard)[self.wang].card_id, cards.filtered(lambda c: c.partner_id == self.wang))
        self.assertEqual(self._profile(self.wang).last_coupon_date, fields.Date.today())
        actions = self.env["customer.abc.action"].search([("kind", "=", "coupon")])
        self.assertEqual(actions.loyalty_card_id, cards)
        # nothing for the skipped
        self.assertFalse(
            self.env["loyalty.card"].search([("partner_id", "in", (self.silent | self.wrong | self.gone).ids)])
        )

    def test_failed_sms_keeps_the_coupon_and_shows_on_the_chatter(self):
        wizard = self._wizard(self.wang | self.lake)
        with self.mockSMSGateway(nbr_t_error={"+12065550134": "credit"}):
            wizard.action_issue()
            self._send_queue()
        lines = self._lines(wizard)
        # both were queued when the wizard closed; the gateway refused one afterwards
        self.assertEqual((lines[self.wang].status, lines[self.lake].status), ("sent", "sent"))
        self.assertTrue(lines[self.lake].card_id, "the coupon stays")
        self.assertSMS(self.lake, "+12065550134", "error", failure_type="sms_credit")
        message = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.lake.id), ("message_type", "=", "sms")]
        )
        self.assertEqual(message.notification_ids.notification_status, "exception")

    def test_double_submit_and_cooldown(self):
        wizard = self._wizard(self.wang)
        with self.mockSMSGateway():
            wizard.action_issue()
            wizard.action_issue()
            self._send_queue()
        self.assertEqual(self.env["loyalty.card"].search_count([("partner_id", "=", self.wang.id)]), 1)
        self.assertSMSIapSent(["+8613800138000"])
        again = self._wizard(self.wang)
        self.assertEqual(self._lines(again)[self.wang].status, "skip")
        with self.mockSMSGateway():
            again.action_issue()
            self._send_queue()
        self.assertEqual(self.env["loyalty.card"].search_count([("partner_id", "=", self.wang.id)]), 1)

    def test_no_cooldown_when_set_to_zero(self):
        self.company.abc_coupon_cooldown_days = 0
        wizard = self._wizard(self.recent)
        self.assertEqual(self._lines(wizard)[self.recent].status, "send")

    def test_only_coupon_programs_of_the_company(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        foreign = (
            self.env["loyalty.program"]
            .with_context(default_program_type="coupons")
            .create({"name": "Foreign", "program_type": "coupons", "company_id": other.id})
        )
        promotion = self.env["loyalty.program"].create({"name": "Promo", "program_type": "promotion"})
        wizard = self._wizard(self.wang)
        allowed = self.env["loyalty.program"].search(wizard._program_domain())
        self.assertIn(self.program, allowed)
        self.assertNotIn(foreign, allowed)
        self.assertNotIn(promotion, allowed)
        for program in (foreign, promotion):
            with self.subTest(program=program.name):
                wizard = self._wizard(self.wang)
                wizard.program_id = program
                with self.assertRaises(UserError):
                    wizard.action_issue()
        self.assertFalse(self.env["loyalty.card"].search([("partner_id", "=", self.wang.id)]))

    def test_salesman_issues_coupons_to_his_customers(self):
        wizard = self._wizard(self.wang | self.lake, user=self.salesman, model="customer.abc.profile")
        self.assertEqual(wizard.partner_ids, self.wang | self.lake)
        with self.mockSMSGateway():
            wizard.with_user(self.salesman).action_issue()
            self._send_queue()
        self.assertEqual(self.env["loyalty.card"].search_count([("partner_id", "in", (self.wang | self.lake).ids)]), 2)
        message = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.wang.id), ("message_type", "=", "sms")]
        )
        self.assertEqual(message.author_id, self.salesman.partner_id)

    def test_one_click_program_for_managers_only(self):
        wizard = self._wizard(self.wang, user=self.manager)
        wizard = wizard.with_user(self.manager)
        wizard.write({"new_program_name": "Ten percent off", "new_discount_mode": "percent", "new_discount": 10})
        wizard.action_create_program()
        program = wizard.program_id
        self.assertEqual(
            (program.name, program.program_type, program.trigger), ("Ten percent off", "coupons", "with_code")
        )
        self.assertEqual((program.reward_ids.discount_mode, program.reward_ids.discount), ("percent", 10.0))
        self.assertFalse(program.communication_plan_ids, "no e-mail with a PDF")
        salesman_wizard = self._wizard(self.wang, user=self.salesman).with_user(self.salesman)
        with self.assertRaises(AccessError):
            salesman_wizard.action_create_program()
        wizard.write({"new_discount": 0})
        with self.assertRaises(UserError):
            wizard.action_create_program()

    def test_number_to_text_per_odoo_version(self):
        """Odoo 18: the mobile first, else the phone (a customer may have
        only one of them); Odoo 19 partners have one number, the phone."""
        cases = [
            # (partner values, number texted)
            ({"phone": "139 0013 9001"}, "+8613900139001"),
        ]
        if compat.PARTNER_HAS_MOBILE:
            cases += [
                ({"mobile": "138 0013 8001"}, "+8613800138001"),
                ({"mobile": "138 0013 8002", "phone": "139 0013 9002"}, "+8613800138002"),
            ]
        else:
            self.assertNotIn("mobile", self.env["res.partner"]._fields)
        for index, (values, expected) in enumerate(cases):
            with self.subTest(values=values):
                partner = self._customer(f"Numbers {index}", country_id=self.china.id, **values)
                line = self._lines(self._wizard(partner))[partner]
                self.assertEqual((line.status, line.number), ("send", expected))

    def test_one_click_program_without_the_product_privilege(self):
        """Odoo 19 moved product creation to the "Products: Create"
        privilege, which a plain sales manager lacks (on Odoo 18 sales
        managers create products).  The one-click program still works for
        him, and gives him no other product."""
        Product = self.env["product.product"].with_user(self.manager)
        may_create_products = Product.has_access("create")
        # Odoo 19's groups carry privileges; there the manager may not create products
        self.assertEqual(may_create_products, "privilege_id" not in self.env["res.groups"]._fields)
        if not may_create_products:
            with self.assertRaises(AccessError):
                Product.create({"name": "Not through the wizard"})
        wizard = self._wizard(self.wang, user=self.manager).with_user(self.manager)
        wizard.write({"new_program_name": "Fifty off", "new_discount_mode": "per_order", "new_discount": 50})
        wizard.action_create_program()
        product = wizard.program_id.reward_ids.discount_line_product_id
        self.assertEqual((len(product), product.type, product.create_uid), (1, "service", self.manager))
        with self.mockSMSGateway():
            wizard.action_issue()
        self.assertEqual(self._lines(wizard)[self.wang].card_id.program_id, wizard.program_id)
        # the wizard's context gives a salesman nothing
        with self.assertRaises(AccessError):
            self.env["loyalty.program"].with_user(self.salesman).with_context(customer_abc_program_wizard=True).create(
                {"name": "Not mine", "program_type": "coupons"}
            )

    def test_sms_in_the_customers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["customer_abc"], ["zh_CN"])
        self.wang.lang = "zh_CN"
        wizard = self._wizard(self.wang)
        with self.mockSMSGateway():
            wizard.action_issue()
            self._send_queue()
        sms = self._find_sms_sent(self.wang, "+8613800138000")
        self.assertIn("优惠券", sms["body"])
        self.assertIn(self._lines(wizard)[self.wang].code, sms["body"])

    def test_preview_shows_the_first_customers_message(self):
        wizard = self._wizard(self.everyone)
        first = wizard.line_ids.filtered(lambda line: line.status == "send")[:1]
        self.assertTrue(wizard.sms_preview.startswith(f"{first.partner_id.name}: your coupon 044"))
        self.assertIn("$ 50 on your order", wizard.sms_preview)
        self.assertIn(str(wizard.valid_until), wizard.sms_preview)
        self.assertNotIn("{{", wizard.sms_preview)
        self.assertFalse(self.env["loyalty.card"].search([("partner_id", "=", first.partner_id.id)]))
