"""The demo data generator on a small scale: numbers where each Odoo
version keeps them, salespeople in their groups, confirmed orders."""

from odoo.tests import tagged

from .. import compat
from .common import CustomerAbcCase


@tagged("post_install", "-at_install")
class TestDemoData(CustomerAbcCase):
    def test_small_demo_book(self):
        self.env["customer.abc.demo"]._generate_demo_data(customers=12, never=3, seed=7)
        customers = self.env["res.partner"].search([("customer_rank", ">", 0), ("is_company", "=", True)])
        demo = customers.filtered(lambda partner: partner.country_id.code in ("CN", "US") and partner.user_id.login)
        self.assertGreaterEqual(len(demo), 10)
        # the number to text: the mobile on Odoo 18, the (only) phone on 19; one customer in 11 has none
        number_field = compat.PARTNER_PHONE_FIELDS[0]
        with_number = demo.filtered(number_field)
        self.assertGreaterEqual(len(with_number), len(demo) - 2)
        self.assertTrue(all(compat.partner_number(partner) == partner[number_field] for partner in with_number))
        if compat.PARTNER_HAS_MOBILE:
            self.assertFalse(demo.filtered("phone"), "Odoo 18 demo customers have a mobile, not a phone")
        # salespeople with their sales group, orders confirmed
        users = self.env["res.users"].search([("login", "in", ["li.wei", "emma.clark", "zhang.min"])])
        self.assertEqual(len(users), 3)
        self.assertTrue(all(user.has_group("sales_team.group_sale_salesman") for user in users))
        orders = self.env["sale.order"].search([("partner_id", "child_of", demo.ids)])
        self.assertTrue(orders)
        self.assertEqual(set(orders.mapped("state")), {"sale"})
