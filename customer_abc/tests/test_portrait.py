"""The portrait of one customer, on hand-checked orders.

The company runs on Shanghai time (UTC+8); "today" is 2024-03-15.  Portrait
Co and its contact Buyer Li ordered, untaxed, in USD unless said otherwise:

===== ================ ========= ============================================
order local date       weekday   lines
===== ================ ========= ============================================
O1    2023-08-15       Tuesday   Tea x1 @100
O2    2023-09-15 04:00 Friday    Coffee x2 @50, Tea x1 @100  (Thursday in UTC)
O3    2023-10-10       Tuesday   Biscuit x1 @200, Coffee x1 @50, Tea x1 @100
O4    2023-11-07       Tuesday   Coffee x1 @50, Tea x1 @100
O5    2023-12-05       Tuesday   Biscuit x1 @200, Coffee x1 @50
O6    2024-01-09       Tuesday   by Buyer Li, in EUR at 0.5 EUR/USD: Coffee @25 EUR, Cake @150 EUR
O7    2024-02-06       Tuesday   Biscuit @200, Coffee @50, Cake @300, a section, a -50 reward line
O8    2024-03-04       Monday    Coffee @50, a down payment line
===== ================ ========= ============================================

Not counted: a quotation (Tea, March), a cancelled order and an order of
another company (Biscuit, March).  Biscuit and Coffee are in the category
"Pantry", Cake and Tea in "Treats".
"""

from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import TODAY, CustomerAbcCase


@tagged("post_install", "-at_install")
class TestPortrait(CustomerAbcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Asia/Shanghai"
        pantry = cls.env["product.category"].create({"name": "Pantry"})
        treats = cls.env["product.category"].create({"name": "Treats"})

        def product(name, category):
            return cls.env["product.product"].create(
                {"name": name, "type": "consu", "categ_id": category.id, "taxes_id": [Command.clear()]}
            )

        cls.biscuit = product("Biscuit", pantry)
        cls.coffee = product("Coffee", pantry)
        cls.cake = product("Cake", treats)
        cls.tea = product("Tea", treats)
        cls.pantry, cls.treats = pantry, treats
        cls.down_payment = cls.env["product.product"].create({"name": "Down payment", "type": "service"})
        program = cls.env["loyalty.program"].create(
            {
                "name": "Ten off",
                "program_type": "promotion",
                "trigger": "auto",
                "applies_on": "current",
                "reward_ids": [Command.create({"reward_type": "discount", "discount": 10, "discount_mode": "percent"})],
            }
        )
        cls.reward = program.reward_ids
        eur = cls.env.ref("base.EUR")
        eur.active = True
        cls.env["res.currency.rate"].create(
            {"currency_id": eur.id, "name": "2023-01-01", "rate": 0.5, "company_id": cls.company.id}
        )
        cls.eur_pricelist = cls.env["product.pricelist"].create({"name": "EUR", "currency_id": eur.id})

        cls.customer = cls._customer("Portrait Co", user_id=cls.salesman.id)
        cls.buyer = cls.env["res.partner"].create({"name": "Buyer Li", "parent_id": cls.customer.id, "type": "contact"})
        B, C, K, T = cls.biscuit, cls.coffee, cls.cake, cls.tea
        cls.orders = {
            "O1": cls._lines_order(cls.customer, datetime(2023, 8, 15, 3), [(T, 1, 100)]),
            "O2": cls._lines_order(cls.customer, datetime(2023, 9, 14, 20), [(C, 2, 50), (T, 1, 100)]),
            "O3": cls._lines_order(cls.customer, datetime(2023, 10, 10, 3), [(B, 1, 200), (C, 1, 50), (T, 1, 100)]),
            "O4": cls._lines_order(cls.customer, datetime(2023, 11, 7, 3), [(C, 1, 50), (T, 1, 100)]),
            "O5": cls._lines_order(cls.customer, datetime(2023, 12, 5, 3), [(B, 1, 200), (C, 1, 50)]),
            "O6": cls._lines_order(
                cls.buyer, datetime(2024, 1, 9, 3), [(C, 1, 25), (K, 1, 150)], pricelist=cls.eur_pricelist
            ),
            "O7": cls._lines_order(
                cls.customer,
                datetime(2024, 2, 6, 3),
                [(B, 1, 200), (C, 1, 50), (K, 1, 300)],
                extra=[{"display_type": "line_section", "name": "Winter goods"}],
                after=[
                    {
                        "product_id": cls.reward.discount_line_product_id.id,
                        "reward_id": cls.reward.id,
                        "name": "10% off",
                        "product_uom_qty": 1,
                        "price_unit": -50.0,
                        cls.line_taxes: False,
                    }
                ],
            ),
            "O8": cls._lines_order(
                cls.customer,
                datetime(2024, 3, 4, 3),
                [(C, 1, 50)],
                after=[
                    {
                        "product_id": cls.down_payment.id,
                        "name": "Down payment",
                        "product_uom_qty": 0,
                        "price_unit": 100.0,
                        "is_downpayment": True,
                        cls.line_taxes: False,
                    }
                ],
            ),
        }
        cls._lines_order(cls.customer, datetime(2024, 3, 5, 3), [(T, 1, 100)], state="draft")
        cls._lines_order(cls.customer, datetime(2024, 3, 6, 3), [(B, 1, 200)], state="cancel")
        other = cls.env["res.company"].create({"name": "Other Trading"})
        cls._lines_order(cls.customer, datetime(2024, 3, 7, 3), [(B, 1, 200)], company=other)
        cls.env["customer.abc.profile"].classify(today=TODAY)

    @classmethod
    def _lines_order(cls, partner, when, lines, extra=(), after=(), state="sale", pricelist=None, company=None):
        """A confirmed order at ``when`` (UTC) with ``lines`` (product, qty,
        unit price), ``extra`` line values, and ``after`` lines added once
        confirmed (reward and down-payment lines are not chosen products)."""
        company = company or cls.env.company
        vals = {
            "partner_id": partner.id,
            "company_id": company.id,
            "order_line": [
                Command.create(
                    {"product_id": product.id, "product_uom_qty": qty, "price_unit": price, cls.line_taxes: False}
                )
                for product, qty, price in lines
            ]
            + [Command.create(values) for values in extra],
        }
        if pricelist:
            vals["pricelist_id"] = pricelist.id
        order = cls.env["sale.order"].with_company(company).create(vals)
        if state in ("sale", "cancel"):
            order.action_confirm()
        if after:
            order.write({"order_line": [Command.create(values) for values in after]})
        if state == "cancel":
            order._action_cancel()
        order.date_order = when
        return order

    def _portrait(self, partner=None, user=None):
        Cockpit = self.env["customer.abc.cockpit"]
        if user:
            Cockpit = Cockpit.with_user(user)
        with freeze_time("2024-03-15 06:00:00"):
            return Cockpit.get_portrait_data((partner or self.customer).id)

    def test_fixtures(self):
        self.assertAlmostEqual(self.orders["O6"].currency_rate, 0.5)
        self.assertEqual(self.orders["O7"].amount_untaxed, 500.0)
        self.assertTrue(self.orders["O7"].order_line.filtered("reward_id").is_reward_line)

    def test_kpis(self):
        data = self._portrait()
        self.assertFalse(data["missing"])
        self.assertEqual(data["today"], "2024-03-15")
        kpis = data["kpis"]
        # 100 + 200 + 350 + 150 + 250 + 350 + 500 + 50; 8 orders from August to March (8 months)
        self.assertAlmostEqual(kpis["lifetime_amount"], 1950.0)
        self.assertEqual(kpis["lifetime_orders"], 8)
        self.assertAlmostEqual(kpis["average_order_value"], 243.75)
        self.assertEqual(kpis["months_active"], 8)
        self.assertAlmostEqual(kpis["orders_per_month"], 1.0)
        # gaps 31, 25, 28, 28, 35, 28, 27 days
        self.assertEqual(kpis["median_gap_days"], 28.0)
        self.assertEqual(kpis["days_since_last_order"], 11)
        self.assertEqual(kpis["first_order_date"], "2023-08-15")
        self.assertEqual(kpis["last_order_date"], "2024-03-04")
        self.assertEqual((kpis["grade"], kpis["previous_grade"], kpis["grade_change"]), ("D", "D", "same"))
        self.assertEqual(kpis["lifecycle"], "active")
        self.assertEqual(kpis["lifecycle_label"], "Active")
        self.assertTrue(kpis["playbook"])
        self.assertEqual(kpis["graded_period"], {"start": "2024-02-01", "end": "2024-03-01", "kind": "month"})
        profile = self._profile(self.customer)
        self.assertAlmostEqual(kpis["lifetime_amount"], profile.lifetime_amount)
        # the nightly pass keeps the same median gap (the customer's rhythm)
        self.assertEqual(profile.median_gap_days, kpis["median_gap_days"])
        self.assertEqual(data["partner"]["profile_id"], profile.id)
        self.assertEqual(data["partner"]["salesperson"], "Own Rep")

    def test_monthly_series(self):
        monthly = self._portrait()["monthly"]
        self.assertEqual(len(monthly["months"]), 24)
        self.assertEqual((monthly["months"][0], monthly["months"][-1]), ("2022-04-01", "2024-03-01"))
        self.assertEqual(monthly["amounts"], [0.0] * 16 + [100.0, 200.0, 350.0, 150.0, 250.0, 350.0, 500.0, 50.0])
        self.assertEqual(monthly["counts"], [0] * 16 + [1] * 8)

    def test_weekdays_in_the_company_timezone(self):
        weekdays = self._portrait()["weekdays"]
        # O2 is a Thursday evening in UTC, a Friday morning in Shanghai
        self.assertEqual(weekdays["counts"], [1, 6, 0, 0, 1, 0, 0])
        self.assertEqual(weekdays["amounts"][4], 200.0)

    def test_preferences_leave_out_reward_down_payment_and_section_lines(self):
        data = self._portrait()
        products = [
            (row["id"], row["amount"], row["qty"], row["days"], row["share_pct"]) for row in data["products"]["rows"]
        ]
        self.assertEqual(
            products,
            [
                (self.biscuit.id, 600.0, 3.0, 3, 30.0),
                (self.cake.id, 600.0, 2.0, 2, 30.0),
                (self.coffee.id, 400.0, 8.0, 7, 20.0),
                (self.tea.id, 400.0, 4.0, 4, 20.0),
            ],
        )
        self.assertEqual(data["products"]["rows"][0]["name"], "Biscuit")
        categories = [(row["id"], row["amount"], row["share_pct"]) for row in data["categories"]["rows"]]
        self.assertEqual(categories, [(self.pantry.id, 1000.0, 50.0), (self.treats.id, 1000.0, 50.0)])
        self.assertEqual(data["products"]["other_amount"], 0.0)

    def test_usual_items_not_bought_this_period(self):
        data = self._portrait()
        # last 6 completed months: September to February; running: March.  Biscuit: October, December,
        # February; Tea: September, October, November (August is older).  Coffee was bought in March,
        # Cake in two months only.
        items = [(row["product_id"], row["periods"], row["amount"], row["last_date"]) for row in data["usual_items"]]
        self.assertEqual(
            items,
            [(self.biscuit.id, 3, 600.0, "2024-02-06"), (self.tea.id, 3, 300.0, "2023-11-07")],
        )
        self.assertEqual(
            data["usual_periods"]["current"], {"start": "2024-03-01", "end": "2024-04-01", "kind": "month"}
        )
        self.assertEqual(data["usual_periods"]["completed"][0]["start"], "2023-09-01")

    def test_usual_items_by_quarter(self):
        self.company.abc_period = "quarter"
        items = self._portrait()["usual_items"]
        # quarters Q3 2022 .. Q4 2023 completed, Q1 2024 running: nothing was bought in 3 of them and not now
        self.assertEqual(items, [])
        self.assertEqual(self._portrait()["usual_periods"]["current"]["kind"], "quarter")

    def test_grade_history(self):
        history = self._portrait()["history"]
        self.assertEqual([(row["start"], row["grade"], row["amount"]) for row in history],
                         [("2024-01-01", "D", 350.0), ("2024-02-01", "D", 500.0)])  # fmt: skip

    def test_a_contact_opens_the_portrait_of_its_company(self):
        data = self._portrait(self.buyer)
        self.assertEqual(data["partner"]["id"], self.customer.id)
        action = self.buyer.action_abc_open_portrait()
        self.assertEqual(action["tag"], "customer_abc.portrait")
        self.assertEqual(action["params"], {"partner_id": self.customer.id})
        action = self._profile(self.customer).action_open_portrait()
        self.assertEqual(action["params"], {"partner_id": self.customer.id})

    def test_salesman_sees_only_the_orders_he_may_read(self):
        self.orders["O8"].user_id = self.manager
        kpis = self._portrait(user=self.salesman)["kpis"]
        self.assertEqual(kpis["lifetime_orders"], 7)
        self.assertAlmostEqual(kpis["lifetime_amount"], 1900.0)
        self.assertEqual(kpis["grade"], "D")
        self.assertEqual(self._portrait(user=self.manager)["kpis"]["lifetime_orders"], 8)

    def test_user_without_sales_rights_is_refused(self):
        outsider = new_test_user(self.env, login="abc_outsider", groups="base.group_user")
        with self.assertRaises(AccessError):
            self._portrait(user=outsider)

    def test_customer_without_orders_and_unknown_customer(self):
        newcomer = self._customer("Newcomer")
        data = self._portrait(newcomer)
        self.assertEqual(data["kpis"]["lifetime_orders"], 0)
        self.assertFalse(data["kpis"]["days_since_last_order"])
        self.assertFalse(data["kpis"]["median_gap_days"])
        self.assertEqual(data["monthly"]["counts"], [0] * 24)
        self.assertEqual(data["products"]["rows"], [])
        self.assertEqual(data["usual_items"], [])
        self.assertEqual(data["history"], [])
        self.assertTrue(self.env["customer.abc.cockpit"].get_portrait_data(999999999)["missing"])

    def test_days_since_last_order_follow_today(self):
        with freeze_time("2024-03-25 06:00:00"):
            kpis = self.env["customer.abc.cockpit"].get_portrait_data(self.customer.id)["kpis"]
        self.assertEqual(kpis["days_since_last_order"], (date(2024, 3, 25) - date(2024, 3, 4)).days)

    # ------------------------------------------------------------
    # RFM and next expected order (as of the last run, from the profile)
    # ------------------------------------------------------------

    def _write_profile(self, **vals):
        self._profile(self.customer).sudo().write(
            {
                "r_score": 4,
                "f_score": 5,
                "m_score": 3,
                "rfm_code": "453",
                "rfm_segment": "loyal",
                "rfm_frequency": 8,
                "rfm_monetary": 1950.0,
                "order_day_count": 8,
                "median_gap_days": 28.0,
                "gap_p25_days": 27.5,
                "gap_p75_days": 29.5,
                "expected_order_date": date(2024, 4, 1),
                **vals,
            }
        )

    def test_rfm_of_the_profile(self):
        self._write_profile()
        rfm = self._portrait()["kpis"]["rfm"]
        self.assertEqual(
            rfm,
            {
                "segment": "loyal",
                "segment_label": "Loyal",
                "code": "453",
                "r_score": 4,
                "f_score": 5,
                "m_score": 3,
                "frequency": 8,
                "monetary": 1950.0,
            },
        )
        self._write_profile(r_score=0, f_score=0, m_score=0, rfm_code=False, rfm_segment=False)
        rfm = self._portrait()["kpis"]["rfm"]
        self.assertEqual((rfm["segment"], rfm["segment_label"], rfm["code"], rfm["r_score"]), (False, "", "", 0))

    def test_next_expected_order(self):
        self._write_profile()
        # today 2024-03-15 (Shanghai), expected 2024-04-01: due in 17 days
        nxt = self._portrait()["kpis"]["next_order"]
        self.assertEqual(
            nxt,
            {
                "enough": True,
                "order_day_count": 8,
                "min_order_days": 3,
                "tolerance_days": 7,
                "expected_date": "2024-04-01",
                "median_gap_days": 28.0,
                "gap_p25_days": 27.5,
                "gap_p75_days": 29.5,
                "days_late": -17,
                "is_late": False,
            },
        )
        for expected, days_late, is_late in (
            (date(2024, 3, 8), 7, False),  # exactly at the tolerance: not late
            (date(2024, 3, 7), 8, True),
        ):
            with self.subTest(expected=expected):
                self._write_profile(expected_order_date=expected)
                nxt = self._portrait()["kpis"]["next_order"]
                self.assertEqual((nxt["days_late"], nxt["is_late"]), (days_late, is_late))

    def test_next_expected_order_needs_three_order_days(self):
        self._write_profile(order_day_count=2, expected_order_date=False, gap_p25_days=0.0, gap_p75_days=0.0)
        nxt = self._portrait()["kpis"]["next_order"]
        self.assertFalse(nxt["enough"])
        self.assertEqual(nxt["order_day_count"], 2)
        self.assertFalse(nxt["expected_date"])
        self.assertFalse(nxt["is_late"])
        newcomer = self._portrait(self._customer("Newcomer"))["kpis"]
        self.assertFalse(newcomer["next_order"]["enough"])
        self.assertEqual(newcomer["next_order"]["order_day_count"], 0)
        self.assertFalse(newcomer["rfm"]["segment"])
