"""The cockpit's data: tiles equal to the lists they open, Pareto, grade
transitions, lifecycle over periods, the comparison of the grading methods,
record rules and an empty database.

Eight customers, graded for December 2023 and January 2024 (run of
2024-02-15) and February 2024 (run of TODAY, 2024-03-15), fixed thresholds
100,000 / 50,000 / 10,000, shares 20 % / 60 %:

========= ========== ============ ============ ====== ===== ========= =============
customer  salesman   January      February     Jan    Feb   lifecycle trend
========= ========== ============ ============ ====== ===== ========= =============
Alpha     Own Rep    120,000      150,000      A (new) A =  active
Beta      Own Rep    60,000       110,000      B (new) A up active
Gamma     Boss       30,000       65,000+5,000 C (new) B up active    amount and
                                                                       order surge
Delta     Boss       105,000      20,000       A (new) C dn active    plunges; overdue
Epsilon   -          15,000       -            C (C)   D dn at risk   (15,000 in Dec)
Eta       Own Rep    -            -            D (D)   D =  churned   (8,000 in Nov)
Theta     Boss       -            -            -       D    new       (3,000 on 1 Mar)
Zeta      -          -            -            -       D    never
========= ========== ============ ============ ====== ===== ========= =============
"""

from datetime import date, timedelta

from lxml import etree

from odoo.tests import TransactionCase, tagged
from odoo.tools.safe_eval import safe_eval

from ..models.customer_abc_cockpit import HISTORY_SEGMENTS, PROFILE_SEGMENTS
from .common import FEB, JAN, TODAY, CustomerAbcCase

DEC = date(2023, 12, 1)


class CockpitFixtures:
    """The customers above; needs ``cls.salesman``, ``cls.manager`` and ``cls.product``."""

    @classmethod
    def _cockpit_fixtures(cls):
        customer = cls._customer
        cls.alpha = customer("Alpha", user_id=cls.salesman.id)
        cls.beta = customer("Beta", user_id=cls.salesman.id)
        cls.gamma = customer("Gamma", user_id=cls.manager.id)
        cls.delta = customer("Delta", user_id=cls.manager.id)
        cls.epsilon = customer("Epsilon")
        cls.eta = customer("Eta", user_id=cls.salesman.id)
        cls.theta = customer("Theta", user_id=cls.manager.id)
        cls.zeta = customer("Zeta")
        orders = [
            (cls.alpha, 120000.0, date(2024, 1, 10)),
            (cls.alpha, 150000.0, date(2024, 2, 20)),
            (cls.beta, 60000.0, date(2024, 1, 20)),
            (cls.beta, 110000.0, date(2024, 2, 20)),
            (cls.gamma, 30000.0, date(2024, 1, 20)),
            (cls.gamma, 65000.0, date(2024, 2, 20)),
            (cls.gamma, 5000.0, date(2024, 2, 21)),
            (cls.delta, 105000.0, date(2024, 1, 20)),
            (cls.delta, 20000.0, date(2024, 2, 10)),
            (cls.epsilon, 15000.0, date(2023, 12, 1)),
            (cls.epsilon, 15000.0, date(2024, 1, 10)),
            (cls.eta, 8000.0, date(2023, 11, 1)),
            (cls.theta, 3000.0, date(2024, 3, 1)),
        ]
        for partner, amount, day in orders:
            cls._order(partner, amount, day)
        cls._order(cls.alpha, 999999.0, date(2024, 2, 25), state="cancel")
        cls._invoice(cls.delta, 1000.0, date(2024, 3, 1))  # overdue on TODAY
        cls._invoice(cls.alpha, 500.0, TODAY + timedelta(days=10))  # open, not due
        Profile = cls.env["customer.abc.profile"]
        Profile.classify(today=date(2024, 2, 15))
        Profile.classify(today=TODAY)
        cls.customers = cls.alpha | cls.beta | cls.gamma | cls.delta | cls.epsilon | cls.eta | cls.theta | cls.zeta

    @classmethod
    def _rfm_fixtures(cls):
        """RFM scores and next expected orders written on the profiles, as
        the nightly run would (every other profile of the company: none).
        Expected dates are relative to the real today, as the cockpit reads
        them; the late tolerance is the default 7 days:

        ======= ======= ======= =========== ================== =============
        customer salesman R F M  12 months   segment            expected
        ======= ======= ======= =========== ================== =============
        Alpha   Own Rep 5 5 5   270,000     champions          today - 8 (late)
        Beta    Own Rep 5 5 4   170,000     champions          today - 7 (not late)
        Gamma   Boss    4 4 3   100,000     loyal              today - 30 (late)
        Delta   Boss    3 3 4   125,000     need_attention     today + 5
        Epsilon -       2 1 2   30,000      hibernating        -
        Eta     Own Rep 1 1 1   8,000       lost               -
        Theta   Boss    5 1 1   3,000       new                -
        Zeta    -       0 0 0   -           (no order in 12 months)
        ======= ======= ======= =========== ================== =============
        """
        Profile = cls.env["customer.abc.profile"].sudo()
        profiles = Profile.search([("company_id", "=", cls.env.company.id)])
        profiles.write(
            {
                "r_score": 0,
                "f_score": 0,
                "m_score": 0,
                "rfm_code": False,
                "rfm_segment": False,
                "rfm_frequency": 0,
                "rfm_monetary": 0.0,
                "expected_order_date": False,
                "order_day_count": 0,
                "median_gap_days": 0.0,
                "gap_p25_days": 0.0,
                "gap_p75_days": 0.0,
            }
        )
        today = cls.env.company._abc_today()
        rows = [
            (cls.alpha, 5, 5, 5, "champions", 12, 270000.0, -8),
            (cls.beta, 5, 5, 4, "champions", 10, 170000.0, -7),
            (cls.gamma, 4, 4, 3, "loyal", 6, 100000.0, -30),
            (cls.delta, 3, 3, 4, "need_attention", 4, 125000.0, 5),
            (cls.epsilon, 2, 1, 2, "hibernating", 1, 30000.0, None),
            (cls.eta, 1, 1, 1, "lost", 1, 8000.0, None),
            (cls.theta, 5, 1, 1, "new", 1, 3000.0, None),
        ]
        for partner, r_score, f_score, m_score, segment, frequency, monetary, expected in rows:
            vals = {
                "r_score": r_score,
                "f_score": f_score,
                "m_score": m_score,
                "rfm_code": f"{r_score}{f_score}{m_score}",
                "rfm_segment": segment,
                "rfm_frequency": frequency,
                "rfm_monetary": monetary,
            }
            if expected is not None:
                vals.update(
                    {
                        "expected_order_date": today + timedelta(days=expected),
                        "order_day_count": frequency,
                        "median_gap_days": 30.0,
                        "gap_p25_days": 26.0,
                        "gap_p75_days": 35.0,
                    }
                )
            profiles.filtered(lambda profile, partner=partner: profile.partner_id == partner).write(vals)


def view_filters(env, xmlid):
    """``{filter name: domain}`` of a search view, evaluated for ``env``'s user."""
    arch = etree.fromstring(env.ref(xmlid).sudo().arch)
    return {
        node.get("name"): safe_eval(node.get("domain"), {"uid": env.uid})
        for node in arch.iter("filter")
        if node.get("domain")
    }


@tagged("post_install", "-at_install")
class TestCockpit(CockpitFixtures, CustomerAbcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._cockpit_fixtures()

    def _cockpit(self, user=None, **kwargs):
        Cockpit = self.env["customer.abc.cockpit"]
        if user:
            Cockpit = Cockpit.with_user(user)
        return Cockpit.get_cockpit_data(**kwargs)

    def _tiles(self, data):
        return {tile["segment"]: tile for section in data["sections"] for tile in section["tiles"]}

    def _counts(self, data):
        return {segment: tile["count"] for segment, tile in self._tiles(data).items()}

    def _list_count(self, action, user=None):
        """Records the list opened by ``action`` shows: its domain and the
        filters its context switches on, as the web client combines them."""
        env = self.env(user=user) if user else self.env
        view = {
            "customer.abc.profile": "customer_abc.customer_abc_profile_view_search",
            "customer.abc.history": "customer_abc.customer_abc_history_view_search",
        }[action["res_model"]]
        filters = view_filters(env, view)
        domain = list(action["domain"])
        for key in action["context"]:
            if key.startswith("search_default_"):
                domain += filters[key.removeprefix("search_default_")]
        return env[action["res_model"]].search_count(domain)

    # ------------------------------------------------------------
    # tiles
    # ------------------------------------------------------------

    def test_segments_are_the_filters_of_the_lists(self):
        for xmlid, segments in (
            ("customer_abc.customer_abc_profile_view_search", PROFILE_SEGMENTS),
            ("customer_abc.customer_abc_history_view_search", HISTORY_SEGMENTS),
        ):
            filters = view_filters(self.env, xmlid)
            for name, (domain, _amount_field) in segments.items():
                with self.subTest(view=xmlid, segment=name):
                    self.assertEqual(filters[name], domain)

    def test_tiles_of_the_latest_period(self):
        data = self._cockpit()
        self.assertFalse(data["empty"])
        self.assertTrue(data["latest"])
        self.assertEqual(data["period"], {"start": "2024-02-01", "end": "2024-03-01", "kind": "month"})
        self.assertEqual([period["start"] for period in data["periods"]], ["2024-02-01", "2024-01-01", "2023-12-01"])
        self.assertEqual(
            self._counts(data),
            {
                "lifecycle_active": 4,
                "lifecycle_at_risk": 1,
                "lifecycle_churned": 1,
                "lifecycle_never": 1,
                "lifecycle_new": 1,
                "grade_a": 2,
                "grade_b": 1,
                "grade_c": 1,
                "grade_d": 4,
                "upgraded": 2,
                "downgraded": 2,
                "amount_surge": 1,
                "amount_plunge": 1,
                "frequency_surge": 1,
                "frequency_plunge": 1,
                "overdue": 1,
                # hand-checked in test_cockpit_rfm: the expected dates depend on the real today
                "late": self.env["customer.abc.profile"].search_count(
                    [("company_id", "=", self.company.id), ("is_late", "=", True)]
                ),
            },
        )
        tiles = self._tiles(data)
        # 350,000 sold in February: A 260,000, B 70,000, C 20,000
        for segment, amount in (("grade_a", 260000.0), ("grade_b", 70000.0), ("grade_c", 20000.0), ("grade_d", 0.0)):
            with self.subTest(segment=segment):
                self.assertAlmostEqual(tiles[segment]["amount"], amount)
                self.assertAlmostEqual(tiles[segment]["share_pct"], amount * 100 / 350000)
        self.assertAlmostEqual(tiles["overdue"]["amount"], 1000.0)
        self.assertIsNone(tiles["upgraded"]["share_pct"])
        sections = {section["key"]: section["as_of_today"] for section in data["sections"]}
        self.assertEqual(sections, {"lifecycle": True, "grades": False, "changes": False, "alerts": True})
        self.assertEqual(data["grade_chart"]["counts"], [2, 1, 1, 4])

    def test_every_tile_opens_a_list_of_exactly_its_customers(self):
        Cockpit = self.env["customer.abc.cockpit"].with_user(self.manager)
        for period_start in ("2024-02-01", "2024-01-01"):
            for scope in ("all", "mine"):
                data = self._cockpit(user=self.manager, period_start=period_start, scope=scope)
                for segment, tile in self._tiles(data).items():
                    with self.subTest(period=period_start, scope=scope, segment=segment):
                        action = Cockpit.action_open_segment(segment, period_start=period_start, scope=scope)
                        self.assertEqual(self._list_count(action, user=self.manager), tile["count"])

    def test_past_period_grades_come_from_history(self):
        data = self._cockpit(period_start="2024-01-01")
        self.assertFalse(data["latest"])
        counts = self._counts(data)
        # January: A Alpha and Delta, B Beta, C Gamma and Epsilon, D Eta; nobody had a grade before but
        # Epsilon (C) and Eta (D), unchanged
        self.assertEqual(
            {key: counts[key] for key in ("grade_a", "grade_b", "grade_c", "grade_d", "upgraded", "downgraded")},
            {"grade_a": 2, "grade_b": 1, "grade_c": 2, "grade_d": 1, "upgraded": 0, "downgraded": 0},
        )
        self.assertAlmostEqual(self._tiles(data)["grade_a"]["amount"], 225000.0)
        # lifecycle and alerts stay as of today
        self.assertEqual(counts["lifecycle_active"], 4)
        self.assertEqual(counts["overdue"], 1)
        action = self.env["customer.abc.cockpit"].action_open_segment("grade_c", period_start="2024-01-01")
        self.assertEqual(action["res_model"], "customer.abc.history")
        self.assertIn(("period_start", "=", JAN), action["domain"])
        action = self.env["customer.abc.cockpit"].action_open_segment("overdue", period_start="2024-01-01")
        self.assertEqual(action["res_model"], "customer.abc.profile")

    def test_unknown_period_falls_back_to_the_latest(self):
        data = self._cockpit(period_start="2019-05-01")
        self.assertEqual(data["period"]["start"], FEB.isoformat())

    def test_data_methods_may_run_on_a_read_replica(self):
        Cockpit = type(self.env["customer.abc.cockpit"])
        for name in ("get_cockpit_data", "get_comparison_data", "get_portrait_data"):
            with self.subTest(method=name):
                self.assertTrue(getattr(getattr(Cockpit, name), "_readonly", False))

    # ------------------------------------------------------------
    # charts
    # ------------------------------------------------------------

    def test_pareto_of_february(self):
        pareto = self._cockpit()["pareto"]
        # four buyers: 150,000, 110,000, 70,000, 20,000; the top 20 % is one customer
        self.assertEqual(pareto["customers"], 4)
        self.assertAlmostEqual(pareto["total"], 350000.0)
        self.assertEqual(pareto["top_count"], 1)
        self.assertAlmostEqual(pareto["top_share_pct"], 150000 * 100 / 350000)
        self.assertEqual(
            pareto["curve"],
            [[0.0, 0.0], [25.0, 150000 * 100 / 350000], [50.0, 260000 * 100 / 350000], [75.0, 330000 * 100 / 350000],
             [100.0, 100.0]],
        )  # fmt: skip

    def _cells(self, matrix):
        return {
            (row["previous_grade"], cell["grade"]): (cell["count"], cell["amount"])
            for row in matrix["rows"]
            for cell in row["cells"]
            if cell["count"]
        }

    def test_transition_matrix_of_the_latest_period(self):
        matrix = self._cockpit()["matrix"]
        self.assertEqual(
            self._cells(matrix),
            {
                ("A", "A"): (1, 120000.0),
                ("B", "A"): (1, 60000.0),
                ("C", "B"): (1, 30000.0),
                ("A", "C"): (1, 105000.0),
                ("C", "D"): (1, 15000.0),
                ("D", "D"): (1, 0.0),
                (False, "D"): (2, 0.0),
            },
        )
        self.assertEqual(matrix["max_count"], 2)
        for previous, grade in (("A", "C"), (False, "D")):
            with self.subTest(previous=previous, grade=grade):
                action = self.env["customer.abc.cockpit"].action_open_segment(
                    "transition", previous_grade=previous, grade=grade
                )
                self.assertEqual(self._list_count(action), self._cells(matrix)[(previous, grade)][0])

    def test_transition_matrix_of_a_past_period(self):
        matrix = self._cockpit(period_start="2024-01-01")["matrix"]
        # previous revenue is the December amount: only Epsilon bought then
        self.assertEqual(
            self._cells(matrix),
            {
                (False, "A"): (2, 0.0),
                (False, "B"): (1, 0.0),
                (False, "C"): (1, 0.0),
                ("C", "C"): (1, 15000.0),
                ("D", "D"): (1, 0.0),
            },
        )
        action = self.env["customer.abc.cockpit"].action_open_segment(
            "transition", period_start="2024-01-01", previous_grade="C", grade="C"
        )
        self.assertEqual(action["res_model"], "customer.abc.history")
        self.assertEqual(self.env["customer.abc.history"].search(action["domain"]).partner_id, self.epsilon)

    def test_lifecycle_over_the_periods(self):
        trend = self._cockpit()["lifecycle_trend"]
        self.assertEqual(trend["periods"], ["2023-12-01", "2024-01-01", "2024-02-01"])
        series = {serie["state"]: serie["counts"] for serie in trend["series"]}
        self.assertEqual(
            series,
            {
                "never": [0, 0, 0],
                "new": [1, 4, 0],
                "active": [1, 1, 5],
                "at_risk": [0, 0, 0],
                "churned": [0, 1, 1],
            },
        )
        # up to the period picked
        trend = self._cockpit(period_start="2024-01-01")["lifecycle_trend"]
        self.assertEqual(trend["periods"], ["2023-12-01", "2024-01-01"])

    def test_top_customers(self):
        top = self._cockpit()["top_customers"]
        self.assertEqual([row["name"] for row in top], ["Alpha", "Beta", "Gamma", "Delta"])
        self.assertEqual(top[0]["partner_id"], self.alpha.id)
        self.assertEqual(top[2]["order_count"], 2)
        self.assertAlmostEqual(top[1]["share_pct"], 110000 * 100 / 350000)

    # ------------------------------------------------------------
    # method comparison
    # ------------------------------------------------------------

    def _rows(self, comparison):
        return {
            row["grade"]: (row["fixed_count"], row["fixed_amount"], row["share_count"], row["share_amount"])
            for row in comparison["rows"]
        }

    def test_comparison_with_the_company_settings(self):
        comparison = self._cockpit()["comparison"]
        self.assertFalse(comparison["error"])
        self.assertFalse(comparison["preview"])
        # fixed: A Alpha, Beta; B Gamma; C Delta.  Share: A Alpha (starts at 0 %), B Beta (42.9 %)
        # and Gamma (74.3 %), C Delta (94.3 %).  Epsilon and Eta bought nothing, Theta and Zeta
        # came after the period: D both ways (the customers of the grade tiles).
        self.assertEqual(
            self._rows(comparison),
            {
                "A": (2, 260000.0, 1, 150000.0),
                "B": (1, 70000.0, 2, 180000.0),
                "C": (1, 20000.0, 1, 20000.0),
                "D": (4, 0.0, 4, 0.0),
            },
        )
        self.assertEqual(comparison["differ_count"], 1)
        self.assertEqual(
            comparison["differ"],
            [
                {
                    "partner_id": self.beta.id,
                    "name": "Beta",
                    "amount": 110000.0,
                    "order_count": 1,
                    "fixed_grade": "A",
                    "share_grade": "B",
                    "stored_grade": "A",
                }
            ],
        )
        self.assertEqual(
            comparison["suggested"],
            {"thresholds": [150000.0, 70000.0, 20000.0], "valid": True, "exact": True, "available": True},
        )

    def test_comparison_with_unsaved_values(self):
        values = {"threshold_a": 60000.0, "threshold_b": 25000.0, "threshold_c": 10000.0, "share_a": 50, "share_b": 40}
        data = self.env["customer.abc.cockpit"].get_comparison_data(settings=values)
        comparison = data["comparison"]
        self.assertTrue(comparison["preview"])
        self.assertFalse(comparison["error"])
        self.assertEqual(comparison["thresholds"], [60000.0, 25000.0, 10000.0])
        # fixed: Gamma (70,000) reaches A; share 50/40: Beta starts at 42.9 % (A), Gamma at 74.3 % (B)
        self.assertEqual(
            self._rows(comparison),
            {
                "A": (3, 330000.0, 2, 260000.0),
                "B": (0, 0.0, 1, 70000.0),
                "C": (1, 20000.0, 1, 20000.0),
                "D": (4, 0.0, 4, 0.0),
            },
        )
        self.assertEqual([row["name"] for row in comparison["differ"]], ["Gamma"])
        self.assertEqual(self.company.abc_threshold_a, 100000.0, "a preview writes nothing")
        refused = self.env["customer.abc.cockpit"].get_comparison_data(settings={**values, "threshold_a": 20000.0})[
            "comparison"
        ]
        self.assertIn("Threshold A", refused["error"])
        self.assertEqual(refused["rows"][0]["fixed_count"], 4)  # still computed: Delta reaches A too

    def test_comparison_suggests_thresholds_even_for_an_empty_class(self):
        # share 80/10: Alpha (0 %) and Beta (42.9 %) and Gamma (74.3 %) are A, Delta (94.3 %) C; B is empty
        comparison = self.env["customer.abc.cockpit"].get_comparison_data(settings={"share_a": 80, "share_b": 10})[
            "comparison"
        ]
        self.assertEqual(comparison["suggested"]["thresholds"], [70000.0, 20000.01, 20000.0])
        self.assertTrue(comparison["suggested"]["valid"])
        self.assertTrue(comparison["suggested"]["exact"])

    # ------------------------------------------------------------
    # access
    # ------------------------------------------------------------

    def test_salesman_sees_only_his_customers(self):
        # own documents: his customers (Alpha, Beta, Eta) and those without salesperson (Epsilon, Zeta)
        data = self._cockpit(user=self.salesman)
        self.assertTrue(data["partial"])
        counts = self._counts(data)
        self.assertEqual(
            {key: counts[key] for key in ("grade_a", "grade_b", "grade_c", "grade_d")},
            {"grade_a": 2, "grade_b": 0, "grade_c": 0, "grade_d": 3},
        )
        self.assertEqual(counts["lifecycle_never"], 1)
        self.assertEqual(counts["overdue"], 0)
        self.assertEqual([row["name"] for row in data["top_customers"]], ["Alpha", "Beta"])
        self.assertEqual(data["pareto"]["customers"], 2)
        mine = self._counts(self._cockpit(user=self.salesman, scope="mine"))
        self.assertEqual(mine["grade_d"], 1)  # Eta
        self.assertEqual(mine["lifecycle_never"], 0)
        for segment in ("grade_a", "grade_d", "lifecycle_never"):
            with self.subTest(segment=segment):
                action = (
                    self.env["customer.abc.cockpit"].with_user(self.salesman).action_open_segment(segment, scope="mine")
                )
                self.assertEqual(self._list_count(action, user=self.salesman), mine[segment])

    def test_manager_scope_mine(self):
        data = self._cockpit(user=self.manager, scope="mine")
        counts = self._counts(data)
        # Gamma B, Delta C, Theta D
        self.assertEqual(
            {key: counts[key] for key in ("grade_a", "grade_b", "grade_c", "grade_d")},
            {"grade_a": 0, "grade_b": 1, "grade_c": 1, "grade_d": 1},
        )
        self.assertTrue(data["partial"])
        self.assertFalse(self._cockpit(user=self.manager)["partial"])
        self.assertTrue(self._cockpit(user=self.manager)["can_classify"])
        self.assertFalse(self._cockpit(user=self.salesman)["can_classify"])


@tagged("post_install", "-at_install")
class TestCockpitEmpty(TransactionCase):
    def test_a_company_without_grades_gets_an_empty_cockpit(self):
        company = self.env["res.company"].create({"name": "Brand New Trading"})
        Cockpit = self.env["customer.abc.cockpit"].with_company(company)
        data = Cockpit.get_cockpit_data()
        self.assertTrue(data["empty"])
        self.assertEqual(data["periods"], [])
        self.assertIsNone(data["period"])
        self.assertTrue(Cockpit.get_comparison_data()["empty"])
        action = Cockpit.action_open_segment("grade_a")
        self.assertEqual(action["res_model"], "customer.abc.profile")
        self.assertEqual(self.env["customer.abc.profile"].search_count(action["domain"]), 0)

    def test_customers_without_orders_make_a_cockpit_without_sales(self):
        company = self.env["res.company"].create({"name": "Quiet Trading"})
        silent = self.env["res.partner"].create({"name": "Silent", "customer_rank": 1, "company_id": company.id})
        # a customer since before the graded period
        self.env.cr.execute("UPDATE res_partner SET create_date = '2023-06-01' WHERE id = %s", [silent.id])
        silent.invalidate_recordset(["create_date"])
        self.env["customer.abc.profile"].classify(today=TODAY, companies=company)
        data = self.env["customer.abc.cockpit"].with_company(company).get_cockpit_data()
        self.assertFalse(data["empty"])
        self.assertEqual(data["pareto"]["customers"], 0)
        self.assertEqual(data["pareto"]["curve"], [])
        self.assertEqual(data["top_customers"], [])
        self.assertFalse(data["comparison"]["suggested"]["available"])
        tiles = {tile["segment"]: tile for section in data["sections"] for tile in section["tiles"]}
        self.assertEqual(tiles["lifecycle_never"]["count"], 1)
        self.assertEqual(tiles["grade_a"]["share_pct"], 0.0)
