import logging
import math
from datetime import timedelta

import pandas as pd
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..analytics import uplift
from ..services import reader, sql
from .customer_abc_history import GRADE_SELECTION

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "sales_team.group_sale_manager"

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
#: treated customers got the action; held-out ones (the control group) were
#: drawn by :func:`..analytics.uplift.holdout` and got nothing
ACTION_GROUPS = [
    ("treated", "Treated"),
    ("held_out", "Held out"),
]
#: the playbooks that draw a control group (a visit logged by hand has none)
CONTROLLED_SOURCES = ("followup", "coupon")


def _json_value(value):
    """A cell of the uplift table as plain JSON: NaN (a figure of an empty
    group) -> None, numpy scalars -> Python numbers."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


class CustomerAbcAction(models.Model):
    """One playbook action on a customer (a follow-up visit or call, a
    logged visit, a coupon) and whether it paid: did the customer order
    within the win-back window, and how much.

    Rows are created by the playbook; their outcome is (re)computed in bulk
    by the daily classification (:meth:`_abc_evaluate`).  A *held-out* row
    records a customer who qualified for the action but was drawn into the
    control group and got nothing: its outcome is measured the same way, so
    that :meth:`get_uplift_data` can tell what the action itself changed.
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
    group = fields.Selection(
        ACTION_GROUPS,
        default="treated",
        required=True,
        readonly=True,
        help="Treated: the customer got the action. Held out: the customer qualified but was drawn into the "
        "control group and got nothing; the outcome is measured the same way, for comparison.",
    )
    holdout_pct = fields.Float(
        string="Control Group (%)",
        digits=(5, 2),
        readonly=True,
        help="Share of the qualifying customers held out when this action was decided; 0: no control group was "
        "drawn, and the action is left out of the uplift.",
    )

    def write(self, vals):
        """Playbook results are measured by the job, never typed in."""
        if not self.env.su:
            raise AccessError(self.env._("Playbook results are written by the playbook and the classification only."))
        return super().write(vals)

    # ------------------------------------------------------------
    # RESULTS: treated against held out
    # ------------------------------------------------------------

    @api.model
    @api.readonly
    def get_uplift_data(self):
        """What the playbook changed, for ``env.company``, sales managers only:
        per kind of action and previous grade, treated against held-out
        customers (see :func:`..analytics.uplift.uplift_table`), counting the
        follow-ups and coupons decided with a control group (``holdout_pct``
        > 0: treated customers of a run without one have no comparison)
        whose win-back window has closed (the outcome of a running window is
        not known yet).

        :return: JSON-ready dict: ``currency_id``, ``company`` (name),
            ``holdout_pct`` (the company's share), ``min_outcomes``,
            ``running`` (actions whose window is still open) and ``rows``:
            one dict per row of the table, money in company currency (no
            longer minor units), ``None`` for a figure that needs an empty
            group, plus ``kind_label``, ``grade_label`` and ``verdict``
            (``more`` / ``fewer`` / ``unclear`` / ``not_enough``) with its
            ``verdict_label``, all translated
        :raise AccessError: for a user who is not a sales manager
        """
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise AccessError(self.env._("Only sales managers may see the uplift of the playbook."))
        company = self.env.company
        today = fields.Date.context_today(self)
        domain = [("company_id", "=", company.id), ("source", "in", CONTROLLED_SOURCES), ("holdout_pct", ">", 0)]
        frame = self._uplift_frame(company, [*domain, ("window_end", "<", today)])
        scale = 10**company.currency_id.decimal_places
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        rows = []
        for record in uplift.uplift_table(frame).to_dict("records"):
            row = {key: _json_value(value) for key, value in record.items()}
            for key in ("treated_amount", "held_out_amount"):
                row[key] = row[key] / scale
            for key in ("treated_amount_per_customer", "held_out_amount_per_customer", "amount_uplift_per_customer"):
                row[key] = None if row[key] is None else row[key] / scale
            row["enough"] = bool(row["enough"])
            row["is_total"] = bool(row["is_total"])
            row["kind_label"] = kinds.get(row["kind"], row["kind"])
            row["grade_label"] = self._uplift_grade_label(row)
            row["verdict"], row["verdict_label"] = self._uplift_verdict(row)
            rows.append(row)
        return {
            "currency_id": company.currency_id.id,
            "company": company.name,
            "holdout_pct": company.abc_holdout_pct,
            "min_outcomes": uplift.MIN_OUTCOMES,
            "running": self.search_count([*domain, ("window_end", ">=", today)]),
            "rows": rows,
        }

    def _uplift_frame(self, company, domain):
        """The frame :func:`..analytics.uplift.uplift_table` reads: one row
        per action of ``domain`` the user may read (kind, previous grade,
        group, won back, amount won back in minor units), in one query."""
        query = self._search(domain)
        scale = 10**company.currency_id.decimal_places

        def column(fname):
            return self._field_to_sql(query.table, fname, query)  # flushes the field before the query

        rows = self.env.execute_query(
            query.select(
                column("kind"),
                column("previous_grade"),
                column("group"),
                SQL("COALESCE(%s, 0)", column("won_back")),
                SQL("ROUND(COALESCE(%s, 0) * %s)::bigint", column("won_amount"), scale),
            )
        )
        return pd.DataFrame(rows, columns=["kind", "previous_grade", "group", "won_back", "won_amount"])

    def _uplift_grade_label(self, row):
        if row["is_total"]:
            return self.env._("All grades")
        if not row["previous_grade"]:
            return self.env._("No previous grade")
        return self.env._("Was %(grade)s", grade=row["previous_grade"])

    def _uplift_verdict(self, row):
        """``(key, label)``: what the 95 % interval of the uplift says."""
        if not row["enough"]:
            return "not_enough", self.env._("Not enough customers to conclude")
        if row["ci_low_pp"] > 0:
            return "more", self.env._("Wins back more customers")
        if row["ci_high_pp"] < 0:
            return "fewer", self.env._("Wins back fewer customers")
        return "unclear", self.env._("No clear difference")

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
    def _abc_evaluate(self, company, today, states, tz_name, replica=None):
        """Outcome of every action of ``company`` not settled yet or whose
        window closed recently: confirmed orders of the customer (or its
        contacts) dated in [date, window end], in company currency, and
        whether the coupon was used on a confirmed order.  The orders are
        read in one statement on the read replica when ``replica`` (a
        context manager factory giving a read-only cursor of the replica or
        None, see ``customer.abc.classifier._replica_source``) gives one, into
        a temporary table, else directly by the update on the primary.  An
        action the replica has not replayed yet is measured by the next run."""
        self.env["sale.order"].flush_model()
        self.env["sale.order.line"].flush_model()
        self.flush_model()
        local_date = sql.local_date(SQL("so.date_order"), tz_name)
        outcome = SQL(
            """
            SELECT a.id,
                   COUNT(so.id) AS orders,
                   COALESCE(SUM(%(amount)s), 0) AS amount,
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
            """,
            local_date=local_date,
            amount=sql.company_amount("so"),
            states=tuple(states),
            company=company.id,
            # a late-confirmed or cancelled order can still change a recently closed window
            since=today - timedelta(days=company.abc_winback_days),
        )
        spool = None
        if replica is not None:
            # read and closed before the primary writes (in test mode both cursors share one connection)
            with replica() as source:
                if source is not None:
                    spool = reader.copy_out(source, outcome)
        if spool is None:
            outcomes = SQL("(%s)", outcome)
        else:
            self.env.cr.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS customer_abc_outcome "
                "(id int4, orders int8, amount numeric, first_date date, redeemed bool) ON COMMIT DROP"
            )
            self.env.cr.execute("TRUNCATE customer_abc_outcome")
            reader.copy_in(self.env.cr, spool, "customer_abc_outcome")
            outcomes = SQL("customer_abc_outcome")
        self.env.cr.execute(
            SQL(
                """
                UPDATE customer_abc_action a
                   SET won_order_count = o.orders,
                       won_amount = ROUND(o.amount, %(digits)s),
                       won_back = CASE WHEN o.orders > 0 THEN 1 ELSE 0 END,
                       win_rate = CASE WHEN o.orders > 0 THEN 100 ELSE 0 END,
                       first_order_date = o.first_date,
                       coupon_redeemed = CASE WHEN o.redeemed THEN 1 ELSE 0 END,
                       state = CASE WHEN o.orders > 0 THEN 'won' WHEN a.window_end < %(today)s THEN 'lost'
                                    ELSE 'open' END
                  FROM %(outcomes)s o
                 WHERE o.id = a.id AND a.company_id = %(company)s
                   AND (a.won_order_count, a.won_amount, a.first_order_date, a.coupon_redeemed, a.state)
                       IS DISTINCT FROM
                       (o.orders, ROUND(o.amount, %(digits)s), o.first_date,
                        CASE WHEN o.redeemed THEN 1 ELSE 0 END,
                        CASE WHEN o.orders > 0 THEN 'won' WHEN a.window_end < %(today)s THEN 'lost' ELSE 'open' END)
                """,
                outcomes=outcomes,
                company=company.id,
                today=today,
                digits=company.currency_id.decimal_places,
            )
        )
        self.invalidate_model()

    # ------------------------------------------------------------
    # BUSINESS: follow-ups of the nightly run
    # ------------------------------------------------------------

    @api.model
    def _abc_schedule_followups(self, company, settings, scope_table=None, replica=None):
        """Schedule a follow-up for every customer graded D in the period
        that had a grade before: a Visit when it was A or B, a phone call when
        it was C or D.  At most one per customer and period (a follow-up of
        the period is a playbook row), never while one of the same kind is
        open; assigned to the salesperson, else the sales team leader, else
        the company's fallback user (a customer with none of them is looked
        at again by the next run).  ``scope_table`` (the customers a scoped
        run read) limits the candidates: nothing changed for the others since
        the last run.  ``replica`` (see :meth:`_abc_evaluate`) reads the
        customers' last orders for their team leaders on the read replica.

        Of the customers who qualify, ``company.abc_holdout_pct`` % are held
        out (see :meth:`_followup_holdouts`): they get no activity and are
        recorded as held-out rows of the same kind, window and period, which
        also locks them for the period.  Returns the count of activities."""
        if not company.abc_followup:
            return 0
        start = settings.period_bounds[0]
        # a scoped run drives the query from its few customers
        scope = SQL("JOIN %s s ON s.partner_id = pr.partner_id", SQL.identifier(scope_table)) if scope_table else SQL()
        candidates = self.env.execute_query(
            SQL(
                """
                SELECT pr.id, pr.partner_id, pr.previous_grade, p.user_id
                  FROM customer_abc_profile pr
                  %(scope)s
                  JOIN res_partner p ON p.id = pr.partner_id
                 WHERE pr.company_id = %(company)s AND pr.active AND pr.grade = 'D' AND pr.previous_grade IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM customer_abc_action a
                                    WHERE a.company_id = %(company)s AND a.partner_id = pr.partner_id
                                      AND a.source = 'followup' AND a.period_start = %(start)s)
                """,
                company=company.id,
                start=start,
                scope=scope,
            )
        )
        if not candidates:
            return 0
        visit = self.env.ref("customer_abc.mail_activity_type_visit")
        call = self.env.ref("mail.mail_activity_data_call")
        leaders = self._abc_team_leaders(company, [row[1] for row in candidates if not row[3]], replica=replica)
        fallback_id = company.abc_followup_user_id.id
        assignable, unassigned = [], 0
        for profile_id, partner_id, previous, salesperson_id in candidates:
            kind = visit if previous in ("A", "B") else call
            user_id = salesperson_id or leaders.get(partner_id) or fallback_id
            if user_id:
                assignable.append((profile_id, kind, user_id, partner_id))
            else:
                unassigned += 1
        # Odoo 19 archives a done activity by a pending write: flush it before reading
        self.env["mail.activity"].flush_model(["active", "res_model", "res_id", "activity_type_id"])
        open_pairs = set(
            self.env.execute_query(
                SQL(
                    """
                    SELECT res_id, activity_type_id FROM mail_activity
                     WHERE active AND res_model = 'res.partner' AND res_id = ANY(%s) AND activity_type_id IN %s
                    """,
                    [row[3] for row in assignable],
                    (visit.id, call.id),
                )
            )
            if assignable
            else []
        )
        todo = [row for row in assignable if (row[3], row[1].id) not in open_pairs]
        held = self._followup_holdouts(company, [row[3] for row in todo], start)
        treated = [row[:3] for row in todo if row[3] not in held]
        held_out = [row[:3] for row in todo if row[3] in held]
        activities = self._abc_create_followups(company, treated, settings)
        self._log_followup_holdouts(company, held_out, settings)
        if todo:
            # held-out customers are locked for the period too: a rerun never re-draws them
            self.env.cr.execute(
                SQL(
                    "UPDATE customer_abc_profile SET followup_period_start = %s WHERE id = ANY(%s)",
                    start,
                    [row[0] for row in todo],
                )
            )
            self.env["customer.abc.profile"].invalidate_model(["followup_period_start"])
        if unassigned:
            _logger.info(
                "customer_abc: %s: %d customers fell to D without salesperson, team leader or fallback user",
                company.name,
                unassigned,
            )
        return len(activities)

    @api.model
    def _followup_holdouts(self, company, partner_ids, period_start):
        """The ``partner_ids`` held out of the follow-ups of the period
        starting on ``period_start`` (a set): ``company.abc_holdout_pct`` %
        of them, drawn by :func:`..analytics.uplift.holdouts` with the
        period start in ISO form (``"2024-02-01"``) as period key, so the
        draw depends on company, customer and period only, never on the
        order or the number of the candidates."""
        share = company.abc_holdout_pct
        if not partner_ids or not share:
            return set()
        frame = pd.DataFrame(
            {"company_id": company.id, "partner_id": partner_ids, "period_key": period_start.isoformat()}
        )
        drawn = uplift.holdouts(frame, share)
        return set(frame.loc[drawn, "partner_id"].tolist())

    def _abc_create_followups(self, company, todo, settings):
        """Create the follow-up activities ``todo`` ((profile id, activity
        type, user id)) with their playbook rows, in bulk and without
        notification e-mails (a nightly job must not flood inboxes)."""
        if not todo:
            return self.env["mail.activity"]
        model_id = self.env["ir.model"]._get_id("res.partner")
        profiles = self.env["customer.abc.profile"].browse([profile_id for profile_id, _kind, _user in todo])
        users = self.env["res.users"].browse({user_id for _profile, _kind, user_id in todo})
        activity_vals, action_vals = [], []
        for profile, (_profile_id, kind, user_id) in zip(profiles, todo, strict=True):
            user = users.browse(user_id)
            localized = self.with_context(lang=user.lang)
            activity_vals.append(
                {
                    "res_model_id": model_id,
                    "res_id": profile.partner_id.id,
                    "activity_type_id": kind.id,
                    "user_id": user_id,
                    "summary": localized._abc_followup_summary(kind),
                    "note": localized._abc_followup_note(profile.with_context(lang=user.lang), settings),
                    "date_deadline": kind._get_date_deadline(),
                    "automated": True,
                }
            )
            action_vals.append(self._prepare_followup_values(company, profile, kind, user_id, settings))
        activities = self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(activity_vals)
        for vals, activity in zip(action_vals, activities, strict=True):
            vals["activity_id"] = activity.id
        self._abc_log(action_vals)
        return activities

    def _log_followup_holdouts(self, company, todo, settings):
        """Record the held-out customers ``todo`` ((profile id, activity type,
        user id)) as held-out playbook rows of the follow-up they would have
        got: no activity, no notification, the same win-back window."""
        if not todo:
            return self.browse()
        profiles = self.env["customer.abc.profile"].browse([profile_id for profile_id, _kind, _user in todo])
        return self._abc_log(
            [
                self._prepare_followup_values(company, profile, kind, user_id, settings, group="held_out")
                for profile, (_profile_id, kind, user_id) in zip(profiles, todo, strict=True)
            ]
        )

    def _prepare_followup_values(self, company, profile, kind, user_id, settings, group="treated"):
        """Values of the playbook row of a follow-up of ``profile`` (``kind``
        an activity type, the visit or the call), drawn with the company's
        control group share."""
        visit = self.env.ref("customer_abc.mail_activity_type_visit")
        return {
            "company_id": company.id,
            "partner_id": profile.partner_id.id,
            "kind": "visit" if kind == visit else "call",
            "source": "followup",
            "group": group,
            "date": settings.today,
            "user_id": user_id,
            "previous_grade": profile.previous_grade,
            "grade": "D",
            "period_start": settings.period_bounds[0],
            "holdout_pct": company.abc_holdout_pct,
        }

    def _abc_team_leaders(self, company, partner_ids, replica=None):
        """``{partner_id: user id}``: the leader of the sales team of each
        customer's most recent order with the company, read on the read
        replica when ``replica`` (see :meth:`_abc_evaluate`) gives one."""
        if not partner_ids:
            return {}
        # only orders of a team with a leader can give one (none configured: no order is read)
        self.env["crm.team"].flush_model(["user_id"])
        led = [row[0] for row in self.env.execute_query(SQL("SELECT id FROM crm_team WHERE user_id IS NOT NULL"))]
        if not led:
            return {}
        query = SQL(
            """
            SELECT DISTINCT ON (p.commercial_partner_id) p.commercial_partner_id, team.user_id
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
              JOIN crm_team team ON team.id = so.team_id
             WHERE p.commercial_partner_id = ANY(%s) AND so.company_id = %s AND so.team_id = ANY(%s)
          ORDER BY p.commercial_partner_id, so.date_order DESC
            """,
            partner_ids,
            company.id,
            led,
        )
        if replica is not None:
            self.env["sale.order"].flush_model()
            with replica() as source:
                if source is not None:
                    source.execute(query)
                    return dict(source.fetchall())
        return dict(self.env.execute_query(query))

    def _abc_followup_summary(self, kind):
        if kind == self.env.ref("customer_abc.mail_activity_type_visit"):
            return self.env._("Visit: customer fell to grade D")
        return self.env._("Call: customer fell to grade D")

    def _abc_followup_note(self, profile, settings):
        """Why the follow-up of ``profile`` exists, in the language of the context."""
        start = settings.period_bounds[0]
        period = f"{start:%Y-%m}" if settings.period == "month" else f"{start.year} Q{(start.month - 1) // 3 + 1}"
        lines = [
            self.env._(
                "Grade %(previous)s in the period before, D in %(period)s.",
                previous=profile.previous_grade,
                period=period,
            ),
            self.env._(
                "Amount in %(period)s: %(amount)s (before: %(previous_amount)s).",
                period=period,
                amount=profile.currency_id.format(profile.period_amount),
                previous_amount=profile.currency_id.format(profile.previous_amount),
            ),
            self.env._("Last order: %(date)s.", date=profile.last_order_date)
            if profile.last_order_date
            else self.env._("No order yet."),
            profile.company_id._abc_strategy("D"),
        ]
        return Markup("<br/>").join(lines)
