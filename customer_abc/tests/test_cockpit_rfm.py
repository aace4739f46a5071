"""The cockpit's R x F grid and its "late for usual order" alert, on the
customers of test_cockpit with the scores and expected orders of
:meth:`.test_cockpit.CockpitFixtures._rfm_fixtures` (as of the last run):

====== ========================= ========================= =========================
cell   all customers             salesman (own documents)  manager, "mine"
====== ========================= ========================= =========================
R5 F5  Alpha, Beta: 2, 440,000   Alpha, Beta: 2, 440,000   -
R5 F1  Theta: 1, 3,000           -                         Theta: 1, 3,000
R4 F4  Gamma: 1, 100,000         -                         Gamma: 1, 100,000
R3 F3  Delta: 1, 125,000         -                         Delta: 1, 125,000
R2 F1  Epsilon: 1, 30,000        Epsilon: 1, 30,000        -
R1 F1  Eta: 1, 8,000             Eta: 1, 8,000             -
score 0 Zeta                     Zeta                      -
====== ========================= ========================= =========================

Late (tolerance 7 days): Alpha (8 days past), Gamma (30 days); Beta is
exactly 7 days past: not late.  A customer of another company, R5 F5, is on
none of these grids.
"""

from datetime import timedelta

from odoo.tests import tagged

from .common import CustomerAbcCase
from .test_cockpit import CockpitFixtures, view_filters


@tagged("post_install", "-at_install")
class TestCockpitRfm(CockpitFixtures, CustomerAbcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._cockpit_fixtures()
        cls._rfm_fixtures()
        cls.other_company = cls.env["res.company"].create({"name": "Other Trading"})
        cls.outsider = cls._customer("Outsider", company_id=cls.other_company.id)
        cls.env["customer.abc.profile"].sudo().create(
            {
                "company_id": cls.other_company.id,
                "partner_id": cls.outsider.id,
                "r_score": 5,
                "f_score": 5,
                "m_score": 5,
                "rfm_code": "555",
                "rfm_segment": "champions",
                "rfm_monetary": 500000.0,
                "expected_order_date": cls.env.company._abc_today() - timedelta(days=60),
                "order_day_count": 9,
            }
        )

    def _cockpit(self, user=None, **kwargs):
        Cockpit = self.env["customer.abc.cockpit"]
        if user:
            Cockpit = Cockpit.with_user(user)
        return Cockpit.get_cockpit_data(**kwargs)

    def _cells(self, grid):
        """``{(r, f): (count, amount)}`` of the cells with customers."""
        return {
            (cell["r_score"], cell["f_score"]): (cell["count"], cell["amount"])
            for row in grid["rows"]
            for cell in row["cells"]
            if cell["count"]
        }

    def _list(self, action, user=None):
        """Customers of the list opened by ``action``, as the web client filters it."""
        env = self.env(user=user) if user else self.env
        filters = view_filters(env, "customer_abc.customer_abc_profile_view_search")
        domain = list(action["domain"])
        for key in action["context"]:
            if key.startswith("search_default_"):
                domain += filters[key.removeprefix("search_default_")]
        return env[action["res_model"]].search(domain).partner_id

    def _late_tile(self, data):
        alerts = next(section for section in data["sections"] if section["key"] == "alerts")
        return next(tile for tile in alerts["tiles"] if tile["segment"] == "late")

    # ------------------------------------------------------------
    # R x F grid
    # ------------------------------------------------------------

    def test_rfm_grid_shape_and_segments(self):
        grid = self._cockpit()["rfm_grid"]
        self.assertEqual([row["r_score"] for row in grid["rows"]], [5, 4, 3, 2, 1])
        self.assertEqual([cell["f_score"] for cell in grid["rows"][0]["cells"]], [1, 2, 3, 4, 5])
        corners = {(cell["r_score"], cell["f_score"]): cell for row in grid["rows"] for cell in row["cells"]}
        self.assertEqual(len(corners), 25)
        self.assertEqual((corners[(5, 5)]["segment"], corners[(5, 5)]["label"]), ("champions", "Champions"))
        self.assertEqual((corners[(1, 1)]["segment"], corners[(1, 1)]["label"]), ("lost", "Lost"))
        self.assertEqual(corners[(2, 5)]["segment"], "cant_lose")
        self.assertEqual(len(grid["segments"]), 11)

    def test_rfm_grid_counts_and_amounts(self):
        grid = self._cockpit()["rfm_grid"]
        self.assertEqual(
            self._cells(grid),
            {
                (5, 5): (2, 440000.0),  # Alpha 270,000 + Beta 170,000
                (5, 1): (1, 3000.0),
                (4, 4): (1, 100000.0),
                (3, 3): (1, 125000.0),
                (2, 1): (1, 30000.0),
                (1, 1): (1, 8000.0),
            },
        )
        # seven scored customers, 440,000 + 3,000 + 100,000 + 125,000 + 30,000 + 8,000; Zeta has no score;
        # the other company's champion is left out
        self.assertEqual(grid["customers"], 7)
        self.assertAlmostEqual(grid["amount"], 706000.0)
        self.assertEqual(grid["unscored"], 1)
        self.assertEqual(grid["max_count"], 2)
        segments = {row["key"]: (row["count"], row["amount"]) for row in grid["segments"]}
        self.assertEqual(segments["champions"], (2, 440000.0))
        self.assertEqual(segments["hibernating"], (1, 30000.0))
        self.assertEqual(segments["at_risk"], (0, 0.0))

    def test_rfm_grid_respects_the_scope(self):
        # own documents: Alpha, Beta, Eta and the customers without salesperson (Epsilon, Zeta)
        grid = self._cockpit(user=self.salesman)["rfm_grid"]
        self.assertEqual(self._cells(grid), {(5, 5): (2, 440000.0), (2, 1): (1, 30000.0), (1, 1): (1, 8000.0)})
        self.assertEqual(grid["unscored"], 1)
        grid = self._cockpit(user=self.manager, scope="mine")["rfm_grid"]
        self.assertEqual(self._cells(grid), {(5, 1): (1, 3000.0), (4, 4): (1, 100000.0), (3, 3): (1, 125000.0)})
        self.assertEqual(grid["unscored"], 0)

    def test_rfm_grid_of_the_other_company(self):
        data = (
            self.env["customer.abc.cockpit"]
            .with_company(self.other_company)
            ._cockpit_rfm_grid(self.other_company, "all")
        )
        self.assertEqual(self._cells(data), {(5, 5): (1, 500000.0)})

    def test_rfm_grid_is_as_of_today_in_a_past_period(self):
        grid = self._cockpit(period_start="2024-01-01")["rfm_grid"]
        self.assertEqual(self._cells(grid)[(5, 5)], (2, 440000.0))

    def test_rfm_cell_opens_a_list_of_exactly_its_customers(self):
        Cockpit = self.env["customer.abc.cockpit"]
        action = Cockpit.action_open_rfm_cell(5, 5)
        self.assertEqual(action["res_model"], "customer.abc.profile")
        self.assertEqual(self._list(action), self.alpha | self.beta)
        self.assertIn("Champions", action["display_name"])
        for user, scope in ((self.salesman, "all"), (self.salesman, "mine"), (self.manager, "mine")):
            grid = self._cockpit(user=user, scope=scope)["rfm_grid"]
            for row in grid["rows"]:
                for cell in row["cells"]:
                    with self.subTest(user=user.login, scope=scope, r=cell["r_score"], f=cell["f_score"]):
                        action = Cockpit.with_user(user).action_open_rfm_cell(
                            cell["r_score"], cell["f_score"], scope=scope
                        )
                        self.assertEqual(len(self._list(action, user=user)), cell["count"])
        with self.assertRaises(ValueError):
            Cockpit.action_open_rfm_cell(0, 3)

    # ------------------------------------------------------------
    # late alert
    # ------------------------------------------------------------

    def test_late_alert_counts_past_the_tolerance_only(self):
        tile = self._late_tile(self._cockpit())
        # Alpha 8 days past the expected date, Gamma 30; Beta exactly 7 (the tolerance): not late
        self.assertEqual(tile["count"], 2)
        self.assertEqual(tile["tone"], "warning")
        self.assertEqual(tile["label"], "Late for usual order")
        action = self.env["customer.abc.cockpit"].action_open_segment("late")
        self.assertEqual(self._list(action), self.alpha | self.gamma)
        # a day more of tolerance: Alpha (8 > 8 is false) is no longer late
        self.company.abc_late_tolerance_days = 8
        self.assertEqual(self._late_tile(self._cockpit())["count"], 1)
        self.assertEqual(self._list(action), self.gamma)

    def test_late_alert_respects_the_scope(self):
        # own documents: Alpha; the manager's own customers: Gamma
        for user, scope, expected in ((self.salesman, "all", self.alpha), (self.manager, "mine", self.gamma)):
            with self.subTest(user=user.login, scope=scope):
                tile = self._late_tile(self._cockpit(user=user, scope=scope))
                self.assertEqual(tile["count"], 1)
                action = self.env["customer.abc.cockpit"].with_user(user).action_open_segment("late", scope=scope)
                self.assertEqual(self._list(action, user=user), expected)
