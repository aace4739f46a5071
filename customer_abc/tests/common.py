from datetime import date, datetime, time, timedelta

from odoo import Command
from odoo.tests import TransactionCase, new_test_user

from .. import compat

#: "today" of most tests: the graded period is February 2024
TODAY = date(2024, 3, 15)
FEB = date(2024, 2, 1)
JAN = date(2024, 1, 1)


class AbcHelpers:
    """Customers and orders for tests; needs ``cls.env`` and ``cls.product``."""

    @classmethod
    def _abc_fixtures(cls):
        """The company in UTC, a product without taxes, a salesman (own
        customers, login ``abc_salesman``), a salesman seeing all customers
        (``abc_salesman_all``) and a sales manager (``abc_manager``); the
        password of each is its login.  ``line_taxes`` names the taxes of
        a sale order line (``tax_id`` on Odoo 18, ``tax_ids`` on 19)."""
        cls.line_taxes = compat.order_line_taxes_field(cls.env)
        cls.company = cls.env.company
        cls.company.partner_id.tz = False
        # no control group unless a test asks for one: the follow-ups of a test are those it expects
        cls.company.abc_holdout_pct = 0.0
        cls.currency = cls.company.currency_id
        cls.product = cls.env["product.product"].create(
            {"name": "ABC Widget", "type": "consu", "list_price": 1.0, "taxes_id": [Command.clear()]}
        )
        cls.salesman = new_test_user(
            cls.env, login="abc_salesman", groups="sales_team.group_sale_salesman", name="Own Rep"
        )
        cls.salesman_all = new_test_user(
            cls.env, login="abc_salesman_all", groups="sales_team.group_sale_salesman_all_leads", name="All Rep"
        )
        cls.manager = new_test_user(cls.env, login="abc_manager", groups="sales_team.group_sale_manager", name="Boss")

    @classmethod
    def _customer(cls, name, **vals):
        return cls.env["res.partner"].create({"name": name, "is_company": True, "customer_rank": 1, **vals})

    @classmethod
    def _order(cls, partner, amount, day, state="sale", company=None, pricelist=None, hour=12, minute=0):
        """A sale order of ``amount`` (untaxed, order currency) dated ``day``
        (``hour:minute`` UTC), in ``state``.  ``date_order`` is written after
        confirmation, which overwrites it."""
        company = company or cls.env.company
        vals = {
            "partner_id": partner.id,
            "company_id": company.id,
            "order_line": [
                Command.create(
                    {"product_id": cls.product.id, "product_uom_qty": 1, "price_unit": amount, cls.line_taxes: False}
                )
            ],
        }
        if pricelist:
            vals["pricelist_id"] = pricelist.id
        order = cls.env["sale.order"].with_company(company).create(vals)
        if state in ("sale", "cancel"):
            order.action_confirm()
        if state == "cancel":
            order._action_cancel()
        if state == "sent":
            order.state = "sent"
        order.date_order = datetime.combine(day, time(hour, minute))
        return order

    @classmethod
    def _invoice(cls, partner, amount, due, move_type="out_invoice"):
        """A posted customer invoice (or credit note) of ``amount``, due on ``due``."""
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": due - timedelta(days=30),
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create({"name": "Goods", "quantity": 1, "price_unit": amount, "tax_ids": [Command.clear()]})
                ],
            }
        )
        move.action_post()
        return move

    @classmethod
    def _customers_by_order_age(cls, cases, today):
        """``{name: partner}`` for ``cases`` of (name, [order ages in days], ...),
        each with one order of 100.00 per age before ``today``."""
        partners = {}
        for name, ages, *_expected in cases:
            partners[name] = cls._customer(name)
            for age in ages:
                cls._order(partners[name], 100.0, today - timedelta(days=age))
        return partners


class CustomerAbcCase(AbcHelpers, TransactionCase):
    """Fixtures: one company in UTC with the default settings, a product
    without taxes, a salesman (own customers), a salesman seeing all
    customers and a sales manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls._abc_fixtures()

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def _classify(self, today=TODAY, companies=None):
        self.env["customer.abc.profile"].classify(today=today, companies=companies)

    def _profile(self, partner, company=None):
        company = company or self.env.company
        return self.env["customer.abc.profile"].search(
            [("company_id", "=", company.id), ("partner_id", "=", partner.id)]
        )

    def _history(self, partner, start=FEB, company=None):
        company = company or self.env.company
        return self.env["customer.abc.history"].search(
            [("company_id", "=", company.id), ("partner_id", "=", partner.id), ("period_start", "=", start)]
        )
