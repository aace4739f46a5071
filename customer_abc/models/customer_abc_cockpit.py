"""Data of the OWL screens: the cockpit, the comparison of the grading
methods and the portrait of one customer.

One public, read-only method per screen returns a JSON-ready dict; the
JavaScript only renders it.  Everything is read with the user's
environment, so record rules decide what a salesman sees, and set-based:
one aggregate per figure, never one query per customer.
"""

from datetime import datetime, time, timedelta

import numpy as np
import pandas as pd
import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .. import compat
from ..analytics import cockpit, grading, lifecycle, periods, portrait, rfm, rhythm
from ..services import sql

MANAGER_GROUP = "sales_team.group_sale_manager"
ALL_DOCUMENTS_GROUP = "sales_team.group_sale_salesman_all_leads"

#: the share of customers whose share of sales the Pareto chart writes out
PARETO_TOP_PCT = 20.0
#: periods of the lifecycle chart
LIFECYCLE_PERIODS = 12
#: rows of the cockpit's customer lists
TOP_CUSTOMERS = 10
DIFFER_LIMIT = 50
#: portrait: months of the trend, completed periods looked at for usual items
PORTRAIT_MONTHS = 24
USUAL_PERIODS = 6
USUAL_MIN_PERIODS = 3
PORTRAIT_TOP_PRODUCTS = 10
PORTRAIT_TOP_CATEGORIES = 8

# The filters of the analysis list (search view customer_abc_profile_view_search)
# and of the history list (customer_abc_history_view_search) the tiles count:
# filter name -> (domain, field summed for the tile).  A test holds them equal
# to the views' filters, so a tile's count is the count of the list it opens.
PROFILE_SEGMENTS = {
    "lifecycle_active": ([("lifecycle", "=", "active")], None),
    "lifecycle_at_risk": ([("lifecycle", "=", "at_risk")], None),
    "lifecycle_churned": ([("lifecycle", "=", "churned")], None),
    "lifecycle_never": ([("lifecycle", "=", "never")], None),
    "lifecycle_new": ([("lifecycle", "=", "new")], None),
    "grade_a": ([("grade", "=", "A")], "period_amount"),
    "grade_b": ([("grade", "=", "B")], "period_amount"),
    "grade_c": ([("grade", "=", "C")], "period_amount"),
    "grade_d": ([("grade", "=", "D")], "period_amount"),
    "upgraded": ([("grade_change", "=", "up")], None),
    "downgraded": ([("grade_change", "=", "down")], None),
    "amount_surge": ([("amount_trend", "=", "surge")], None),
    "amount_plunge": ([("amount_trend", "=", "plunge")], None),
    "frequency_surge": ([("frequency_trend", "=", "surge")], None),
    "frequency_plunge": ([("frequency_trend", "=", "plunge")], None),
    "overdue": ([("is_overdue", "=", True)], "overdue_amount"),
    "late": ([("is_late", "=", True)], None),
}
HISTORY_SEGMENTS = {
    "grade_a": ([("grade", "=", "A")], "amount"),
    "grade_b": ([("grade", "=", "B")], "amount"),
    "grade_c": ([("grade", "=", "C")], "amount"),
    "grade_d": ([("grade", "=", "D")], "amount"),
    "upgraded": ([("grade_change", "=", "up")], None),
    "downgraded": ([("grade_change", "=", "down")], None),
}
#: segments that belong to the selected period (the others are "as of today")
PERIOD_SEGMENTS = tuple(HISTORY_SEGMENTS)


class CustomerAbcCockpit(models.AbstractModel):
    """Read-only figures of the cockpit and the portrait, for ``env.company``."""

    _name = "customer.abc.cockpit"
    _description = "Customer ABC Cockpit"

    # ------------------------------------------------------------
    # PUBLIC: screens
    # ------------------------------------------------------------

    def _cockpit_header(self, company, scope, period_start):
        """Stored periods, the picked one, and the keys every screen starts with."""
        stored = self._cockpit_periods(company)
        period = self._cockpit_pick_period(stored, period_start)
        data = {
            "company": company.name,
            "currency_id": company.currency_id.id,
            "scope": scope,
            "periods": [self._cockpit_period_json(item) for item in stored],
            "period": self._cockpit_period_json(period) if period else None,
            "empty": not period,
            "status": self.env["customer.abc.run"]._abc_status(company),
        }
        return stored, period, data

    @api.model
    @api.readonly
    def get_cockpit_data(self, period_start=None, scope="all"):
        """Everything the cockpit shows, for ``env.company``.

        :param period_start: ISO date of a stored period (default: the latest)
        :param scope: ``"all"`` (every customer the user may read) or
            ``"mine"`` (customers whose salesperson is the user)
        :return: JSON-ready dict: ``periods`` (newest first), ``period``,
            ``sections`` of tiles, ``grade_chart``, ``pareto``, ``matrix``,
            ``rfm_grid`` (as of today, see :meth:`_cockpit_rfm_grid`),
            ``lifecycle_trend``, ``top_customers``, ``comparison``; ``empty``
            when nothing was graded yet.  Money in company currency.
        """
        company = self.env.company
        scope = self._cockpit_scope(scope)
        stored, period, data = self._cockpit_header(company, scope, period_start)
        data.update(
            {
                "partial": self._cockpit_partial(scope),
                "can_classify": self.env.user.has_group(MANAGER_GROUP),
                "latest": bool(period) and period == stored[0],
            }
        )
        if not period:
            return data
        latest = data["latest"]
        today_figures = self._cockpit_profile_figures(company, scope)
        period_figures = today_figures if latest else self._cockpit_history_figures(company, scope, period)
        frame = self._cockpit_period_frame(company, scope, period, latest)
        data.update(
            {
                "sections": self._cockpit_sections(today_figures, period_figures),
                "grade_chart": self._cockpit_grade_chart(period_figures),
                "pareto": self._cockpit_pareto(company, frame),
                "matrix": self._cockpit_matrix(
                    company, scope, period, latest, next((item for item in stored if item[0] < period[0]), None)
                ),
                "rfm_grid": self._cockpit_rfm_grid(company, scope),
                "lifecycle_trend": self._cockpit_lifecycle_trend(company, scope, stored, period),
                "top_customers": self._cockpit_top_customers(company, frame),
                "comparison": self._comparison_figures(company, frame, None),
            }
        )
        return data

    @api.model
    @api.readonly
    def get_comparison_data(self, period_start=None, scope="all", settings=None):
        """The two grading methods side by side on one stored period.

        :param settings: optional dict of values to try instead of the
            company's (``threshold_a``, ``threshold_b``, ``threshold_c`` in
            company currency, ``share_a``, ``share_b`` in percent), e.g. the
            unsaved values of the settings form; nothing is written
        :return: JSON-ready dict with ``periods``, ``period``, ``empty`` and
            ``comparison`` (see :meth:`_comparison_figures`)
        """
        company = self.env.company
        scope = self._cockpit_scope(scope)
        stored, period, data = self._cockpit_header(company, scope, period_start)
        if period:
            frame = self._cockpit_period_frame(company, scope, period, period == stored[0])
            data["comparison"] = self._comparison_figures(company, frame, settings)
            data["comparison"]["partial"] = self._cockpit_partial(scope)
        return data

    @api.model
    @api.readonly
    def action_open_segment(self, segment, period_start=None, scope="all", previous_grade=False, grade=False):
        """The list behind a tile or a cell of the transition matrix.

        Grade and change segments of a past period open the grade history of
        that period; everything else opens the analysis list (profiles, as of
        today), filtered with the list's own filter ``segment`` (``search_default_``)
        so that the user sees, and may remove, the facet.  ``segment ==
        "transition"`` selects ``previous_grade`` -> ``grade`` instead.
        """
        company = self.env.company
        scope = self._cockpit_scope(scope)
        stored = self._cockpit_periods(company)
        period = self._cockpit_pick_period(stored, period_start)
        past = bool(period) and period != stored[0]
        context = {}
        if segment == "transition":
            extra = [("previous_grade", "=", previous_grade or False), ("grade", "=", grade)]
        elif segment in PROFILE_SEGMENTS or segment in HISTORY_SEGMENTS:
            extra = []
            context[f"search_default_{segment}"] = 1
        else:
            raise ValueError(f"unknown cockpit segment {segment!r}")
        if past and (segment == "transition" or segment in PERIOD_SEGMENTS):
            action = self.env["ir.actions.act_window"]._for_xml_id("customer_abc.customer_abc_history_action")
            action["domain"] = self._cockpit_history_domain(company, scope, period[0]) + extra
        else:
            action = self.env["ir.actions.act_window"]._for_xml_id("customer_abc.customer_abc_profile_action")
            action["domain"] = [("company_id", "=", company.id), *extra]
            if scope == "mine":
                context["search_default_my_customers"] = 1
        action["context"] = context
        return action

    @api.model
    @api.readonly
    def action_open_rfm_cell(self, r_score, f_score, scope="all"):
        """The analysis list (profiles, as of today) of the customers in the
        cell ``(r_score, f_score)`` of the cockpit's R x F grid, for
        ``env.company`` and ``scope`` (``"mine"`` switches the list's "My
        Customers" filter on, as the tiles do).

        :param r_score: recency score, 1 to 5
        :param f_score: frequency score, 1 to 5
        :raise ValueError: for a score outside 1-5 (score 0 is not on the grid)
        """
        r_score, f_score = int(r_score), int(f_score)
        if r_score not in rfm.SCORES or f_score not in rfm.SCORES:
            raise ValueError(f"no R x F cell R{r_score} F{f_score}")
        company = self.env.company
        scope = self._cockpit_scope(scope)
        segment = rfm.segment_grid()[(r_score, f_score)]
        labels = self._cockpit_rfm_labels()
        action = self.env["ir.actions.act_window"]._for_xml_id("customer_abc.customer_abc_profile_action")
        action["domain"] = [("company_id", "=", company.id), ("r_score", "=", r_score), ("f_score", "=", f_score)]
        action["context"] = {"search_default_my_customers": 1} if scope == "mine" else {}
        action["display_name"] = self.env._(
            "R %(r_score)s · F %(f_score)s: %(segment)s", r_score=r_score, f_score=f_score, segment=labels[segment]
        )
        return action

    @api.model
    @api.readonly
    def action_open_portrait(self, partner_id):
        """Client action of the portrait of ``partner_id``'s commercial partner."""
        partner = self.env["res.partner"].browse(int(partner_id)).commercial_partner_id
        action = self.env["ir.actions.actions"]._for_xml_id("customer_abc.customer_abc_portrait_action")
        action["params"] = {"partner_id": partner.id}
        action["display_name"] = partner.display_name
        return action

    @api.model
    @api.readonly
    def get_portrait_data(self, partner_id):
        """Everything the portrait of one customer shows, for ``env.company``.

        Orders: confirmed (``sale.report._get_done_states()``), of the
        customer's commercial partner and its contacts, until today, amounts
        untaxed in company currency (each order at its own rate), dates in the
        company's timezone.  Preferences leave out reward, down-payment and
        section/note lines.

        :return: JSON-ready dict: ``partner``, ``kpis`` (with ``rfm`` and
            ``next_order`` as of the last run, see :meth:`_portrait_rfm` and
            :meth:`_portrait_next_order`), ``monthly`` (24
            months ending with the current one), ``weekdays`` (Monday first),
            ``products`` and ``categories`` (last 24 months), ``usual_items``
            (bought in at least 3 of the last 6 completed periods, not in the
            running one), ``history`` (grade timeline, oldest first)
        """
        company = self.env.company
        partner = self.env["res.partner"].browse(int(partner_id)).exists().commercial_partner_id
        if not partner:
            return {"missing": True}
        tz_name = company._abc_timezone()
        today = datetime.now(pytz.utc).astimezone(pytz.timezone(tz_name)).date()
        months = portrait.month_starts(today, PORTRAIT_MONTHS)
        kind = company.abc_period
        completed = periods.last_completed_periods(today, kind, USUAL_PERIODS)
        current = (periods.period_start(today, kind), periods.period_end(periods.period_start(today, kind), kind))
        since = min(months[0], completed[0][0])
        orders = self._portrait_orders(company, partner, tz_name, today)
        lines = self._portrait_lines(company, partner, tz_name, today, since)
        recent = lines[lines["local_date"] >= months[0]] if len(lines) else lines
        recent_orders = orders[orders["local_date"] >= months[0]] if len(orders) else orders
        profile = self.env["customer.abc.profile"].search(
            [("company_id", "=", company.id), ("partner_id", "=", partner.id)], limit=1
        )
        return {
            "missing": False,
            "currency_id": company.currency_id.id,
            "today": today.isoformat(),
            "partner": self._portrait_partner(partner, profile),
            "kpis": self._portrait_kpis(company, orders, profile, today),
            "monthly": {
                "months": [month.isoformat() for month in months],
                **self._portrait_round(company, portrait.monthly_series(orders, months), "amounts"),
            },
            "weekdays": self._portrait_round(company, portrait.weekday_counts(recent_orders), "amounts"),
            "products": self._portrait_preferences(company, recent, "product_id", PORTRAIT_TOP_PRODUCTS),
            "categories": self._portrait_preferences(company, recent, "categ_id", PORTRAIT_TOP_CATEGORIES),
            "usual_items": self._portrait_usual_items(company, lines, completed, current),
            "usual_periods": {
                "completed": [self._cockpit_period_json(item) for item in completed],
                "current": self._cockpit_period_json(current),
                "min_periods": USUAL_MIN_PERIODS,
            },
            "history": self._portrait_history(company, partner),
        }

    # ------------------------------------------------------------
    # TOOLING: periods and scope
    # ------------------------------------------------------------

    def _cockpit_scope(self, scope):
        return "mine" if scope == "mine" else "all"

    def _cockpit_partial(self, scope):
        """Whether the figures cover only part of the company's customers."""
        return scope == "mine" or not self.env.user.has_group(ALL_DOCUMENTS_GROUP)

    def _cockpit_periods(self, company):
        """Stored periods of ``company`` that ended by today (company
        timezone) and that a finished run published, newest first, as
        ``(start, end)``.

        A loose index scan: one probe of the (company, period) index per
        period instead of reading every history row.  It bypasses record
        rules on purpose: the dates of the graded periods are a fact of the
        company (the user may read ``env.company``), not customer data, and a
        salesman picks among the same periods as his manager.  Model access
        is still checked.
        """
        self.env["customer.abc.history"].check_access("read")
        published = self.env["customer.abc.run"]._abc_published_period(company)
        if published is False:
            return []
        rows = self.env.execute_query(
            SQL(
                """
                WITH RECURSIVE stored AS (
                    (SELECT h.period_start, h.period_end FROM customer_abc_history h
                      WHERE h.company_id = %(company)s AND h.period_start < %(today)s AND h.period_end <= %(today)s
                        AND h.period_start <= %(published)s
                      ORDER BY h.period_start DESC LIMIT 1)
                    UNION ALL
                    SELECT n.period_start, n.period_end
                      FROM stored s
                     CROSS JOIN LATERAL (SELECT h.period_start, h.period_end FROM customer_abc_history h
                                          WHERE h.company_id = %(company)s AND h.period_start < s.period_start
                                          ORDER BY h.period_start DESC LIMIT 1) n
                )
                SELECT period_start, period_end FROM stored WHERE period_end <= %(today)s
                """,
                company=company.id,
                # periods that have not ended by the real today are never shown, nor those
                # of a run under way (published with the profiles at the end of the run)
                today=company._abc_today(),
                published=published or company._abc_today(),
            )
        )
        return [(start, end) for start, end in rows]

    def _cockpit_pick_period(self, stored, period_start):
        if not stored:
            return None
        wanted = fields.Date.to_date(period_start) if period_start else None
        return next((item for item in stored if item[0] == wanted), stored[0])

    def _cockpit_period_json(self, period):
        start, end = period
        months = (end.year - start.year) * 12 + end.month - start.month
        return {"start": start.isoformat(), "end": end.isoformat(), "kind": "quarter" if months == 3 else "month"}

    def _cockpit_profile_domain(self, company, scope):
        domain = [("company_id", "=", company.id)]
        if scope == "mine":
            domain.append(("user_id", "=", self.env.uid))
        return domain

    def _cockpit_history_domain(self, company, scope, start):
        domain = [("company_id", "=", company.id), ("period_start", "=", start)]
        if scope == "mine":
            domain.append(("partner_id.user_id", "=", self.env.uid))
        return domain

    # ------------------------------------------------------------
    # TOOLING: cockpit figures
    # ------------------------------------------------------------

    def _cockpit_segment_figures(self, model, query, segments, total_field):
        """Count (and sum) of every segment in one pass over ``query``.

        Each segment's condition is the SQL the ORM makes of its domain, so
        that the counts are those of ``search_count`` on the same domains.
        :return: ``{segment: {"count", "amount"}}`` plus ``"__all__"``
        """
        table = query.table
        columns = [SQL("COUNT(*)"), SQL("COALESCE(SUM(%s), 0)", SQL.identifier(table, total_field))]
        for domain, amount_field in segments.values():
            # sudo: the rules are in ``query`` already; only the domain's own condition is wanted
            condition = model.sudo().with_context(active_test=False)._search(domain).where_clause
            columns.append(SQL("COUNT(*) FILTER (WHERE %s)", condition))
            if amount_field:
                columns.append(
                    SQL("COALESCE(SUM(%s) FILTER (WHERE %s), 0)", SQL.identifier(table, amount_field), condition)
                )
        values = iter(self.env.execute_query(query.select(*columns))[0])
        figures = {"__all__": {"count": next(values), "amount": float(next(values))}}
        for name, (_domain, amount_field) in segments.items():
            figures[name] = {"count": next(values), "amount": float(next(values)) if amount_field else None}
        return figures

    def _cockpit_profile_figures(self, company, scope):
        Profile = self.env["customer.abc.profile"]
        query = Profile._search(self._cockpit_profile_domain(company, scope))
        return self._cockpit_segment_figures(Profile, query, PROFILE_SEGMENTS, "period_amount")

    def _cockpit_history_figures(self, company, scope, period):
        History = self.env["customer.abc.history"]
        query = History._search(self._cockpit_history_domain(company, scope, period[0]))
        return self._cockpit_segment_figures(History, query, HISTORY_SEGMENTS, "amount")

    def _cockpit_labels(self):
        env = self.env
        lifecycle_labels = dict(self.env["customer.abc.profile"]._fields["lifecycle"]._description_selection(self.env))
        return {
            "lifecycle_active": lifecycle_labels["active"],
            "lifecycle_at_risk": lifecycle_labels["at_risk"],
            "lifecycle_churned": lifecycle_labels["churned"],
            "lifecycle_never": lifecycle_labels["never"],
            "lifecycle_new": lifecycle_labels["new"],
            "grade_a": env._("A · Core customers"),
            "grade_b": env._("B · Important customers"),
            "grade_c": env._("C · Regular customers"),
            "grade_d": env._("D · Marginal or idle"),
            "upgraded": env._("Upgraded"),
            "downgraded": env._("Downgraded"),
            "amount_surge": env._("Amount surge"),
            "amount_plunge": env._("Amount plunge"),
            "frequency_surge": env._("Order surge"),
            "frequency_plunge": env._("Order plunge"),
            "overdue": env._("Overdue customers"),
            "late": env._("Late for usual order"),
        }

    def _cockpit_sections(self, today_figures, period_figures):
        """Tiles grouped as shown: lifecycle and alerts are as of today (the
        profiles), grades and changes belong to the selected period."""
        env = self.env
        labels = self._cockpit_labels()
        total = period_figures["__all__"]["amount"]
        tones = {
            "lifecycle_active": "success",
            "lifecycle_at_risk": "warning",
            "lifecycle_churned": "danger",
            "lifecycle_never": "secondary",
            "lifecycle_new": "info",
            "grade_a": "success",
            "grade_b": "info",
            "grade_c": "warning",
            "grade_d": "danger",
            "upgraded": "success",
            "downgraded": "danger",
            "amount_surge": "success",
            "amount_plunge": "danger",
            "frequency_surge": "success",
            "frequency_plunge": "danger",
            "overdue": "danger",
            "late": "warning",
        }

        def tile(name, figures, share=False):
            values = figures[name]
            return {
                "segment": name,
                "label": labels[name],
                "tone": tones[name],
                "count": values["count"],
                "amount": values["amount"],
                "share_pct": (values["amount"] * 100.0 / total if total else 0.0) if share else None,
            }

        return [
            {
                "key": "lifecycle",
                "title": env._("Lifecycle"),
                "as_of_today": True,
                "tiles": [
                    tile(name, today_figures)
                    for name in (
                        "lifecycle_active",
                        "lifecycle_at_risk",
                        "lifecycle_churned",
                        "lifecycle_never",
                        "lifecycle_new",
                    )
                ],
            },
            {
                "key": "grades",
                "title": env._("Grades of the period"),
                "as_of_today": False,
                "tiles": [
                    tile(name, period_figures, share=True) for name in ("grade_a", "grade_b", "grade_c", "grade_d")
                ],
            },
            {
                "key": "changes",
                "title": env._("Grade changes"),
                "as_of_today": False,
                "tiles": [tile(name, period_figures) for name in ("upgraded", "downgraded")],
            },
            {
                "key": "alerts",
                "title": env._("Alerts"),
                "as_of_today": True,
                "tiles": [
                    tile(name, today_figures)
                    for name in (
                        "amount_surge",
                        "amount_plunge",
                        "frequency_surge",
                        "frequency_plunge",
                        "overdue",
                        "late",
                    )
                ],
            },
        ]

    def _cockpit_grade_chart(self, figures):
        total = figures["__all__"]["amount"]
        rows = [figures[f"grade_{grade.lower()}"] for grade in grading.GRADES]
        return {
            "grades": list(grading.GRADES),
            "counts": [row["count"] for row in rows],
            "amounts": [row["amount"] for row in rows],
            "share_pcts": [row["amount"] * 100.0 / total if total else 0.0 for row in rows],
            "customers": figures["__all__"]["count"],
            "total": total,
        }

    def _cockpit_period_frame(self, company, scope, period, latest=False):
        """The period's graded customers the user may read (for the
        ``latest`` period: the profiles, every current customer, as the
        grade tiles count them; else the period's history rows): ``partner_id``,
        ``amount`` (integer minor units), ``order_count``, ``grade`` (as
        stored), ranked by :func:`..analytics.grading.rank_shares` (``rank``,
        ``share_pct``, ``cumulative_share_pct``, ``amount_before``)."""
        if latest:
            # the latest period as the tiles count it: every current customer's profile
            Model = self.env["customer.abc.profile"]
            query = Model._search(self._cockpit_profile_domain(company, scope))
            amount, count = "period_amount", "period_order_count"
        else:
            Model = self.env["customer.abc.history"]
            query = Model._search(self._cockpit_history_domain(company, scope, period[0]))
            amount, count = "amount", "order_count"
        table = query.table
        scale = 10**company.currency_id.decimal_places
        rows = self.env.execute_query(
            query.select(
                SQL.identifier(table, "partner_id"),
                SQL("ROUND(COALESCE(%s, 0) * %s)::bigint", SQL.identifier(table, amount), scale),
                SQL("COALESCE(%s, 0)", SQL.identifier(table, count)),
                SQL.identifier(table, "grade"),
            )
        )
        # one 2-D array, then typed columns: much faster than DataFrame.from_records at 100k rows
        values = np.array(rows, dtype=object).reshape(len(rows), 4)
        frame = pd.DataFrame(
            {
                "partner_id": values[:, 0].astype(np.int64),
                "amount": values[:, 1].astype(np.int64),
                "order_count": values[:, 2].astype(np.int64),
                "grade": values[:, 3],
            }
        )
        return grading.rank_shares(frame)

    def _cockpit_money(self, company, minor_units):
        return int(minor_units) / 10**company.currency_id.decimal_places

    def _cockpit_pareto(self, company, frame):
        curve = cockpit.pareto_curve(frame, PARETO_TOP_PCT)
        return {
            "customers": curve["customers"],
            "total": self._cockpit_money(company, curve["total"]),
            "top_pct": PARETO_TOP_PCT,
            "top_count": curve["top_count"],
            "top_share_pct": curve["top_share_pct"],
            "curve": curve["curve"],
        }

    def _cockpit_matrix(self, company, scope, period, latest, previous_period=None):
        """Customers per (previous grade, grade) with their revenue of the
        previous period.  Latest period: the profiles (effective grades, as
        the analysis list); a past one: its history rows, and the rows of
        ``previous_period`` (the stored period before it) for the revenue."""
        if latest:
            Profile = self.env["customer.abc.profile"]
            query = Profile._search(self._cockpit_profile_domain(company, scope))
            table = query.table
            query.groupby = SQL("1, 2")
            rows = self.env.execute_query(
                query.select(
                    SQL.identifier(table, "previous_grade"),
                    SQL.identifier(table, "grade"),
                    SQL("COUNT(*)"),
                    SQL("COALESCE(SUM(%s), 0)", SQL.identifier(table, "previous_amount")),
                )
            )
        else:
            History = self.env["customer.abc.history"]
            query = History._search(self._cockpit_history_domain(company, scope, period[0]))
            table = SQL.identifier(query.table)
            # The previous row of each visible row is read without record
            # rules: it is the same customer of the same company, which the
            # rules (company, customer's salesperson) already let the user see.
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT %(table)s.previous_grade, %(table)s.grade, COUNT(*), COALESCE(SUM(prev.amount), 0)
                      FROM %(from_clause)s
                      LEFT JOIN customer_abc_history prev
                             ON prev.company_id = %(table)s.company_id
                            AND prev.partner_id = %(table)s.partner_id
                            AND prev.period_start = %(previous_start)s
                     WHERE %(where_clause)s
                  GROUP BY 1, 2
                    """,
                    table=table,
                    # no stored period right before: no previous revenue
                    previous_start=previous_period[0] if previous_period and previous_period[1] == period[0] else None,
                    from_clause=query.from_clause,
                    where_clause=query.where_clause,
                )
            )
        cells = {(previous or False, grade): (count, float(amount)) for previous, grade, count, amount in rows}
        grades = list(grading.GRADES)
        matrix_rows = []
        for previous in [*grades, False]:
            row_cells = [
                {
                    "grade": grade,
                    "count": cells.get((previous, grade), (0, 0.0))[0],
                    "amount": cells.get((previous, grade), (0, 0.0))[1],
                }
                for grade in grades
            ]
            matrix_rows.append(
                {
                    "previous_grade": previous,
                    "cells": row_cells,
                    "count": sum(cell["count"] for cell in row_cells),
                    "amount": sum(cell["amount"] for cell in row_cells),
                }
            )
        return {
            "grades": grades,
            "rows": matrix_rows,
            "max_count": max((cell["count"] for row in matrix_rows for cell in row["cells"]), default=0),
        }

    def _cockpit_rfm_labels(self):
        """``{segment key: label}`` of the RFM segments, in the user's language."""
        field = self.env["customer.abc.profile"]._fields["rfm_segment"]
        return dict(field._description_selection(self.env))

    def _cockpit_rfm_grid(self, company, scope):
        """Customers and their 12-month amount per cell of the R x F grid,
        as of the last run (the profiles), in one grouped read.

        :return: JSON-ready dict: ``rows`` (R 5 first), each ``{"r_score",
            "cells"}`` with cells F 1 to F 5 ``{"r_score", "f_score",
            "segment", "label", "count", "amount"}``; ``segments`` (legend, in
            :data:`..analytics.rfm.SEGMENTS` order: ``key``, ``label``,
            ``count``, ``amount``); ``customers`` and ``amount`` (the scored
            customers); ``unscored`` (customers without an order in the last
            12 months, score 0, not on the grid); ``max_count``.  Amounts are
            ``rfm_monetary`` sums, company currency.
        """
        groups = self.env["customer.abc.profile"]._read_group(
            self._cockpit_profile_domain(company, scope), ["r_score", "f_score"], ["__count", "rfm_monetary:sum"]
        )
        currency = company.currency_id
        cells, unscored = {}, 0
        for r_score, f_score, count, amount in groups:
            if r_score in rfm.SCORES and f_score in rfm.SCORES:
                cells[(r_score, f_score)] = (count, amount or 0.0)
            else:
                unscored += count
        grid = rfm.segment_grid()
        labels = self._cockpit_rfm_labels()
        rows = [
            {
                "r_score": r_score,
                "cells": [
                    {
                        "r_score": r_score,
                        "f_score": f_score,
                        "segment": grid[(r_score, f_score)],
                        "label": labels.get(grid[(r_score, f_score)], ""),
                        "count": cells.get((r_score, f_score), (0, 0.0))[0],
                        "amount": currency.round(cells.get((r_score, f_score), (0, 0.0))[1]),
                    }
                    for f_score in rfm.SCORES
                ],
            }
            for r_score in reversed(rfm.SCORES)
        ]
        segments = []
        for key, _label in rfm.SEGMENTS:
            owned = [cell for row in rows for cell in row["cells"] if cell["segment"] == key]
            segments.append(
                {
                    "key": key,
                    "label": labels.get(key, key),
                    "count": sum(cell["count"] for cell in owned),
                    "amount": currency.round(sum(cell["amount"] for cell in owned)),
                }
            )
        return {
            "scores": list(rfm.SCORES),
            "rows": rows,
            "segments": segments,
            "customers": sum(count for count, _amount in cells.values()),
            "amount": currency.round(sum(amount for _count, amount in cells.values())),
            "unscored": unscored,
            "max_count": max((count for count, _amount in cells.values()), default=0),
        }

    def _cockpit_lifecycle_trend(self, company, scope, stored, period):
        """Customers per lifecycle state at the end of each of the last
        periods up to the selected one (from the history)."""
        starts = [start for start, _end in stored if start <= period[0]][:LIFECYCLE_PERIODS]
        starts.reverse()
        domain = [("company_id", "=", company.id), ("period_start", "in", starts)]
        if scope == "mine":
            domain.append(("partner_id.user_id", "=", self.env.uid))
        query = self.env["customer.abc.history"]._search(domain)
        table = query.table
        query.groupby = SQL("1, 2")
        # plain columns (no date_trunc): PostgreSQL may answer from the
        # (company, period, lifecycle) index alone
        rows = self.env.execute_query(
            query.select(SQL.identifier(table, "period_start"), SQL.identifier(table, "lifecycle"), SQL("COUNT(*)"))
        )
        counts = {(start, state): count for start, state, count in rows}
        selection = self.env["customer.abc.history"]._fields["lifecycle"]._description_selection(self.env)
        return {
            "periods": [start.isoformat() for start in starts],
            "series": [
                {"state": state, "label": label, "counts": [counts.get((start, state), 0) for start in starts]}
                for state, label in selection
            ],
        }

    def _cockpit_partner_names(self, partner_ids):
        partners = self.env["res.partner"].browse(partner_ids)
        return {partner.id: partner.display_name for partner in partners}

    def _cockpit_top_customers(self, company, frame):
        buyers = frame[frame["rank"] > 0]
        top = buyers.nsmallest(TOP_CUSTOMERS, "rank")
        total = int(buyers["amount"].sum())
        names = self._cockpit_partner_names(top["partner_id"].tolist())
        return [
            {
                "partner_id": int(row.partner_id),
                "name": names.get(int(row.partner_id), ""),
                "grade": row.grade,
                "amount": self._cockpit_money(company, row.amount),
                "order_count": int(row.order_count),
                "share_pct": int(row.amount) * 100.0 / total if total else 0.0,
            }
            for row in top.itertuples()
        ]

    # ------------------------------------------------------------
    # TOOLING: method comparison
    # ------------------------------------------------------------

    def _comparison_settings(self, company, settings):
        """Thresholds (company currency), shares (percent) and the message
        the settings would refuse them with (or ``False``)."""
        settings = settings or {}
        values = {
            "abc_threshold_a": float(settings.get("threshold_a", company.abc_threshold_a) or 0.0),
            "abc_threshold_b": float(settings.get("threshold_b", company.abc_threshold_b) or 0.0),
            "abc_threshold_c": float(settings.get("threshold_c", company.abc_threshold_c) or 0.0),
            "abc_share_a": float(settings.get("share_a", company.abc_share_a) or 0.0),
            "abc_share_b": float(settings.get("share_b", company.abc_share_b) or 0.0),
        }
        error = False
        # the company's own constraints judge the values, on an unsaved copy
        probe = self.env["res.company"].new({"currency_id": company.currency_id.id, **values})
        try:
            probe._check_abc_thresholds()
            probe._check_abc_shares()
        except ValidationError as exc:
            error = exc.args[0]
        return values, error

    def _comparison_figures(self, company, frame, settings):
        """Counts and amounts per grade under fixed thresholds and under
        cumulative shares, the customers graded differently (largest amount
        first) and the fixed thresholds that reproduce the share split."""
        values, error = self._comparison_settings(company, settings)
        digits = company.currency_id.decimal_places
        thresholds = tuple(
            grading.to_minor_units(values[name], digits)
            for name in ("abc_threshold_a", "abc_threshold_b", "abc_threshold_c")
        )
        shares = (values["abc_share_a"], values["abc_share_b"])
        ranked = cockpit.compare_methods(frame, thresholds, shares)
        fixed = cockpit.grade_totals(ranked, "fixed_grade")
        share = cockpit.grade_totals(ranked, "share_grade")
        total = int(ranked.loc[ranked["amount"] > 0, "amount"].sum())

        def pct(amount):
            return amount * 100.0 / total if total else 0.0

        differ = ranked[ranked["fixed_grade"] != ranked["share_grade"]]
        differ = differ.sort_values(["amount", "partner_id"], ascending=[False, True])
        shown = differ.head(DIFFER_LIMIT)
        names = self._cockpit_partner_names(shown["partner_id"].tolist())
        suggestion = cockpit.suggest_thresholds(ranked, ranked["share_grade"])
        return {
            "method": company.abc_method,
            "thresholds": [values["abc_threshold_a"], values["abc_threshold_b"], values["abc_threshold_c"]],
            "shares": list(shares),
            "preview": bool(settings),
            "error": error,
            "customers": len(ranked),
            "total": self._cockpit_money(company, total),
            "rows": [
                {
                    "grade": grade,
                    "fixed_count": fixed[grade][0],
                    "fixed_amount": self._cockpit_money(company, fixed[grade][1]),
                    "fixed_share_pct": pct(fixed[grade][1]),
                    "share_count": share[grade][0],
                    "share_amount": self._cockpit_money(company, share[grade][1]),
                    "share_share_pct": pct(share[grade][1]),
                }
                for grade in grading.GRADES
            ],
            "differ_count": len(differ),
            "differ": [
                {
                    "partner_id": int(row.partner_id),
                    "name": names.get(int(row.partner_id), ""),
                    "amount": self._cockpit_money(company, row.amount),
                    "order_count": int(row.order_count),
                    "fixed_grade": row.fixed_grade,
                    "share_grade": row.share_grade,
                    "stored_grade": row.grade,
                }
                for row in shown.itertuples()
            ],
            "suggested": {
                "thresholds": [self._cockpit_money(company, value) for value in suggestion["thresholds"]],
                "valid": suggestion["valid"],
                "exact": suggestion["exact"],
                "available": bool(total),
            },
        }

    # ------------------------------------------------------------
    # TOOLING: portrait
    # ------------------------------------------------------------

    def _portrait_order_query(self, company, partner, today, tz_name):
        """The customer's confirmed orders in ``company`` until today (local),
        as the user may read them."""
        contacts = (
            self.env["res.partner"]
            .with_context(active_test=False)
            ._search([("commercial_partner_id", "=", partner.id)])
        )
        until = pytz.timezone(tz_name).localize(datetime.combine(today + timedelta(days=1), time.min))
        return self.env["sale.order"]._search(
            [
                ("company_id", "=", company.id),
                ("state", "in", self.env["sale.report"]._get_done_states()),
                ("partner_id", "in", contacts),
                ("date_order", "<", fields.Datetime.to_string(until.astimezone(pytz.utc))),
            ]
        )

    def _portrait_orders(self, company, partner, tz_name, today):
        """One row per order: ``local_date``, ``amount`` (company currency,
        rounded to the currency's digits like the classification does)."""
        query = self._portrait_order_query(company, partner, today, tz_name)
        table = query.table
        local_date = sql.local_date(SQL.identifier(table, "date_order"), tz_name)
        rows = self.env.execute_query(
            query.select(
                local_date,
                SQL("ROUND(%s, %s)", sql.company_amount(table), company.currency_id.decimal_places),
            )
        )
        frame = pd.DataFrame.from_records(rows, columns=["local_date", "amount"])
        frame["amount"] = frame["amount"].astype(float)
        return frame

    def _portrait_lines(self, company, partner, tz_name, today, since):
        """Order lines since ``since`` summed per product and order day:
        ``product_id``, ``categ_id``, ``local_date``, ``qty``, ``amount``
        (company currency).  Reward (loyalty), down-payment and section or
        note lines are left out: they are not something the customer chose."""
        orders = self._portrait_order_query(company, partner, today, tz_name)
        query = self.env["sale.order.line"]._search(
            [
                ("order_id", "in", orders),
                ("display_type", "=", False),
                ("is_downpayment", "=", False),
                ("reward_id", "=", False),
                ("product_id", "!=", False),
            ]
        )
        line = SQL.identifier(query.table)
        local_date = sql.local_date(SQL("so.date_order"), tz_name)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT %(line)s.product_id, pt.categ_id, %(local_date)s, SUM(%(line)s.product_uom_qty),
                       SUM(%(line)s.price_subtotal / %(rate)s)
                  FROM %(from_clause)s
                  JOIN sale_order so ON so.id = %(line)s.order_id
                  JOIN product_product pp ON pp.id = %(line)s.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE %(where_clause)s AND %(local_date)s >= %(since)s
              GROUP BY 1, 2, 3
                """,
                line=line,
                local_date=local_date,
                rate=sql.order_rate("so"),
                from_clause=query.from_clause,
                where_clause=query.where_clause,
                since=since,
            )
        )
        frame = pd.DataFrame.from_records(rows, columns=["product_id", "categ_id", "local_date", "qty", "amount"])
        return frame.astype({"qty": float, "amount": float})

    def _portrait_round(self, company, values, key):
        currency = company.currency_id
        return {**values, key: [currency.round(amount) for amount in values[key]]}

    def _portrait_partner(self, partner, profile):
        return {
            "id": partner.id,
            "name": partner.display_name,
            "city": partner.city or "",
            "state": partner.state_id.name or "",
            "country": partner.country_id.name or "",
            "salesperson": partner.user_id.name or "",
            # the phone, else (Odoo 18) the mobile
            "phone": partner.phone or compat.partner_number(partner) or "",
            "email": partner.email or "",
            "profile_id": profile.id or False,
        }

    def _portrait_kpis(self, company, orders, profile, today):
        currency = company.currency_id
        count = len(orders)
        amount = currency.round(float(orders["amount"].sum())) if count else 0.0
        first = min(orders["local_date"]) if count else None
        last = max(orders["local_date"]) if count else None
        months = portrait.months_active(first, today)
        gaps = lifecycle.median_gaps(
            pd.DataFrame({"partner_id": [0] * count, "order_date": list(orders["local_date"])})
        )

        def selection(name):
            value = profile[name] if profile else False
            label = dict(profile._fields[name]._description_selection(self.env)).get(value, "") if value else ""
            return value or False, label

        grade, _grade_label = selection("grade")
        previous_grade, _previous_label = selection("previous_grade")
        change, change_label = selection("grade_change")
        state, state_label = selection("lifecycle")
        return {
            "lifetime_amount": amount,
            "lifetime_orders": count,
            "average_order_value": currency.round(amount / count) if count else 0.0,
            "orders_per_month": count / months if months else 0.0,
            "months_active": months,
            "median_gap_days": float(gaps.iloc[0]) if len(gaps) else False,
            "days_since_last_order": (today - last).days if last else False,
            "first_order_date": first.isoformat() if first else False,
            "last_order_date": last.isoformat() if last else False,
            "grade": grade,
            "previous_grade": previous_grade,
            "grade_change": change,
            "grade_change_label": change_label,
            "lifecycle": state,
            "lifecycle_label": state_label,
            "playbook": self.env.company._abc_strategy(grade) or "",
            "graded_period": self._cockpit_period_json((profile.period_start, profile.period_end))
            if profile and profile.period_start and profile.period_end
            else False,
            "receivable_amount": profile.receivable_amount if profile else 0.0,
            "overdue_amount": profile.overdue_amount if profile else 0.0,
            "rfm": self._portrait_rfm(profile),
            "next_order": self._portrait_next_order(profile),
        }

    def _portrait_rfm(self, profile):
        """RFM of the profile, as of the last run: ``segment`` (key or
        False), ``segment_label``, ``code`` ("545", "" without scores),
        ``r_score``, ``f_score``, ``m_score`` (0: no order in 12 months),
        ``frequency`` (orders in 12 months), ``monetary`` (their amount,
        company currency)."""
        segment = profile.rfm_segment if profile else False
        return {
            "segment": segment or False,
            "segment_label": self._cockpit_rfm_labels().get(segment, "") if segment else "",
            "code": (profile.rfm_code if profile else "") or "",
            "r_score": profile.r_score if profile else 0,
            "f_score": profile.f_score if profile else 0,
            "m_score": profile.m_score if profile else 0,
            "frequency": profile.rfm_frequency if profile else 0,
            "monetary": profile.rfm_monetary if profile else 0.0,
        }

    def _portrait_next_order(self, profile):
        """Next expected order, as of the last run, and the lateness today.

        ``enough`` is False below :data:`..analytics.rhythm.MIN_ORDER_DAYS`
        order days (or without an expected date); then the dates and gaps are
        False.  Otherwise ``expected_date`` (ISO), ``median_gap_days``,
        ``gap_p25_days``, ``gap_p75_days`` (days between order days),
        ``days_late`` (negative while not due) and ``is_late`` (more than
        ``tolerance_days`` past the expected date)."""
        order_days = profile.order_day_count if profile else 0
        enough = bool(profile) and order_days >= rhythm.MIN_ORDER_DAYS and bool(profile.expected_order_date)
        return {
            "enough": enough,
            "order_day_count": order_days,
            "min_order_days": rhythm.MIN_ORDER_DAYS,
            "tolerance_days": self.env.company.abc_late_tolerance_days,
            "expected_date": profile.expected_order_date.isoformat() if enough else False,
            "median_gap_days": profile.median_gap_days if enough else False,
            "gap_p25_days": profile.gap_p25_days if enough else False,
            "gap_p75_days": profile.gap_p75_days if enough else False,
            "days_late": profile.days_late if enough else False,
            "is_late": profile.is_late if enough else False,
        }

    def _portrait_preferences(self, company, lines, key, limit):
        table = portrait.preferences(lines, key)
        currency = company.currency_id
        top = table.head(limit)
        model = "product.product" if key == "product_id" else "product.category"
        records = self.env[model].browse([int(value) for value in top[key]])
        names = {record.id: record.display_name for record in records}
        rest = table.iloc[limit:]
        return {
            "rows": [
                {
                    "id": int(row[key]),
                    "name": names.get(int(row[key]), ""),
                    "amount": currency.round(float(row["amount"])),
                    "qty": float(row["qty"]),
                    "days": int(row["days"]),
                    "share_pct": float(row["share_pct"]),
                }
                for _index, row in top.iterrows()
            ],
            "other_amount": currency.round(float(rest["amount"].sum())) if len(rest) else 0.0,
            "other_share_pct": float(rest["share_pct"].sum()) if len(rest) else 0.0,
        }

    def _portrait_usual_items(self, company, lines, completed, current):
        table = portrait.usual_items(lines, completed, current, USUAL_MIN_PERIODS)
        names = {
            record.id: record.display_name
            for record in self.env["product.product"].browse([int(value) for value in table["product_id"]])
        }
        currency = company.currency_id
        return [
            {
                "product_id": int(row["product_id"]),
                "name": names.get(int(row["product_id"]), ""),
                "periods": int(row["periods"]),
                "last_date": row["last_date"].isoformat(),
                "qty": float(row["qty"]),
                "amount": currency.round(float(row["amount"])),
            }
            for _index, row in table.iterrows()
        ]

    def _portrait_history(self, company, partner):
        rows = self.env["customer.abc.history"].search_read(
            [("company_id", "=", company.id), ("partner_id", "=", partner.id)],
            ["period_start", "period_end", "grade", "grade_change", "amount", "order_count", "lifecycle", "rank"],
            order="period_start asc",
        )
        return [
            {
                "start": row["period_start"].isoformat(),
                "end": row["period_end"].isoformat(),
                "grade": row["grade"],
                "grade_change": row["grade_change"],
                "amount": row["amount"],
                "order_count": row["order_count"],
                "lifecycle": row["lifecycle"],
                "rank": row["rank"],
            }
            for row in rows
        ]
