from datetime import datetime

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    # grading
    abc_method = fields.Selection(
        selection=[("fixed", "Fixed thresholds"), ("share", "Cumulative share")],
        string="ABC Method",
        default="fixed",
        required=True,
    )
    abc_period = fields.Selection(
        selection=[("month", "Month"), ("quarter", "Quarter")],
        string="ABC Period",
        default="month",
        required=True,
    )
    abc_threshold_a = fields.Monetary(string="Threshold A", currency_field="currency_id", default=100000.0)
    abc_threshold_b = fields.Monetary(string="Threshold B", currency_field="currency_id", default=50000.0)
    abc_threshold_c = fields.Monetary(string="Threshold C", currency_field="currency_id", default=10000.0)
    abc_share_a = fields.Float(string="Share A (%)", digits=(5, 2), default=20.0)
    abc_share_b = fields.Float(string="Share B (%)", digits=(5, 2), default=60.0)

    # lifecycle
    abc_new_days = fields.Integer(string="New Customer Days", default=30)
    abc_at_risk_days = fields.Integer(string="Active Days", default=60)
    abc_churn_days = fields.Integer(string="Churn Days", default=90)
    abc_lifecycle_adaptive = fields.Boolean(string="Adaptive Lifecycle")
    abc_adaptive_at_risk_factor = fields.Float(string="Adaptive At-Risk Factor", digits=(4, 2), default=2.0)
    abc_adaptive_churn_factor = fields.Float(string="Adaptive Churn Factor", digits=(4, 2), default=3.0)

    # trend alerts
    abc_trend_days = fields.Integer(string="Trend Window (days)", default=30)
    abc_surge_pct = fields.Float(string="Surge (%)", digits=(6, 2), default=100.0)
    abc_plunge_pct = fields.Float(string="Plunge (%)", digits=(5, 2), default=50.0)
    abc_trend_min_amount = fields.Monetary(string="Trend Minimum Amount", currency_field="currency_id", default=0.0)
    abc_trend_min_orders = fields.Integer(string="Trend Minimum Orders", default=1)

    # playbook
    abc_followup = fields.Boolean(string="Follow-up Activities", default=True)
    abc_followup_user_id = fields.Many2one(
        "res.users",
        string="Fallback Follow-up User",
        help="Gets the follow-ups of customers that have neither a salesperson nor a sales team leader.",
    )
    abc_coupon_cooldown_days = fields.Integer(string="Coupon Cooldown (days)", default=30)
    abc_winback_days = fields.Integer(
        string="Win-back Window (days)",
        default=30,
        help="A follow-up or a coupon counts as a win when the customer orders within this many days.",
    )
    abc_strategy_a = fields.Char(string="Strategy A", translate=True, help="Empty: the default text.")
    abc_strategy_b = fields.Char(string="Strategy B", translate=True, help="Empty: the default text.")
    abc_strategy_c = fields.Char(string="Strategy C", translate=True, help="Empty: the default text.")
    abc_strategy_d = fields.Char(string="Strategy D", translate=True, help="Empty: the default text.")

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("abc_threshold_a", "abc_threshold_b", "abc_threshold_c")
    def _check_abc_thresholds(self):
        for company in self:
            fmt = company.currency_id.format if company.currency_id else str
            if company.abc_threshold_c < 0:
                raise ValidationError(
                    self.env._(
                        "Threshold C (%(c)s) cannot be negative.",
                        c=fmt(company.abc_threshold_c),
                    )
                )
            if company.abc_threshold_b <= company.abc_threshold_c:
                raise ValidationError(
                    self.env._(
                        "Threshold B (%(b)s) must be greater than threshold C (%(c)s).",
                        b=fmt(company.abc_threshold_b),
                        c=fmt(company.abc_threshold_c),
                    )
                )
            if company.abc_threshold_a <= company.abc_threshold_b:
                raise ValidationError(
                    self.env._(
                        "Threshold A (%(a)s) must be greater than threshold B (%(b)s).",
                        a=fmt(company.abc_threshold_a),
                        b=fmt(company.abc_threshold_b),
                    )
                )

    @api.constrains("abc_share_a", "abc_share_b")
    def _check_abc_shares(self):
        for company in self:
            if company.abc_share_a <= 0:
                raise ValidationError(
                    self.env._("Share A (%(share)s %%) must be greater than 0.", share=company.abc_share_a)
                )
            if company.abc_share_b <= 0:
                raise ValidationError(
                    self.env._("Share B (%(share)s %%) must be greater than 0.", share=company.abc_share_b)
                )
            if company.abc_share_a + company.abc_share_b >= 100:
                raise ValidationError(
                    self.env._(
                        "Share A + Share B (%(a)s %% + %(b)s %%) must stay below 100 %%, "
                        "so that class C keeps some customers.",
                        a=company.abc_share_a,
                        b=company.abc_share_b,
                    )
                )

    @api.constrains(
        "abc_new_days",
        "abc_at_risk_days",
        "abc_churn_days",
        "abc_adaptive_at_risk_factor",
        "abc_adaptive_churn_factor",
    )
    def _check_abc_lifecycle(self):
        for company in self:
            if company.abc_new_days <= 0:
                raise ValidationError(
                    self.env._("New Customer Days (%(days)s) must be greater than 0.", days=company.abc_new_days)
                )
            if company.abc_at_risk_days <= 0:
                raise ValidationError(
                    self.env._("Active Days (%(days)s) must be greater than 0.", days=company.abc_at_risk_days)
                )
            if company.abc_at_risk_days >= company.abc_churn_days:
                raise ValidationError(
                    self.env._(
                        "Active Days (%(active)s) must be fewer than Churn Days (%(churn)s).",
                        active=company.abc_at_risk_days,
                        churn=company.abc_churn_days,
                    )
                )
            if company.abc_adaptive_at_risk_factor <= 0:
                raise ValidationError(
                    self.env._(
                        "Adaptive At-Risk Factor (%(factor)s) must be greater than 0.",
                        factor=company.abc_adaptive_at_risk_factor,
                    )
                )
            if company.abc_adaptive_churn_factor <= company.abc_adaptive_at_risk_factor:
                raise ValidationError(
                    self.env._(
                        "Adaptive Churn Factor (%(churn)s) must be greater than Adaptive At-Risk Factor (%(risk)s).",
                        churn=company.abc_adaptive_churn_factor,
                        risk=company.abc_adaptive_at_risk_factor,
                    )
                )

    @api.constrains(
        "abc_trend_days",
        "abc_surge_pct",
        "abc_plunge_pct",
        "abc_trend_min_amount",
        "abc_trend_min_orders",
    )
    def _check_abc_trend(self):
        for company in self:
            if company.abc_trend_days <= 0:
                raise ValidationError(
                    self.env._("Trend Window (%(days)s days) must be greater than 0.", days=company.abc_trend_days)
                )
            if company.abc_surge_pct <= 0:
                raise ValidationError(
                    self.env._("Surge (%(pct)s %%) must be greater than 0.", pct=company.abc_surge_pct)
                )
            if not 0 < company.abc_plunge_pct <= 100:
                raise ValidationError(
                    self.env._(
                        "Plunge (%(pct)s %%) must be greater than 0 and at most 100.", pct=company.abc_plunge_pct
                    )
                )
            if company.abc_trend_min_amount < 0:
                raise ValidationError(
                    self.env._(
                        "Trend Minimum Amount (%(amount)s) cannot be negative.", amount=company.abc_trend_min_amount
                    )
                )
            if company.abc_trend_min_orders < 0:
                raise ValidationError(
                    self.env._(
                        "Trend Minimum Orders (%(orders)s) cannot be negative.", orders=company.abc_trend_min_orders
                    )
                )

    @api.constrains("abc_coupon_cooldown_days", "abc_winback_days")
    def _check_abc_playbook(self):
        for company in self:
            if company.abc_coupon_cooldown_days < 0:
                raise ValidationError(
                    self.env._(
                        "Coupon Cooldown (%(days)s days) cannot be negative.", days=company.abc_coupon_cooldown_days
                    )
                )
            if company.abc_winback_days <= 0:
                raise ValidationError(
                    self.env._("Win-back Window (%(days)s days) must be greater than 0.", days=company.abc_winback_days)
                )

    # ------------------------------------------------------------
    # TOOLING
    # ------------------------------------------------------------

    def _abc_strategy(self, grade):
        """The playbook line for ``grade`` in the current language: the
        company's own text when set, else the default one."""
        self.ensure_one()
        if not grade:
            return False
        return self[f"abc_strategy_{grade.lower()}"] or self._abc_default_strategies()[grade]

    def _abc_default_strategies(self):
        return {
            "A": self.env._("Keep: priority service, regular visits, protect the relationship."),
            "B": self.env._("Grow: widen the range they buy, aim for grade A."),
            "C": self.env._("Convert: bigger, regular orders with volume offers."),
            "D": self.env._("Win back: call or visit, find out why, offer a coupon."),
        }

    def _abc_today(self):
        """Today in the company's timezone."""
        self.ensure_one()
        return datetime.now(pytz.timezone(self._abc_timezone())).date()

    def _abc_timezone(self):
        """Timezone name used for period boundaries and order ages: the
        company's (its partner's) timezone when set, else UTC."""
        self.ensure_one()
        return self.partner_id.tz or "UTC"
