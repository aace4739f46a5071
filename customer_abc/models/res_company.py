from datetime import datetime

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError

#: upper bound of every day count (ten years): larger windows make no sense
#: for a nightly job and overflow date arithmetic
MAX_DAYS = 3650
#: upper bound of the surge percentage and the adaptive factors
MAX_PCT = 1000.0
MAX_FACTOR = 100.0
#: upper bound of the minimum number of orders of a trend window
MAX_ORDERS = 1_000_000
#: money settings must stay exact in integer minor units and in a float:
#: at most 2**53 minor units (90,071,992,547,409.91 for a two-decimal currency)
MAX_MINOR_UNITS = 2**53


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
    abc_holdout_pct = fields.Float(
        string="Control Group (%)",
        digits=(5, 2),
        default=10.0,
        help="Share of the customers who qualify for a follow-up that get none, chosen by a fixed hash of company, "
        "customer and period: the comparison group that shows whether follow-ups win customers back.",
    )
    # next expected order
    abc_late_tolerance_days = fields.Integer(
        string="Late Tolerance (days)",
        default=7,
        help="A regular customer is late for his usual order when today is more than this many days past the "
        "expected date of his next order.",
    )
    abc_strategy_a = fields.Char(string="Strategy A", translate=True, help="Empty: the default text.")
    abc_strategy_b = fields.Char(string="Strategy B", translate=True, help="Empty: the default text.")
    abc_strategy_c = fields.Char(string="Strategy C", translate=True, help="Empty: the default text.")
    abc_strategy_d = fields.Char(string="Strategy D", translate=True, help="Empty: the default text.")

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    def _abc_max_amount(self):
        """Largest money setting the company's currency represents exactly."""
        self.ensure_one()
        digits = self.currency_id.decimal_places if self.currency_id else 2
        return (MAX_MINOR_UNITS - 1) / 10**digits

    def _abc_check_amount_range(self, field_name, label):
        """Refuse a money setting beyond :meth:`_abc_max_amount`."""
        self.ensure_one()
        fmt = self.currency_id.format if self.currency_id else str
        if abs(self[field_name]) > self._abc_max_amount():
            raise ValidationError(
                self.env._(
                    "%(field)s (%(value)s) is too large: at most %(max)s.",
                    field=label,
                    value=fmt(self[field_name]),
                    max=fmt(self._abc_max_amount()),
                )
            )

    def _abc_check_days_range(self, value, label):
        if value > MAX_DAYS:
            raise ValidationError(
                self.env._(
                    "%(field)s (%(days)s days) cannot exceed %(max)s days.", field=label, days=value, max=MAX_DAYS
                )
            )

    @api.constrains("abc_threshold_a", "abc_threshold_b", "abc_threshold_c")
    def _check_abc_thresholds(self):
        for company in self:
            fmt = company.currency_id.format if company.currency_id else str
            company._abc_check_amount_range("abc_threshold_a", self.env._("Threshold A"))
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
            company._abc_check_days_range(company.abc_new_days, self.env._("New Customer Days"))
            company._abc_check_days_range(company.abc_churn_days, self.env._("Churn Days"))
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
            if company.abc_adaptive_churn_factor > MAX_FACTOR:
                raise ValidationError(
                    self.env._(
                        "Adaptive Churn Factor (%(factor)s) cannot exceed %(max)s.",
                        factor=company.abc_adaptive_churn_factor,
                        max=MAX_FACTOR,
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
            company._abc_check_days_range(company.abc_trend_days, self.env._("Trend Window"))
            if company.abc_surge_pct <= 0:
                raise ValidationError(
                    self.env._("Surge (%(pct)s %%) must be greater than 0.", pct=company.abc_surge_pct)
                )
            if company.abc_surge_pct > MAX_PCT:
                raise ValidationError(
                    self.env._("Surge (%(pct)s %%) cannot exceed %(max)s %%.", pct=company.abc_surge_pct, max=MAX_PCT)
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
            company._abc_check_amount_range("abc_trend_min_amount", self.env._("Trend Minimum Amount"))
            if company.abc_trend_min_orders > MAX_ORDERS:
                raise ValidationError(
                    self.env._(
                        "Trend Minimum Orders (%(orders)s) cannot exceed %(max)s.",
                        orders=company.abc_trend_min_orders,
                        max=MAX_ORDERS,
                    )
                )
            if company.abc_trend_min_orders < 0:
                raise ValidationError(
                    self.env._(
                        "Trend Minimum Orders (%(orders)s) cannot be negative.", orders=company.abc_trend_min_orders
                    )
                )

    @api.constrains(
        "abc_coupon_cooldown_days",
        "abc_winback_days",
        "abc_followup_user_id",
        "abc_holdout_pct",
        "abc_late_tolerance_days",
    )
    def _check_abc_playbook(self):
        for company in self:
            if not 0 <= company.abc_holdout_pct <= 50:
                raise ValidationError(
                    self.env._("Control Group (%(pct)s %%) must be between 0 and 50 %%.", pct=company.abc_holdout_pct)
                )
            company._abc_check_days_range(company.abc_late_tolerance_days, self.env._("Late Tolerance"))
            if company.abc_late_tolerance_days < 0:
                raise ValidationError(
                    self.env._(
                        "Late Tolerance (%(days)s days) cannot be negative.", days=company.abc_late_tolerance_days
                    )
                )
            company._abc_check_days_range(company.abc_coupon_cooldown_days, self.env._("Coupon Cooldown"))
            company._abc_check_days_range(company.abc_winback_days, self.env._("Win-back Window"))
            user = company.abc_followup_user_id.sudo()
            if user and (user.share or company not in user.company_ids):
                raise ValidationError(
                    self.env._(
                        "Fallback Follow-up User (%(user)s) must be an internal user of %(company)s.",
                        user=user.name,
                        company=company.name,
                    )
                )
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

    def _abc_write_settings(self, values):
        """Write the settings ``values`` (field name -> value as a form sends
        it) that differ from the stored ones, in one ``write`` so that the
        constraints judge them together.  Returns the names written."""
        self.ensure_one()
        changed = {}
        for name, value in values.items():
            field = self._fields[name]
            if field.convert_to_record(field.convert_to_cache(value, self), self) != self[name]:
                changed[name] = value
        if changed:
            self.write(changed)
        return set(changed)

    def _abc_currency_format(self):
        """Excel number format of the company's currency."""
        self.ensure_one()
        currency = self.currency_id
        number = "#,##0" + ("." + "0" * currency.decimal_places if currency.decimal_places else "")
        symbol = (currency.symbol or "").replace('"', "")
        return f'"{symbol}" {number}' if currency.position == "before" else f'{number} "{symbol}"'

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
