"""The cockpit, the portrait and the settings preview in a real browser."""

from odoo.tests import HttpCase, new_test_user, tagged

from .common import AbcHelpers
from .test_cockpit import CockpitFixtures


@tagged("post_install", "-at_install")
class TestCockpitTour(AbcHelpers, CockpitFixtures, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._abc_fixtures()
        cls._cockpit_fixtures()
        cls._rfm_fixtures()

    def test_cockpit_tiles_matrix_period_and_portrait(self):
        self.start_tour("/odoo/customer-cockpit", "customer_abc_cockpit_tour", login="admin")

    def test_portrait_reloads_from_its_url(self):
        self.start_tour(f"/odoo/customer-portrait/{self.alpha.id}", "customer_abc_portrait_tour", login="admin")

    def test_settings_preview_does_not_save(self):
        self.start_tour(
            "/odoo/action-customer_abc.customer_abc_config_settings_action",
            "customer_abc_settings_preview_tour",
            login="admin",
        )
        self.assertEqual(self.env.company.abc_threshold_a, 100000.0)

    def test_cockpit_and_settings_in_simplified_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["customer_abc"], ["zh_CN"])
        new_test_user(
            self.env, login="tour_zh", groups="sales_team.group_sale_manager,base.group_system", name="Zh", lang="zh_CN"
        )
        self.start_tour("/odoo/customer-cockpit", "customer_abc_zh_cockpit_tour", login="tour_zh")
        self.start_tour(
            "/odoo/action-customer_abc.customer_abc_config_settings_action",
            "customer_abc_zh_settings_tour",
            login="tour_zh",
        )
