"""Company settings: defaults, every refusal, and nothing half-saved."""

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import CustomerAbcCase

DEFAULTS = {
    "abc_method": "fixed",
    "abc_period": "month",
    "abc_threshold_a": 100000.0,
    "abc_threshold_b": 50000.0,
    "abc_threshold_c": 10000.0,
    "abc_share_a": 20.0,
    "abc_share_b": 60.0,
    "abc_new_days": 30,
    "abc_at_risk_days": 60,
    "abc_churn_days": 90,
    "abc_lifecycle_adaptive": False,
    "abc_trend_days": 30,
    "abc_surge_pct": 100.0,
    "abc_plunge_pct": 50.0,
    "abc_trend_min_amount": 0.0,
    "abc_trend_min_orders": 1,
    "abc_followup": True,
    "abc_coupon_cooldown_days": 30,
}

# (values written, text the message must contain: the field's name)
REFUSED = [
    ({"abc_threshold_a": 50000.0}, "Threshold A"),
    ({"abc_threshold_a": 40000.0}, "Threshold A"),
    ({"abc_threshold_b": 10000.0}, "Threshold B"),
    ({"abc_threshold_b": 100000.0}, "Threshold A"),
    ({"abc_threshold_c": -1.0}, "Threshold C"),
    ({"abc_threshold_c": 50000.0}, "Threshold B"),
    ({"abc_share_a": 0.0}, "Share A"),
    ({"abc_share_a": -5.0}, "Share A"),
    ({"abc_share_b": 0.0}, "Share B"),
    ({"abc_share_a": 40.0, "abc_share_b": 60.0}, "Share A + Share B"),
    ({"abc_share_a": 50.0, "abc_share_b": 55.0}, "Share A + Share B"),
    ({"abc_new_days": 0}, "New Customer Days"),
    ({"abc_at_risk_days": 0}, "Active Days"),
    ({"abc_at_risk_days": 90}, "Churn Days"),
    ({"abc_churn_days": 45}, "Churn Days"),
    ({"abc_adaptive_at_risk_factor": 0.0}, "Adaptive At-Risk Factor"),
    ({"abc_adaptive_churn_factor": 1.5}, "Adaptive Churn Factor"),
    ({"abc_trend_days": 0}, "Trend Window"),
    ({"abc_surge_pct": 0.0}, "Surge"),
    ({"abc_plunge_pct": 0.0}, "Plunge"),
    ({"abc_plunge_pct": 100.5}, "Plunge"),
    ({"abc_trend_min_amount": -1.0}, "Trend Minimum Amount"),
    ({"abc_trend_min_orders": -1}, "Trend Minimum Orders"),
    ({"abc_coupon_cooldown_days": -1}, "Coupon Cooldown"),
]

ACCEPTED = [
    {"abc_threshold_a": 0.02, "abc_threshold_b": 0.01, "abc_threshold_c": 0.0},
    {"abc_share_a": 0.01, "abc_share_b": 99.98},
    {"abc_share_a": 80.0, "abc_share_b": 19.99},
    {"abc_at_risk_days": 89, "abc_churn_days": 90},
    {"abc_new_days": 1},
    {"abc_plunge_pct": 100.0, "abc_surge_pct": 0.01},
    {"abc_trend_min_orders": 0, "abc_trend_min_amount": 0.0},
    {"abc_coupon_cooldown_days": 0},
]


@tagged("post_install", "-at_install")
class TestSettings(CustomerAbcCase):
    def test_defaults_of_a_new_company(self):
        company = self.env["res.company"].create({"name": "Fresh Co"})
        for field, value in DEFAULTS.items():
            with self.subTest(field=field):
                self.assertEqual(company[field], value)

    @mute_logger("odoo.sql_db")
    def test_every_refusal_names_the_field_and_saves_nothing(self):
        company = self.env["res.company"].create({"name": "Strict Co"})
        for vals, field_name in REFUSED:
            with self.subTest(vals=vals):
                with self.assertRaises(ValidationError) as caught:
                    with self.env.cr.savepoint():
                        company.write(vals)
                        company.flush_recordset()
                self.assertIn(field_name, str(caught.exception))
                company.invalidate_recordset()
                for field, value in DEFAULTS.items():
                    self.assertEqual(company[field], value, f"{field} was changed by a refused write")

    def test_edge_values_are_accepted(self):
        company = self.env["res.company"].create({"name": "Edgy Co"})
        for vals in ACCEPTED:
            with self.subTest(vals=vals):
                company.write(vals)
                company.flush_recordset()
                for field, value in vals.items():
                    self.assertEqual(company[field], value)
                company.write({field: DEFAULTS[field] for field in vals})

    def test_settings_form_writes_the_current_company(self):
        with Form(self.env["res.config.settings"].with_user(self.env.user)) as form:
            form.abc_method = "share"
            form.abc_share_a = 25.0
            form.abc_share_b = 55.0
            form.abc_period = "quarter"
        form.save().execute()
        self.assertEqual(self.company.abc_method, "share")
        self.assertEqual((self.company.abc_share_a, self.company.abc_share_b), (25.0, 55.0))
        self.assertEqual(self.company.abc_period, "quarter")

    @mute_logger("odoo.sql_db")
    def test_settings_form_refuses_and_keeps_the_old_values(self):
        with self.assertRaisesRegex(ValidationError, "Threshold A"):
            with self.env.cr.savepoint():
                settings = self.env["res.config.settings"].create(
                    {"abc_threshold_a": 1000.0, "abc_threshold_b": 2000.0, "abc_threshold_c": 500.0}
                )
                settings.execute()
                self.env.flush_all()
        self.company.invalidate_recordset()
        self.assertEqual((self.company.abc_threshold_a, self.company.abc_threshold_b), (100000.0, 50000.0))

    def test_refusals_are_translated(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        company = self.env["res.company"].create({"name": "Lang Co"})
        with self.assertRaises(ValidationError) as caught:
            with self.env.cr.savepoint():
                company.with_context(lang="zh_CN").write({"abc_share_a": 0.0})
                company.flush_recordset()
        self.assertIn("A", str(caught.exception))
        self.assertTrue(any("\u4e00" <= char <= "\u9fff" for char in str(caught.exception)), caught.exception)
