"""The playbook: strategies per grade, follow-ups when a customer falls to
D, logged visits, and whether each action won the customer back."""

from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged

from .common import JAN, TODAY, CustomerAbcCase


@tagged("post_install", "-at_install")
class TestStrategies(CustomerAbcCase):
    def test_default_and_custom_strategy_per_grade(self):
        partners = {}
        for grade, amount in (("A", 120000.0), ("B", 60000.0), ("C", 20000.0), ("D", 500.0)):
            partners[grade] = self._customer(f"Strategy {grade}")
            self._order(partners[grade], amount, date(2024, 2, 3))
        self._classify()
        expected = {"A": "Keep", "B": "Grow", "C": "Convert", "D": "Win back"}
        for grade, partner in partners.items():
            with self.subTest(grade=grade):
                self.assertTrue(self._profile(partner).strategy.startswith(expected[grade]))
                self.assertTrue(partner.abc_strategy.startswith(expected[grade]))
        self.company.abc_strategy_b = "Offer the full catalogue"
        self._profile(partners["B"]).invalidate_recordset(["strategy"])
        self.assertEqual(self._profile(partners["B"]).strategy, "Offer the full catalogue")

    def test_default_strategies_are_translated(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        texts = self.company.with_context(lang="zh_CN")._abc_default_strategies()
        for grade, text in texts.items():
            with self.subTest(grade=grade):
                self.assertTrue(any("\u4e00" <= char <= "\u9fff" for char in text), text)


@tagged("post_install", "-at_install")
class TestFollowups(CustomerAbcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.visit = cls.env.ref("customer_abc.mail_activity_type_visit")
        cls.call = cls.env.ref("mail.mail_activity_data_call")

    def _activities(self, partner):
        return self.env["mail.activity"].search([("res_model", "=", "res.partner"), ("res_id", "=", partner.id)])

    def _fall_to_d(self, name, january, **vals):
        partner = self._customer(name, user_id=vals.pop("user_id", self.salesman.id), **vals)
        if january:
            self._order(partner, january, date(2024, 1, 10))
        return partner

    def test_follow_up_kind_follows_the_previous_grade(self):
        cases = [
            # name, January amount, expected activity type (None: no follow-up)
            ("was A", 120000.0, "visit"),
            ("was B", 60000.0, "visit"),
            ("was C", 20000.0, "call"),
            ("was D", 500.0, "call"),
        ]
        partners = {name: self._fall_to_d(name, january) for name, january, _kind in cases}
        stays_c = self._customer("stays C", user_id=self.salesman.id)
        self._order(stays_c, 20000.0, date(2024, 1, 10))
        self._order(stays_c, 20000.0, date(2024, 2, 10))
        newcomer = self._customer("new and small", user_id=self.salesman.id)
        self._order(newcomer, 100.0, date(2024, 2, 10))
        self._classify()
        for name, _january, kind in cases:
            with self.subTest(name):
                activity = self._activities(partners[name])
                self.assertEqual(len(activity), 1)
                self.assertEqual(activity.activity_type_id, self.visit if kind == "visit" else self.call)
                self.assertEqual(activity.user_id, self.salesman)
                self.assertTrue(activity.automated)
                note = str(activity.note)
                self.assertIn("2024-02", note)
                self.assertIn("Last order: 2024-01-10", note)
                self.assertIn(f"Grade {self._profile(partners[name]).previous_grade} ", note)
                action = self.env["customer.abc.action"].search([("activity_id", "=", activity.id)])
                previous = self._profile(partners[name]).previous_grade
                self.assertEqual((action.kind, action.source, action.previous_grade), (kind, "followup", previous))
        self.assertFalse(self._activities(stays_c))
        self.assertFalse(self._activities(newcomer), "no grade before: not a fall")

    def test_assignee_falls_back_to_the_team_leader_then_the_company_user(self):
        leader = new_test_user(self.env, login="abc_leader", groups="sales_team.group_sale_manager", name="Leader")
        team = self.env["crm.team"].create({"name": "North", "user_id": leader.id})
        fallback = new_test_user(
            self.env, login="abc_fallback", groups="sales_team.group_sale_salesman", name="Fallback"
        )
        self.company.abc_followup_user_id = fallback
        own = self._fall_to_d("has a rep", 60000.0)
        teamed = self._fall_to_d("team only", 60000.0, user_id=False)
        teamed.sale_order_ids.write({"team_id": team.id})
        orphan = self._fall_to_d("nobody", 60000.0, user_id=False)
        orphan.sale_order_ids.write({"team_id": False})
        self._classify()
        self.assertEqual(self._activities(own).user_id, self.salesman)
        self.assertEqual(self._activities(teamed).user_id, leader)
        self.assertEqual(self._activities(orphan).user_id, fallback)

    def test_no_assignee_no_follow_up(self):
        orphan = self._fall_to_d("truly nobody", 60000.0, user_id=False)
        orphan.sale_order_ids.write({"team_id": False})
        self._classify()
        self.assertFalse(self._activities(orphan))

    def test_rerun_creates_nothing_new(self):
        partner = self._fall_to_d("rerun", 60000.0)
        self._classify()
        self._classify()
        self.assertEqual(len(self._activities(partner)), 1)
        # even when the follow-up is done, the same period does not schedule another
        self._activities(partner).action_feedback(feedback="Visited")
        self._classify()
        self.assertFalse(self._activities(partner).filtered("active"))
        self.assertEqual(self.env["customer.abc.action"].search_count([("partner_id", "=", partner.id)]), 1)

    def test_never_two_open_follow_ups_of_the_same_kind(self):
        partner = self._fall_to_d("already called", 500.0)
        partner.activity_schedule("mail.mail_activity_data_call", summary="Call them", user_id=self.salesman.id)
        self._classify()
        self.assertEqual(len(self._activities(partner)), 1)
        # next period: still D after D, the open call still stands
        self._classify(today=date(2024, 4, 2))
        self.assertEqual(len(self._activities(partner)), 1)
        # once it is done, the next period schedules a new call
        self._activities(partner).action_feedback(feedback="No answer")
        self._classify(today=date(2024, 5, 2))
        self.assertEqual(self._activities(partner).activity_type_id, self.call)

    def test_switched_off(self):
        self.company.abc_followup = False
        partner = self._fall_to_d("quiet please", 60000.0)
        self._classify()
        self.assertFalse(self._activities(partner))

    def test_manual_override_is_respected(self):
        partner = self._fall_to_d("overridden", 60000.0)
        self._classify(today=date(2024, 2, 15))  # January graded: B
        profile = self._profile(partner)
        profile.write({"manual_grade": "B", "manual_reason": "Seasonal buyer"})
        self._classify()
        self.assertEqual(profile.grade, "B")
        self.assertFalse(self._activities(partner))

    def test_follow_up_note_in_the_salespersons_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["customer_abc"], ["zh_CN"])
        self.salesman.lang = "zh_CN"
        partner = self._fall_to_d("Chinese rep", 60000.0)
        self._classify()
        activity = self._activities(partner)
        self.assertTrue(any("\u4e00" <= char <= "\u9fff" for char in str(activity.note)), activity.note)


@tagged("post_install", "-at_install")
class TestVisits(CustomerAbcCase):
    def test_log_a_visit_yesterday(self):
        partner = self._customer("Shop Owner", user_id=self.salesman.id)
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": partner.id})
        self._order(partner, 500.0, date(2024, 2, 3))
        self._classify()
        today = date.today()
        wizard_form = Form(
            self.env["customer.abc.visit.wizard"]
            .with_user(self.salesman)
            .with_context(active_model="res.partner", active_id=contact.id)
        )
        self.assertEqual(wizard_form.partner_id, partner)
        wizard_form.visit_date = today - timedelta(days=1)
        wizard_form.note = "Talked about the spring range"
        wizard_form.save().action_log()
        self.assertEqual(self._profile(partner).last_visit_date, today - timedelta(days=1))
        visit = self.env.ref("customer_abc.mail_activity_type_visit")
        message = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", partner.id), ("mail_activity_type_id", "=", visit.id)]
        )
        self.assertEqual(len(message), 1)
        self.assertEqual(message.date.date(), today - timedelta(days=1))
        self.assertIn("spring range", str(message.body))
        action = self.env["customer.abc.action"].search([("partner_id", "=", partner.id)])
        self.assertEqual((action.kind, action.source, action.user_id), ("visit", "manual", self.salesman))
        # the nightly pass agrees with what the wizard wrote
        self._classify(today=today)
        self.assertEqual(self._profile(partner).last_visit_date, today - timedelta(days=1))

    def test_a_visit_cannot_be_in_the_future(self):
        partner = self._customer("Later")
        with self.assertRaises(UserError):
            self.env["customer.abc.visit.wizard"].create(
                {"partner_id": partner.id, "visit_date": date.today() + timedelta(days=1)}
            )

    def test_done_follow_up_visit_counts_at_once(self):
        partner = self._customer("Visit Me", user_id=self.salesman.id)
        self._order(partner, 60000.0, JAN + timedelta(days=3))
        self._classify()
        activity = self.env["mail.activity"].search([("res_model", "=", "res.partner"), ("res_id", "=", partner.id)])
        with freeze_time("2024-03-16 10:00:00"):
            activity.with_user(self.salesman).action_feedback(feedback="Went there")
        self.assertEqual(self._profile(partner).last_visit_date, date(2024, 3, 16))
        action = self.env["customer.abc.action"].search([("partner_id", "=", partner.id)])
        self.assertEqual(action.done_date, date(2024, 3, 16))
        self.assertTrue(activity.exists() and not activity.active, "visits are kept when done")


@tagged("post_install", "-at_install")
class TestResults(CustomerAbcCase):
    def test_win_back_within_the_window(self):
        self.company.abc_winback_days = 30
        won = self._customer("Comes Back", user_id=self.salesman.id)
        lost = self._customer("Stays Away", user_id=self.salesman.id)
        late = self._customer("Too Late", user_id=self.salesman.id)
        for partner in (won, lost, late):
            self._order(partner, 60000.0, JAN + timedelta(days=5))
        self._classify()  # follow-ups dated TODAY (2024-03-15), window until 2024-04-13
        self._order(won, 1000.0, date(2024, 3, 20))
        self._order(won, 234.56, date(2024, 4, 13))  # last day of the window
        self._order(late, 5000.0, date(2024, 4, 14))  # one day after
        self._classify(today=date(2024, 3, 25))
        actions = {
            action.partner_id: action
            for action in self.env["customer.abc.action"].search([("partner_id", "in", (won | lost | late).ids)])
        }
        self.assertEqual(actions[won].state, "won")
        self.assertEqual(actions[lost].state, "open")
        self._classify(today=date(2024, 4, 20))
        for partner, action in actions.items():
            action.invalidate_recordset()
            self.assertEqual(action.window_end, date(2024, 4, 13), partner.name)
        self.assertEqual(
            (actions[won].state, actions[won].won_back, actions[won].win_rate, actions[won].won_order_count),
            ("won", 1, 100.0, 2),
        )
        self.assertAlmostEqual(actions[won].won_amount, 1234.56)
        self.assertEqual(actions[won].first_order_date, date(2024, 3, 20))
        self.assertEqual((actions[lost].state, actions[lost].won_back, actions[lost].won_amount), ("lost", 0, 0.0))
        self.assertEqual(actions[late].state, "lost")
        # the results view: by kind, with win-back rate as an average
        groups = self.env["customer.abc.action"]._read_group(
            [("partner_id", "in", (won | lost | late).ids), ("date", "=", TODAY)],
            ["kind"],
            ["__count", "won_back:sum", "win_rate:avg", "won_amount:sum"],
        )
        kind, count, won_back, rate, amount = groups[0]
        self.assertEqual((kind, count, won_back), ("visit", 3, 1))
        self.assertAlmostEqual(rate, 100.0 / 3)
        self.assertAlmostEqual(amount, 1234.56)

    def test_salesman_sees_his_own_results(self):
        mine = self._customer("Mine", user_id=self.salesman.id)
        theirs = self._customer("Theirs", user_id=self.manager.id)
        for partner in (mine, theirs):
            self._order(partner, 60000.0, JAN + timedelta(days=5))
        self._classify()
        visible = self.env["customer.abc.action"].with_user(self.salesman).search([])
        self.assertIn(mine, visible.partner_id)
        self.assertNotIn(theirs, visible.partner_id)
        self.assertIn(theirs, self.env["customer.abc.action"].with_user(self.manager).search([]).partner_id)

    def test_old_unsettled_actions_are_settled(self):
        partner = self._customer("Logged Long Ago", user_id=self.salesman.id)
        self._order(partner, 700.0, date(2023, 11, 20))
        actions = self.env["customer.abc.action"]._abc_log(
            [
                {
                    "company_id": self.company.id,
                    "partner_id": partner.id,
                    "kind": kind,
                    "source": "manual",
                    "date": day,
                    "user_id": self.salesman.id,
                }
                for kind, day in (("visit", date(2023, 11, 1)), ("call", date(2023, 12, 1)))
            ]
        )
        self._classify()
        self.assertEqual(actions.mapped("state"), ["won", "lost"])
        self.assertEqual(actions.mapped("won_amount"), [700.0, 0.0])
