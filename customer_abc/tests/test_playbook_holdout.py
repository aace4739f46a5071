"""The playbook's control group: who is held out of the follow-ups and the
coupons, what they get (nothing), how their outcome is measured, and the
uplift table that compares them with the treated customers."""

import json
import random
from datetime import date, timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, HttpCase, tagged

from odoo.addons.sms.tests.common import SMSCase

from .. import compat
from ..analytics import uplift
from .common import FEB, JAN, TODAY, AbcHelpers, CustomerAbcCase

#: the period key of the follow-ups graded in February 2024
FEB_KEY = "2024-02-01"


@tagged("post_install", "-at_install")
class TestPlaybookHoldout(SMSCase, CustomerAbcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Action = cls.env["customer.abc.action"]
        cls.visit = cls.env.ref("customer_abc.mail_activity_type_visit")
        cls.program = (
            cls.env["loyalty.program"]
            .with_context(default_program_type="coupons")
            .create(
                {
                    "name": "Control 50",
                    "program_type": "coupons",
                    "communication_plan_ids": [Command.clear()],
                    "reward_ids": [
                        Command.clear(),
                        Command.create({"reward_type": "discount", "discount_mode": "per_order", "discount": 50}),
                    ],
                }
            )
        )

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def _fallen(self, count, prefix):
        """``count`` customers of the salesman graded B in January and D in
        February (no order): each qualifies for a visit for February."""
        partners = self.env["res.partner"]
        for index in range(count):
            partner = self._customer(f"{prefix} {index}", user_id=self.salesman.id)
            self._order(partner, 60000.0, JAN + timedelta(days=3))
            partners |= partner
        return partners

    def _activities(self, partners):
        self.env["mail.activity"].flush_model()
        return (
            self.env["mail.activity"]
            .with_context(active_test=False)
            .search([("res_model", "=", "res.partner"), ("res_id", "in", partners.ids)])
        )

    def _followups(self, partners, period_start=FEB):
        return self.Action.search(
            [("partner_id", "in", partners.ids), ("source", "=", "followup"), ("period_start", "=", period_start)]
        )

    def _expected(self, partners, share, key=FEB_KEY):
        return partners.filtered(lambda p: uplift.holdout(self.company.id, p.id, key, share))

    def _texted(self, count, prefix):
        """``count`` customers of the salesman with a mobile number (Odoo 18)
        or phone (19) that may be texted, each with a February order."""
        number = compat.PARTNER_PHONE_FIELDS[0]
        china = self.env.ref("base.cn")
        partners = self.env["res.partner"]
        for index in range(count):
            partner = self._customer(
                f"{prefix} {index}",
                **{number: f"138 0013 {8000 + index}"},
                country_id=china.id,
                user_id=self.salesman.id,
            )
            self._order(partner, 5000.0, FEB + timedelta(days=2))
            partners |= partner
        return partners

    def _wizard(self, partners, holdout=False, pct=None):
        form = Form(
            self.env["customer.abc.coupon.wizard"].with_context(active_model="res.partner", active_ids=partners.ids)
        )
        form.program_id = self.program
        form.holdout = holdout
        if pct is not None:
            form.holdout_pct = pct
        return form.save()

    def _handcrafted(self, groups, company=None, day=date(2024, 1, 10), **extra):
        """Closed playbook rows: ``groups`` is ``{(kind, previous grade,
        group): (customers, won back, amount won per winner)}``."""
        company = company or self.company
        vals_list, outcomes = [], []
        for (kind, grade, group), (customers, won, amount) in groups.items():
            for index in range(customers):
                partner = self._customer(f"{kind} {grade} {group} {index}", user_id=self.salesman.id)
                vals_list.append(
                    {
                        "company_id": company.id,
                        "partner_id": partner.id,
                        "kind": kind,
                        "source": "coupon" if kind == "coupon" else "followup",
                        "group": group,
                        "date": day,
                        "user_id": self.salesman.id,
                        "previous_grade": grade,
                        "grade": "D",
                        "holdout_pct": 10.0,
                        **extra,
                    }
                )
                outcomes.append(amount if index < won else None)
        actions = self.Action._abc_log(vals_list)
        for action, amount in zip(actions, outcomes, strict=True):
            won = amount is not None
            action.sudo().write(
                {
                    "state": "won" if won else "lost",
                    "won_back": int(won),
                    "win_rate": 100.0 if won else 0.0,
                    "won_amount": amount or 0.0,
                }
            )
        return actions

    def _rows(self, data):
        return {(row["kind"], row["previous_grade"], row["is_total"]): row for row in data["rows"]}

    # ------------------------------------------------------------
    # follow-ups
    # ------------------------------------------------------------

    def test_followup_share_boundaries(self):
        cases = [
            # share (%), at least one held out, at least one treated
            (0.0, False, True),
            (10.0, None, True),
            (50.0, True, True),
        ]
        for share, some_held, some_treated in cases:
            # each case on a fresh database: the classification grades the customers' months once
            with self.subTest(share=share), self.env.cr.savepoint() as savepoint:
                self.company.abc_holdout_pct = share
                partners = self._fallen(30, f"Share {share}")
                self._classify()
                expected = self._expected(partners, share)
                actions = self._followups(partners)
                self.assertEqual(len(actions), 30, "one playbook row per qualifying customer, treated or not")
                held = actions.filtered(lambda a: a.group == "held_out")
                self.assertEqual(held.partner_id, expected)
                if share == 0:
                    self.assertFalse(held, "0 % holds nobody out")
                if some_held:
                    self.assertTrue(held)
                treated = actions - held
                self.assertEqual(bool(treated), some_treated)
                # held out: no activity at all; treated: one each
                self.assertFalse(self._activities(held.partner_id))
                self.assertEqual(
                    sorted(self._activities(treated.partner_id).mapped("res_id")), sorted(treated.partner_id.ids)
                )
                self.assertFalse(held.activity_id)
                for action in held:
                    # the same row as a treated follow-up, without the activity
                    self.assertEqual(
                        (action.kind, action.source, action.previous_grade, action.grade, action.user_id),
                        ("visit", "followup", "B", "D", self.salesman),
                    )
                    self.assertEqual((action.date, action.window_end), (TODAY, TODAY + timedelta(days=29)))
                    self.assertEqual(action.holdout_pct, share)
                self.assertEqual(set(treated.mapped("window_end")), {TODAY + timedelta(days=29)})
                self.assertEqual(set(treated.mapped("group")), {"treated"})
                self.env.flush_all()
                savepoint.rollback()

    def test_rerun_never_redraws_the_held_out(self):
        self.company.abc_holdout_pct = 50.0
        partners = self._fallen(20, "Rerun")
        self._classify()
        held = self._followups(partners).filtered(lambda a: a.group == "held_out")
        self.assertTrue(held)
        profiles = self.env["customer.abc.profile"].search([("partner_id", "in", held.partner_id.ids)])
        self.assertEqual(set(profiles.mapped("followup_period_start")), {FEB}, "locked for the period")
        # rerun, even with no control group any more: nobody of the period is drawn again or treated
        self.company.abc_holdout_pct = 0.0
        self._classify()
        self._classify(today=TODAY + timedelta(days=1))
        self.assertEqual(len(self._followups(partners)), 20)
        self.assertFalse(self._activities(held.partner_id))
        self.assertEqual(self._followups(partners).filtered(lambda a: a.group == "held_out"), held)

    def test_draw_is_reproducible_and_independent_of_the_order(self):
        self.company.abc_holdout_pct = 10.0
        partners = self._fallen(40, "Order")
        ids = partners.ids
        draws = []
        for label, order in (("ascending", ids), ("descending", ids[::-1]), ("shuffled", random.sample(ids, len(ids)))):
            with self.subTest(label):
                draws.append(self.Action._followup_holdouts(self.company, order, FEB))
        self.assertEqual(draws[0], draws[1])
        self.assertEqual(draws[0], draws[2])
        self.assertEqual(draws[0], set(self._expected(partners, 10.0).ids))
        # a subset draws the same customers: the draw is per customer, not per batch
        self.assertEqual(self.Action._followup_holdouts(self.company, ids[:7], FEB), draws[0] & set(ids[:7]))
        self.assertEqual(self.Action._followup_holdouts(self.company, ids, FEB.replace(month=3)),
                         set(self._expected(partners, 10.0, "2024-03-01").ids))  # fmt: skip
        self.company.abc_holdout_pct = 0.0
        self.assertEqual(self.Action._followup_holdouts(self.company, ids, FEB), set())

    def test_held_out_outcomes_are_evaluated(self):
        self.company.abc_holdout_pct = 50.0
        partners = self._fallen(20, "Outcome")
        self._classify()  # follow-ups dated 2024-03-15, window until 2024-04-13
        actions = self._followups(partners)
        held = actions.filtered(lambda a: a.group == "held_out")
        treated = actions - held
        self.assertGreaterEqual(min(len(held), len(treated)), 2)
        comes_back, late = held[0], held[1]
        self._order(comes_back.partner_id, 700.0, date(2024, 3, 20))
        self._order(late.partner_id, 900.0, date(2024, 4, 14))  # one day after the window
        self._order(treated[0].partner_id, 300.0, date(2024, 4, 13))  # last day of the window
        self._classify(today=date(2024, 4, 20))
        actions.invalidate_recordset()
        self.assertEqual(
            (comes_back.state, comes_back.won_back, comes_back.won_amount, comes_back.first_order_date),
            ("won", 1, 700.0, date(2024, 3, 20)),
        )
        self.assertEqual((late.state, late.won_back, late.won_amount), ("lost", 0, 0.0))
        self.assertEqual((treated[0].state, treated[0].won_amount), ("won", 300.0))
        self.assertEqual(set((held - comes_back).mapped("state")), {"lost"})

    # ------------------------------------------------------------
    # the uplift table
    # ------------------------------------------------------------

    def test_uplift_table_by_hand(self):
        self._handcrafted(
            {
                # Newcombe 1998, example (a): 56 / 70 against 48 / 80
                ("visit", "B", "treated"): (70, 56, 100.0),
                ("visit", "B", "held_out"): (80, 48, 50.0),
                # a small group: 3 / 6 against 1 / 4
                ("call", "C", "treated"): (6, 3, 20.0),
                ("call", "C", "held_out"): (4, 1, 40.0),
            }
        )
        # left out: a visit logged by hand, a follow-up drawn without a control group, a running window
        self._handcrafted({("visit", "B", "treated"): (3, 3, 10.0)}, source="manual")
        self._handcrafted({("visit", "B", "treated"): (4, 4, 10.0)}, holdout_pct=0.0)
        self._handcrafted({("visit", "A", "held_out"): (2, 0, 0.0)}, day=fields.Date.context_today(self.Action))
        data = self.Action.with_user(self.manager).get_uplift_data()
        json.dumps(data, allow_nan=False)  # JSON-ready: no NaN, no numpy scalar
        self.assertEqual((data["currency_id"], data["running"], data["min_outcomes"]), (self.currency.id, 2, 5))
        rows = self._rows(data)
        self.assertEqual(
            list(rows),
            [("call", "C", False), ("call", None, True), ("visit", "B", False), ("visit", None, True)],
        )
        b = rows[("visit", "B", False)]
        self.assertEqual((b["treated"], b["held_out"], b["treated_wins"], b["held_out_wins"]), (70, 80, 56, 48))
        self.assertAlmostEqual(b["treated_rate_pct"], 80.0)  # 56 / 70
        self.assertAlmostEqual(b["held_out_rate_pct"], 60.0)  # 48 / 80
        self.assertAlmostEqual(b["uplift_pp"], 20.0)
        # Newcombe's hybrid score interval of example (a): 0.0524 to 0.3339
        self.assertEqual((round(b["ci_low_pp"], 2), round(b["ci_high_pp"], 2)), (5.24, 33.39))
        # 56 x 100.00 / 70 = 80.00 per treated customer; 48 x 50.00 / 80 = 30.00 per held-out one
        self.assertEqual((b["treated_amount"], b["held_out_amount"]), (5600.0, 2400.0))
        self.assertAlmostEqual(b["treated_amount_per_customer"], 80.0)
        self.assertAlmostEqual(b["held_out_amount_per_customer"], 30.0)
        self.assertAlmostEqual(b["amount_uplift_per_customer"], 50.0)
        self.assertEqual((b["enough"], b["verdict"], b["verdict_label"]), (True, "more", "Wins back more customers"))
        self.assertEqual((b["kind_label"], b["grade_label"]), ("Visit", "Was B"))
        c = rows[("call", "C", False)]
        self.assertAlmostEqual(c["treated_rate_pct"], 50.0)  # 3 / 6
        self.assertAlmostEqual(c["held_out_rate_pct"], 25.0)  # 1 / 4
        self.assertAlmostEqual(c["uplift_pp"], 25.0)
        # 3 x 20.00 / 6 = 10.00; 1 x 40.00 / 4 = 10.00
        self.assertEqual((c["treated_amount_per_customer"], c["held_out_amount_per_customer"]), (10.0, 10.0))
        self.assertEqual(c["amount_uplift_per_customer"], 0.0)
        self.assertFalse(c["enough"])
        self.assertEqual((c["verdict"], c["verdict_label"]), ("not_enough", "Not enough customers to conclude"))
        total = rows[("call", None, True)]
        self.assertEqual((total["grade_label"], total["treated"], total["held_out"]), ("All grades", 6, 4))

    def test_uplift_verdicts_and_empty_groups(self):
        cases = [
            # treated (customers, won), held out (customers, won), verdict
            ((20, 10), (20, 10), "unclear"),  # same rate: interval around 0
            ((20, 5), (20, 15), "fewer"),  # 25 % against 75 %: interval below 0
            ((10, 5), (10, 4), "not_enough"),  # 4 won among the held out: fewer than 5
            ((10, 5), (0, 0), "not_enough"),  # nobody held out: no comparison
        ]
        for index, (treated, held_out, verdict) in enumerate(cases):
            with self.subTest(treated=treated, held_out=held_out):
                kind_grade = ("visit", "ABCD"[index])
                groups = {(*kind_grade, "treated"): (*treated, 10.0)}
                if held_out[0]:
                    groups[(*kind_grade, "held_out")] = (*held_out, 10.0)
                self._handcrafted(groups)
                row = self._rows(self.Action.with_user(self.manager).get_uplift_data())[(*kind_grade, False)]
                self.assertEqual(row["verdict"], verdict)
                if not held_out[0]:
                    self.assertIsNone(row["held_out_rate_pct"])
                    self.assertIsNone(row["ci_low_pp"])
                    self.assertIsNone(row["held_out_amount_per_customer"])

    def test_uplift_is_for_managers_of_the_current_company(self):
        other = self.env["res.company"].create({"name": "Holdout Branch"})
        self._handcrafted({("visit", "B", "treated"): (2, 1, 10.0), ("visit", "B", "held_out"): (2, 0, 0.0)})
        self._handcrafted({("call", "C", "treated"): (3, 3, 10.0)}, company=other)
        # a salesman (even seeing all documents) may not read the uplift
        for user in (self.salesman, self.salesman_all):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.Action.with_user(user).get_uplift_data()
        # a manager sees the company he works in now, not the others
        rows = self._rows(self.Action.with_user(self.manager).get_uplift_data())
        self.assertEqual({key[0] for key in rows}, {"visit"})
        with self.assertRaises(AccessError):
            self.Action.with_user(self.manager).with_context(allowed_company_ids=[other.id]).get_uplift_data()
        self.manager.company_ids |= other
        both = self.Action.with_user(self.manager).with_context(allowed_company_ids=[other.id, self.company.id])
        data = both.get_uplift_data()
        self.assertEqual({key[0] for key in self._rows(data)}, {"call"})
        self.assertEqual(data["company"], "Holdout Branch")

    # ------------------------------------------------------------
    # coupons
    # ------------------------------------------------------------

    def test_coupon_holdout_off_by_default(self):
        partners = self._texted(6, "Default")
        wizard = self._wizard(partners)
        self.assertFalse(wizard.holdout)
        self.assertEqual((wizard.send_count, wizard.holdout_count), (6, 0))

    def test_coupon_holdout_gives_no_coupon_and_no_sms(self):
        partners = self._texted(16, "Coupon")
        wizard = self._wizard(partners, holdout=True, pct=50.0)
        key = f"coupon:{fields.Date.context_today(wizard):%Y-%m}"
        expected = self._expected(partners, 50.0, key)
        self.assertTrue(expected and expected != partners)
        lines = {line.partner_id: line for line in wizard.line_ids}
        for partner in partners:
            with self.subTest(partner=partner.name):
                line = lines[partner]
                if partner in expected:
                    self.assertEqual(line.status, "held_out")
                    self.assertEqual(line.reason, "Held out: control group of 50 %, no coupon and no SMS")
                else:
                    self.assertEqual(line.status, "send")
        self.assertEqual((wizard.send_count, wizard.holdout_count), (16 - len(expected), len(expected)))
        # the same draw whatever the order of the selection
        reversed_wizard = self._wizard(partners[::-1], holdout=True, pct=50.0)
        self.assertEqual(reversed_wizard.line_ids.filtered(lambda line: line.status == "held_out").partner_id, expected)
        treated = partners - expected
        numbers = [lines[partner].number for partner in treated]
        with self.mockSMSGateway():
            wizard.action_issue()
            self.env["sms.sms"].sudo().search([("state", "=", "outgoing")]).send()
        self.assertSMSIapSent(numbers)
        self.assertEqual(len(self._sms), len(treated), "no SMS for the held out")
        cards = self.env["loyalty.card"].search([("partner_id", "in", partners.ids)])
        self.assertEqual(cards.partner_id, treated)
        self.assertFalse(
            self.env["sms.sms"].sudo().search([("partner_id", "in", expected.ids)]),
        )
        self.assertFalse(
            self.env["mail.message"].search(
                [("model", "=", "res.partner"), ("res_id", "in", expected.ids), ("message_type", "=", "sms")]
            )
        )
        self.assertEqual({line.partner_id for line in wizard.line_ids if line.status == "held_out"}, set(expected))
        actions = self.Action.search([("partner_id", "in", partners.ids), ("kind", "=", "coupon")])
        held = actions.filtered(lambda a: a.group == "held_out")
        self.assertEqual(held.partner_id, expected)
        self.assertFalse(held.loyalty_card_id)
        self.assertEqual((actions - held).loyalty_card_id, cards)
        self.assertEqual(set(actions.mapped("window_end")), {fields.Date.context_today(wizard) + timedelta(days=29)})
        self.assertEqual(set(actions.mapped("holdout_pct")), {50.0})
        self.assertEqual(set(actions.mapped("previous_grade")), {False})  # no order before February
        # a second wizard does not give the held out a coupon while they are measured
        again = self._wizard(expected)
        self.assertEqual(set(again.line_ids.mapped("status")), {"skip"})
        self.assertIn("Held out of the coupons on", again.line_ids[0].reason)
        # their outcome is measured like the coupons'
        self._order(held[0].partner_id, 250.0, fields.Date.context_today(wizard))
        today = fields.Date.context_today(wizard)
        self.Action._abc_evaluate(self.company, today, self.env["sale.report"]._get_done_states(), "UTC")
        held.invalidate_recordset()
        self.assertEqual((held[0].state, held[0].won_amount), ("won", 250.0))
        self.assertEqual(set((held - held[0]).mapped("state")), {"open"})

    def test_coupon_holdout_share_is_validated(self):
        partners = self._texted(2, "Share")
        for pct in (0.0, 50.01, 80.0):
            with self.subTest(pct=pct), self.assertRaises(ValidationError):
                self._wizard(partners, holdout=True, pct=pct)
        self.assertEqual(self._wizard(partners, holdout=True, pct=50.0).holdout_pct, 50.0)


@tagged("post_install", "-at_install")
class TestPlaybookHoldoutScreen(AbcHelpers, HttpCase):
    """The uplift screen in a real browser: it renders the server's table and
    opens the actions behind a row."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._abc_fixtures()
        vals_list = []
        for group, customers, won in (("treated", 14, 12), ("held_out", 12, 5)):
            for index in range(customers):
                partner = cls._customer(f"Screen {group} {index}", user_id=cls.salesman.id)
                vals_list.append(
                    {
                        "company_id": cls.company.id,
                        "partner_id": partner.id,
                        "kind": "visit",
                        "source": "followup",
                        "group": group,
                        "date": date(2024, 1, 10),
                        "previous_grade": "B",
                        "grade": "D",
                        "holdout_pct": 10.0,
                        "won_back": int(index < won),
                        "win_rate": 100.0 if index < won else 0.0,
                        "won_amount": 100.0 if index < won else 0.0,
                        "state": "won" if index < won else "lost",
                    }
                )
        cls.env["customer.abc.action"]._abc_log(vals_list)

    def test_uplift_screen_renders_the_table(self):
        code = """
            const wait = (selector) => new Promise((resolve, reject) => {
                let tries = 0;
                const timer = setInterval(() => {
                    const element = document.querySelector(selector);
                    if (element) {
                        clearInterval(timer);
                        resolve(element);
                    } else if (++tries > 300) {
                        clearInterval(timer);
                        reject(new Error("not found: " + selector));
                    }
                }, 50);
            });
            (async () => {
                await wait(".o_abc_uplift_table");
                const rows = document.querySelectorAll(".o_abc_uplift_table tbody tr");
                if (rows.length !== 2) {
                    throw new Error("expected the B row and the total, got " + rows.length);
                }
                const text = rows[0].textContent;
                for (const expected of ["Visit", "Was B", "14", "12", "85.7", "41.7", "+44.0"]) {
                    if (!text.includes(expected)) {
                        throw new Error(expected + " missing in " + text);
                    }
                }
                if (!rows[0].querySelector('.o_abc_uplift_verdict[data-verdict="not_enough"]')) {
                    throw new Error("5 held-out customers won back and 7 not: not enough to conclude");
                }
                rows[0].querySelector(".o_abc_uplift_open").click();
                await wait(".o_list_renderer");
                console.log("test successful");
            })().catch((error) => console.error(error.message));
        """
        self.browser_js("/odoo/playbook-uplift", code, ready="", login="abc_manager")
