from odoo import fields, models


class ResConfigSettings(models.TransientModel):
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
    abc_followup_user_id = fields.Many2one(related="company_id.abc_followup_user_id", readonly=False)
    abc_winback_days = fields.Integer(related="company_id.abc_winback_days", readonly=False)
    abc_strategy_a = fields.Char(related="company_id.abc_strategy_a", readonly=False)
    abc_strategy_b = fields.Char(related="company_id.abc_strategy_b", readonly=False)
    abc_strategy_c = fields.Char(related="company_id.abc_strategy_c", readonly=False)
    abc_strategy_d = fields.Char(related="company_id.abc_strategy_d", readonly=False)
