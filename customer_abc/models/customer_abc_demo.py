import logging
import math
import random
from datetime import datetime, time, timedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL

from .. import compat
from ..analytics import uplift

_logger = logging.getLogger(__name__)

# city, state code (res.country.state of China), phone area
CN_CITIES = [
    ("上海", "沪"),
    ("北京", "京"),
    ("广州", "粤"),
    ("深圳", "粤"),
    ("杭州", "浙"),
    ("成都", "蜀"),
    ("武汉", "鄂"),
    ("南京", "苏"),
    ("苏州", "苏"),
    ("重庆", "渝"),
    ("天津", "津"),
    ("西安", "陕"),
]
CN_WORDS = [
    "华联",
    "恒信",
    "鑫源",
    "永辉",
    "金鹏",
    "嘉禾",
    "宏达",
    "瑞丰",
    "盛世",
    "百川",
    "同福",
    "万家",
    "福满",
    "新世纪",
]
CN_SUFFIXES = ["商贸有限公司", "食品批发部", "贸易有限公司", "便利连锁", "超市", "副食品商行"]
EN_WORDS = ["Northwind", "Harbor", "Summit", "Golden Gate", "Evergreen", "Bluewater", "Pioneer", "Maple", "Riverside"]
EN_SUFFIXES = ["Traders", "Foods", "Wholesale", "Distribution", "Grocers", "Supply Co."]
US_STATES = ["CA", "NY", "TX", "WA", "IL"]
CONTACT_NAMES = ["王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "Emily Stone", "Jack Miller", "Grace Lee"]

CATEGORIES = {
    "Beverages": [
        ("Green Tea 500ml x24", 72.0),
        ("Mineral Water 550ml x24", 36.0),
        ("Soy Milk 250ml x24", 58.0),
        ("Orange Juice 1L x12", 96.0),
    ],
    "Snacks": [
        ("Rice Crackers x20", 45.0),
        ("Sunflower Seeds 1kg", 32.0),
        ("Mooncake Gift Box", 168.0),
        ("Instant Noodles x24", 55.0),
    ],
    "Grain & Oil": [
        ("Jasmine Rice 25kg", 210.0),
        ("Peanut Oil 5L", 138.0),
        ("Wheat Flour 10kg", 66.0),
        ("Soy Sauce 1.9L x6", 84.0),
    ],
    "Household": [
        ("Laundry Detergent 3kg", 59.0),
        ("Tissue Paper x36", 78.0),
        ("Dish Soap 1.5L x6", 63.0),
        ("Toothpaste x12", 88.0),
    ],
}

# behaviour of a demo customer over the last two years
KINDS = [
    ("steady", 0.56),
    ("churned", 0.12),
    ("at_risk", 0.08),
    ("new", 0.06),
    ("surge", 0.09),
    ("plunge", 0.09),
]


class CustomerAbcDemo(models.AbstractModel):
    """Deterministic demo data: a customer book with two years of confirmed
    orders, dated relative to the day the demo data is loaded."""

    _name = "customer.abc.demo"
    _description = "Customer ABC demo data"

    @api.model
    def _generate_demo_data(self, customers=300, never=40, seed=42):
        rng = random.Random(seed)
        env = self.env(
            context=dict(
                self.env.context,
                tracking_disable=True,
                mail_create_nolog=True,
                mail_notrack=True,
                mail_create_nosubscribe=True,
            )
        )
        today = fields.Date.context_today(self)
        users = self._demo_salespeople(env)
        products = self._demo_products(env)
        partners = self._demo_customers(env, rng, customers + never, users)
        buyers, idle = partners[:customers], partners[customers:]
        orders = []
        for partner in buyers:
            orders.extend(self._demo_orders_of(rng, partner, products, today))
        Order = env["sale.order"]
        for start in range(0, len(orders), 500):
            # created as quotations, then confirmed in bulk: a line added to a
            # confirmed order would post a chatter message each
            Order.create(orders[start : start + 500]).write({"state": "sale"})
        buyers.write({"customer_rank": 1})
        idle.write({"customer_rank": 1})
        self._demo_receivables(env, rng, buyers, today)
        self._demo_visits(env, rng, buyers, users)
        cards = self._demo_coupons(env, rng, buyers, products)
        self._demo_playbook_history(env, rng, buyers, cards, products, today)
        _logger.info("customer_abc demo: %s customers, %s orders", len(partners), len(orders))

    # ------------------------------------------------------------
    # builders
    # ------------------------------------------------------------

    def _demo_receivables(self, env, rng, buyers, today):
        """Posted invoices: some overdue, some not yet due (needs a chart of accounts)."""
        journal = env["account.journal"].search([("type", "=", "sale"), ("company_id", "=", env.company.id)], limit=1)
        if not journal:
            return
        moves = []
        for index, partner in enumerate(buyers.filtered(lambda p: p.id % 7 == 0)):
            due = (
                today - timedelta(days=rng.randint(5, 120)) if index % 3 else today + timedelta(days=rng.randint(5, 40))
            )
            moves.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "journal_id": journal.id,
                    "invoice_date": due - timedelta(days=30),
                    "invoice_date_due": due,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Goods",
                                "quantity": 1,
                                "price_unit": round(rng.uniform(800, 25000), 2),
                                "tax_ids": False,
                            }
                        )
                    ],
                }
            )
        env["account.move"].create(moves).action_post()

    def _demo_visits(self, env, rng, buyers, users):
        """Done visits of the last two months, logged by the salespeople."""
        visit = env.ref("customer_abc.mail_activity_type_visit")
        now = fields.Datetime.now()
        for partner in buyers.filtered(lambda p: p.id % 5 == 0)[:40]:
            user = partner.user_id or users[0]
            activity = partner.activity_schedule(activity_type_id=visit.id, summary="Visit", user_id=user.id)
            activity.action_feedback(feedback="Visited the store, discussed the next order.")
            message = env["mail.message"].search(
                [("model", "=", "res.partner"), ("res_id", "=", partner.id), ("mail_activity_type_id", "=", visit.id)],
                limit=1,
                order="id desc",
            )
            message.date = now - timedelta(days=rng.randint(1, 60))
            # the playbook row of the visit (what the classification reads) on the same day
            day = message.date.date()
            env["customer.abc.action"].search([("activity_id", "=", activity.id)]).write(
                {
                    "date": day,
                    "done_date": day,
                    "window_end": day + timedelta(days=env.company.abc_winback_days - 1),
                }
            )

    def _demo_coupons(self, env, rng, buyers, products):
        """A win-back coupon program, and coupons already given to a few customers."""
        program = (
            env["loyalty.program"]
            .with_context(default_program_type="coupons")
            .create(
                {
                    "name": "Win-back coupon 50",
                    "program_type": "coupons",
                    "communication_plan_ids": [Command.clear()],
                    "reward_ids": [
                        Command.create({"reward_type": "discount", "discount": 50, "discount_mode": "per_order"})
                    ],
                }
            )
        )
        cards = env["loyalty.card"].create(
            [
                {"program_id": program.id, "partner_id": partner.id, "points": 1}
                for partner in buyers.filtered(lambda p: p.id % 13 == 0)
            ]
        )
        for card in cards:
            card.flush_recordset()
            env.cr.execute(
                SQL(
                    "UPDATE loyalty_card SET create_date = create_date - %s * interval '1 day' WHERE id = %s",
                    rng.randint(1, 90),
                    card.id,
                )
            )
        cards.invalidate_recordset(["create_date"])
        self._demo_redeem(env, rng, cards[::2], program.reward_ids[:1], products)
        return cards

    def _demo_redeem(self, env, rng, cards, reward, products):
        """Half of the coupons used within the win-back window: an order of
        the customer with the coupon's reward line, as the loyalty module
        records a redeemed coupon."""
        taxes = compat.order_line_taxes_field(env)
        values = []
        for card in cards:
            day = fields.Date.to_date(card.create_date) + timedelta(days=rng.randint(2, 20))
            if day > fields.Date.context_today(self):
                continue
            order = self._demo_order_values(rng, card.partner_id.id, products, day, rng.uniform(900, 6000))
            order["order_line"].append(
                Command.create(
                    {
                        "product_id": reward.discount_line_product_id.id,
                        "name": reward.description or "Coupon",
                        "product_uom_qty": 1,
                        "price_unit": -50.0,
                        "reward_id": reward.id,
                        "coupon_id": card.id,
                        "points_cost": 1,
                        taxes: False,
                    }
                )
            )
            values.append(order)
        if values:
            env["sale.order"].create(values).write({"state": "sale"})

    def _demo_playbook_history(self, env, rng, buyers, cards, products, today):
        """Past follow-ups with a control group of 20 % (drawn as the playbook
        draws it) and the coupons above as playbook actions; some treated
        customers order again within the window, as a playbook that works
        would make them.  The nightly pass then finds out who came back."""
        grades = ["A", "B", "C", "C", "D", "D"]
        company = env.company
        share = 20.0
        vals_list = []
        comeback = []
        for partner in buyers.filtered(lambda p: p.id % 2 == 1)[:140]:
            kind = rng.choice(["visit", "call", "call"])
            day = today - timedelta(days=rng.randint(35, 150))
            period_start = day.replace(day=1)
            held_out = uplift.holdout(company.id, partner.id, period_start.isoformat(), share)
            vals_list.append(
                {
                    "company_id": company.id,
                    "partner_id": partner.id,
                    "kind": kind,
                    "source": "followup",
                    "date": day,
                    "user_id": partner.user_id.id,
                    "previous_grade": rng.choice(grades[:2] if kind == "visit" else grades[2:]),
                    "grade": "D",
                    "period_start": period_start,
                    "group": "held_out" if held_out else "treated",
                    "holdout_pct": share,
                }
            )
            if not held_out and rng.random() < 0.3:
                comeback.append(
                    self._demo_order_values(
                        rng, partner.id, products, day + timedelta(days=rng.randint(2, 25)), rng.uniform(800, 9000)
                    )
                )
        if comeback:
            env["sale.order"].create(comeback).write({"state": "sale"})
        for card in cards:
            vals_list.append(
                {
                    "company_id": company.id,
                    "partner_id": card.partner_id.id,
                    "kind": "coupon",
                    "source": "coupon",
                    "date": fields.Date.to_date(card.create_date),
                    "user_id": card.partner_id.user_id.id,
                    "loyalty_card_id": card.id,
                }
            )
        env["customer.abc.action"]._abc_log(vals_list)

    def _demo_salespeople(self, env):
        Users = env["res.users"].with_context(no_reset_password=True)
        own = env.ref("sales_team.group_sale_salesman")
        all_docs = env.ref("sales_team.group_sale_salesman_all_leads")
        chinese = "zh_CN" if env["res.lang"]._lang_get("zh_CN") else "en_US"
        specs = [
            ("li.wei", "李伟 Li Wei", own, chinese),
            ("emma.clark", "Emma Clark", all_docs, "en_US"),
            ("zhang.min", "张敏 Zhang Min", all_docs, chinese),
        ]
        users = env["res.users"]
        groups = compat.user_groups_field(env)
        for login, name, group, lang in specs:
            user = Users.search([("login", "=", login)], limit=1) or Users.create(
                {"login": login, "password": login, "name": name, "lang": lang, groups: [Command.link(group.id)]}
            )
            users |= user
        return users

    def _demo_products(self, env):
        products = env["product.product"]
        for category_name, items in CATEGORIES.items():
            category = env["product.category"].create({"name": category_name})
            for name, price in items:
                products |= env["product.product"].create(
                    {"name": name, "categ_id": category.id, "list_price": price, "type": "consu", "taxes_id": False}
                )
        return products

    def _demo_customers(self, env, rng, count, users):
        china = env.ref("base.cn")
        usa = env.ref("base.us")
        states = {
            state.code: state for state in env["res.country.state"].search([("country_id", "in", (china | usa).ids)])
        }
        vals_list = []
        used = set()
        number_field = compat.PARTNER_PHONE_FIELDS[0]
        for index in range(count):
            chinese = index % 4 != 3
            while True:
                if chinese:
                    city, code = rng.choice(CN_CITIES)
                    name = f"{city}{rng.choice(CN_WORDS)}{rng.choice(CN_SUFFIXES)}"
                else:
                    code = rng.choice(US_STATES)
                    name = f"{rng.choice(EN_WORDS)} {rng.choice(EN_SUFFIXES)}"
                if name not in used:
                    used.add(name)
                    break
                if not chinese:
                    name = f"{name} {index}"
                    used.add(name)
                    break
            number = (
                f"+86 13{rng.randint(0, 9)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
                if chinese
                else (f"+1 206 555 {rng.randint(1000, 9999)}")
            )
            vals_list.append(
                {
                    "name": name,
                    "is_company": True,
                    "country_id": (china if chinese else usa).id,
                    "state_id": states[code].id if code in states else False,
                    "city": city if chinese else False,
                    "user_id": users[index % len(users)].id if index % 9 else False,
                    # the number to text: the mobile on Odoo 18, the (only) phone on 19
                    number_field: number if index % 11 else False,
                    "lang": "zh_CN" if chinese and env["res.lang"]._lang_get("zh_CN") else "en_US",
                }
            )
        partners = env["res.partner"].create(vals_list)
        contacts = []
        for partner in partners.filtered(lambda p: p.id % 3 == 0):
            contacts.append(
                {
                    "name": rng.choice(CONTACT_NAMES),
                    "parent_id": partner.id,
                    "type": "contact",
                    number_field: partner[number_field],
                }
            )
        env["res.partner"].create(contacts)
        return partners

    def _demo_orders_of(self, rng, partner, products, today):
        """Order values of one customer over the last two years."""
        kind = rng.choices([k for k, _w in KINDS], weights=[w for _k, w in KINDS])[0]
        size = min(300000.0, 8000.0 * rng.paretovariate(1.3))  # typical monthly spend, skewed
        gap = rng.uniform(8, 45)  # mean days between orders
        start_age = 730 if kind != "new" else rng.randint(5, 28)
        end_age = {"churned": rng.randint(95, 400), "at_risk": rng.randint(61, 89)}.get(kind, 0)
        buyer_ids = [partner.id, *partner.child_ids.ids]
        values = []
        age = start_age - rng.uniform(0, gap)
        while age >= end_age:
            day = today - timedelta(days=int(age))
            factor = 1.0 + 0.25 * math.sin(2 * math.pi * (day.month - 3) / 12.0)
            if day.month in (1, 12):
                factor *= 1.35  # spring-festival stocking
            if kind == "surge" and age < 30:
                factor *= 3.0
            if kind == "plunge" and age < 30:
                factor *= 0.2
            amount = size * gap / 30.0 * factor * rng.uniform(0.6, 1.4)
            values.append(self._demo_order_values(rng, rng.choice(buyer_ids), products, day, amount))
            step = gap * rng.uniform(0.5, 1.5)
            if kind == "plunge" and age < 60:
                step *= 2.5
            age -= step
        return values

    def _demo_order_values(self, rng, partner_id, products, day, amount):
        picked = rng.sample(list(products), k=rng.randint(1, 4))
        taxes = compat.order_line_taxes_field(self.env)
        lines = []
        for product in picked:
            share = amount / len(picked)
            quantity = max(1, round(share / product.list_price))
            lines.append(
                Command.create(
                    {
                        "product_id": product.id,
                        "product_uom_qty": quantity,
                        "price_unit": product.list_price,
                        taxes: False,
                    }
                )
            )
        moment = datetime.combine(day, time(rng.randint(1, 10), rng.randint(0, 59)))
        return {"partner_id": partner_id, "date_order": moment, "order_line": lines}
