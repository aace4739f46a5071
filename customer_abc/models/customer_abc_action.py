from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .customer_abc_history import GRADE_SELECTION

ACTION_KINDS = [
    ("visit", "Visit"),
    ("call", "Phone call"),
    ("coupon", "Coupon"),
]
ACTION_STATES = [
    ("open", "Waiting"),
    ("won", "Won back"),
    ("lost", "Not won back"),
]


class CustomerAbcAction(models.Model):
    """One playbook action on a customer (a follow-up visit or call, a
    logged visit, a coupon) and whether it paid: did the customer order
    within the win-back window, and how much.

    Rows are created by the playbook; their outcome is (re)computed in bulk
    by the daily classification (:meth:`_abc_evaluate`).
    """

    _name = "customer.abc.action"
    _description = "Customer Playbook Action"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind = fields.Selection(ACTION_KINDS, required=True, readonly=True, index=True)
    source = fields.Selection(
        [("followup", "Follow-up after a fall to D"), ("manual", "Logged by hand"), ("coupon", "Coupon wizard")],
        required=True,
        readonly=True,
    )
    date = fields.Date(required=True, readonly=True, help="Day the action was taken (scheduled, logged or issued).")
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True, index=True)
    previous_grade = fields.Selection(GRADE_SELECTION, readonly=True, help="Grade before the customer fell to D.")
    grade = fields.Selection(GRADE_SELECTION, string="Grade at Action", readonly=True)
    period_start = fields.Date(readonly=True, help="Graded period that triggered a follow-up.")
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")
    done_date = fields.Date(readonly=True, help="Day the follow-up activity was marked done.")
    loyalty_card_id = fields.Many2one("loyalty.card", string="Coupon", readonly=True, ondelete="set null")
    window_end = fields.Date(readonly=True, help="Last day of the win-back window.")
    state = fields.Selection(ACTION_STATES, default="open", required=True, readonly=True, index=True)
    won_back = fields.Integer(
        string="Customers Won Back", readonly=True, help="1 when the customer ordered within the window."
    )
    win_rate = fields.Float(
        string="Win-back Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="100 when won back, 0 otherwise; its average is the win-back rate.",
    )
    won_amount = fields.Monetary(
        string="Revenue Won Back", currency_field="currency_id", readonly=True, help="Untaxed, company currency."
    )
    won_order_count = fields.Integer(string="Orders Won Back", readonly=True)
    first_order_date = fields.Date(string="First Order After", readonly=True)
    coupon_redeemed = fields.Integer(string="Coupons Redeemed", readonly=True, help="1 when the coupon was used.")
    actions_count = fields.Integer(string="Actions Taken", default=1, readonly=True)

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _abc_log(self, vals_list):
        """Create action rows (``vals_list`` without the window, which is
        derived from each company's win-back setting)."""
        for vals in vals_list:
            company = self.env["res.company"].browse(vals["company_id"])
            day = fields.Date.to_date(vals["date"])
            vals.setdefault("window_end", day + timedelta(days=company.abc_winback_days - 1))
        return self.sudo().create(vals_list)

    @api.model
    def _abc_evaluate(self, company, today, states, tz_name):
        """Outcome of every action of ``company`` not settled yet or whose
        window closed recently, in one statement: confirmed orders of the customer
        (or its contacts) dated in [date, window end], in company currency,
        and whether the coupon was used on a confirmed order."""
        self.env["sale.order"].flush_model()
        self.env["sale.order.line"].flush_model()
        self.flush_model()
        local_date = SQL("((so.date_order AT TIME ZONE 'UTC') AT TIME ZONE %s)::date", tz_name)
        self.env.cr.execute(
            SQL(
                """
                WITH outcome AS (
                    SELECT a.id,
                           COUNT(so.id) AS orders,
                           COALESCE(SUM(so.amount_untaxed / CASE COALESCE(so.currency_rate, 0) WHEN 0 THEN 1.0
                                                                  ELSE so.currency_rate END), 0) AS amount,
                           MIN(%(local_date)s) AS first_date,
                           EXISTS (SELECT 1 FROM sale_order_line sol JOIN sale_order used ON used.id = sol.order_id
                                    WHERE a.loyalty_card_id IS NOT NULL AND sol.coupon_id = a.loyalty_card_id
                                      AND used.state IN %(states)s) AS redeemed
                      FROM customer_abc_action a
                      LEFT JOIN res_partner p ON p.commercial_partner_id = a.partner_id
                      LEFT JOIN sale_order so ON so.partner_id = p.id AND so.company_id = a.company_id
                                             AND so.state IN %(states)s
                                             AND %(local_date)s BETWEEN a.date AND a.window_end
                     WHERE a.company_id = %(company)s
                       AND (a.state = 'open' OR a.window_end >= %(since)s)
                  GROUP BY a.id
                )
                UPDATE customer_abc_action a
                   SET won_order_count = o.orders,
                       won_amount = ROUND(o.amount, %(digits)s),
                       won_back = CASE WHEN o.orders > 0 THEN 1 ELSE 0 END,
                       win_rate = CASE WHEN o.orders > 0 THEN 100 ELSE 0 END,
                       first_order_date = o.first_date,
                       coupon_redeemed = CASE WHEN o.redeemed THEN 1 ELSE 0 END,
                       state = CASE WHEN o.orders > 0 THEN 'won' WHEN a.window_end < %(today)s THEN 'lost'
                                    ELSE 'open' END
                  FROM outcome o
                 WHERE o.id = a.id
                   AND (a.won_order_count, a.won_amount, a.first_order_date, a.coupon_redeemed, a.state)
                       IS DISTINCT FROM
                       (o.orders, ROUND(o.amount, %(digits)s), o.first_date,
                        CASE WHEN o.redeemed THEN 1 ELSE 0 END,
                        CASE WHEN o.orders > 0 THEN 'won' WHEN a.window_end < %(today)s THEN 'lost' ELSE 'open' END)
                """,
                local_date=local_date,
                states=tuple(states),
                company=company.id,
                # a late-confirmed or cancelled order can still change a recently closed window
                since=today - timedelta(days=company.abc_winback_days),
                today=today,
                digits=company.currency_id.decimal_places,
            )
        )
        self.invalidate_model()
