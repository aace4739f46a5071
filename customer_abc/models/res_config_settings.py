from odoo import api, fields, models

#: settings that change a period's grades or a profile's figures: saving a
#: new value regrades the company
GRADING_SETTINGS = frozenset(
    {
        "abc_method",
        "abc_period",
        "abc_threshold_a",
        "abc_threshold_b",
        "abc_threshold_c",
        "abc_share_a",
        "abc_share_b",
        "abc_new_days",
        "abc_at_risk_days",
        "abc_churn_days",
        "abc_lifecycle_adaptive",
        "abc_adaptive_at_risk_factor",
        "abc_adaptive_churn_factor",
        "abc_trend_days",
        "abc_surge_pct",
        "abc_plunge_pct",
        "abc_trend_min_amount",
        "abc_trend_min_orders",
    }
)


class ResConfigSettings(models.TransientModel):
    """The addon's settings: related fields on the current company.

    Odoo writes related fields one by one, and each write would be checked
    against the old values of the others (thresholds 300/200/100 refused when
    the old ones are 100,000/50,000/10,000).  :meth:`create` (what Save does)
    therefore writes the addon's values on the company together, in one
    ``write``, so that they are validated together: either all are saved or
    none is.
    """

    _inherit = "res.config.settings"

    abc_method = fields.Selection(related="company_id.abc_method", readonly=False)
    abc_period = fields.Selection(related="company_id.abc_period", readonly=False)
    abc_threshold_a = fields.Monetary(related="company_id.abc_threshold_a", readonly=False)
    abc_threshold_b = fields.Monetary(related="company_id.abc_threshold_b", readonly=False)
    abc_threshold_c = fields.Monetary(related="company_id.abc_threshold_c", readonly=False)
    abc_share_a = fields.Float(related="company_id.abc_share_a", readonly=False)
    abc_share_b = fields.Float(related="company_id.abc_share_b", readonly=False)
    abc_new_days = fields.Integer(related="company_id.abc_new_days", readonly=False)
    abc_at_risk_days = fields.Integer(related="company_id.abc_at_risk_days", readonly=False)
    abc_churn_days = fields.Integer(related="company_id.abc_churn_days", readonly=False)
    abc_lifecycle_adaptive = fields.Boolean(related="company_id.abc_lifecycle_adaptive", readonly=False)
    abc_adaptive_at_risk_factor = fields.Float(related="company_id.abc_adaptive_at_risk_factor", readonly=False)
    abc_adaptive_churn_factor = fields.Float(related="company_id.abc_adaptive_churn_factor", readonly=False)
    abc_trend_days = fields.Integer(related="company_id.abc_trend_days", readonly=False)
    abc_surge_pct = fields.Float(related="company_id.abc_surge_pct", readonly=False)
    abc_plunge_pct = fields.Float(related="company_id.abc_plunge_pct", readonly=False)
    abc_trend_min_amount = fields.Monetary(related="company_id.abc_trend_min_amount", readonly=False)
    abc_trend_min_orders = fields.Integer(related="company_id.abc_trend_min_orders", readonly=False)
    abc_followup = fields.Boolean(related="company_id.abc_followup", readonly=False)
    abc_coupon_cooldown_days = fields.Integer(related="company_id.abc_coupon_cooldown_days", readonly=False)
    abc_followup_user_id = fields.Many2one(
        related="company_id.abc_followup_user_id",
        readonly=False,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    abc_winback_days = fields.Integer(related="company_id.abc_winback_days", readonly=False)
    abc_holdout_pct = fields.Float(related="company_id.abc_holdout_pct", readonly=False)
    abc_late_tolerance_days = fields.Integer(related="company_id.abc_late_tolerance_days", readonly=False)
    abc_strategy_a = fields.Char(related="company_id.abc_strategy_a", readonly=False)
    abc_strategy_b = fields.Char(related="company_id.abc_strategy_b", readonly=False)
    abc_strategy_c = fields.Char(related="company_id.abc_strategy_c", readonly=False)
    abc_strategy_d = fields.Char(related="company_id.abc_strategy_d", readonly=False)

    @api.model_create_multi
    def create(self, vals_list):
        pending = [
            {name: vals.pop(name) for name in list(vals) if self._abc_is_company_setting(name)} for vals in vals_list
        ]
        records = super().create(vals_list)
        for record, values in zip(records, pending, strict=True):
            changed = record.company_id._abc_write_settings(values)
            if changed & GRADING_SETTINGS:
                record._abc_regrade()
        return records

    def _abc_regrade(self):
        """The grading rules changed: regrade the company's customers in the
        background (not in this request), and tell the user."""
        company = self.company_id
        self.env["customer.abc.classifier"].sudo()._request_run(company, "regrade")
        self.env.user._bus_send(
            "simple_notification",
            {
                "type": "info",
                "title": self.env._("Customer grading rules saved"),
                "message": self.env._(
                    "The customers of %(company)s are being regraded in the background; "
                    "you will be notified when it is done.",
                    company=company.name,
                ),
                "sticky": False,
            },
        )

    def _abc_is_company_setting(self, name):
        field = self._fields.get(name)
        return bool(name.startswith("abc_") and field and field.related and field.related.startswith("company_id."))
