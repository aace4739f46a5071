from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .. import compat
from .customer_abc_history import GRADE_CHANGE_SELECTION, GRADE_SELECTION, RFM_SEGMENT_SELECTION
from .customer_abc_profile import LIFECYCLE_SELECTION, TREND_SELECTION

#: grades are sales information: readable from "Sales: own documents" up
SALES_GROUP = "sales_team.group_sale_salesman"


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    # Read from the customer's profile in ``env.company`` (set on commercial
    # partners, who have the profiles), never stored on the partner: the
    # classification writes nothing on the partner table, and a manual override
    # shows at once.  Searchable, and groupable and sortable in lists through
    # :meth:`_field_to_sql` (a subquery on the profile).
    abc_grade = fields.Selection(
        GRADE_SELECTION,
        string="ABC Grade",
        compute="_compute_abc_profile_fields",
        search="_search_abc_grade",
        groups=SALES_GROUP,
    )
    abc_previous_grade = fields.Selection(
        GRADE_SELECTION,
        string="Previous ABC Grade",
        compute="_compute_abc_profile_fields",
        search="_search_abc_previous_grade",
        groups=SALES_GROUP,
    )
    abc_grade_change = fields.Selection(
        GRADE_CHANGE_SELECTION,
        string="ABC Grade Change",
        compute="_compute_abc_profile_fields",
        search="_search_abc_grade_change",
        groups=SALES_GROUP,
    )
    abc_lifecycle = fields.Selection(
        LIFECYCLE_SELECTION,
        string="Lifecycle",
        compute="_compute_abc_profile_fields",
        search="_search_abc_lifecycle",
        groups=SALES_GROUP,
    )
    abc_amount_trend = fields.Selection(
        TREND_SELECTION,
        string="Amount Trend",
        compute="_compute_abc_profile_fields",
        search="_search_abc_amount_trend",
        groups=SALES_GROUP,
    )
    abc_frequency_trend = fields.Selection(
        TREND_SELECTION,
        string="Order Trend",
        compute="_compute_abc_profile_fields",
        search="_search_abc_frequency_trend",
        groups=SALES_GROUP,
    )
    abc_strategy = fields.Char(string="ABC Strategy", compute="_compute_abc_strategy", groups=SALES_GROUP)
    abc_profile_id = fields.Many2one(
        "customer.abc.profile",
        string="ABC Profile",
        compute="_compute_abc_profile_id",
        compute_sudo=False,
        groups=SALES_GROUP,
    )
    # RFM and the next expected order: read from the profile (not mirrored, nothing to write nightly)
    abc_rfm_segment = fields.Selection(
        RFM_SEGMENT_SELECTION, string="RFM Segment", compute="_compute_abc_rfm", groups=SALES_GROUP
    )
    abc_rfm_code = fields.Char(string="RFM Code", compute="_compute_abc_rfm", groups=SALES_GROUP)
    abc_expected_order_date = fields.Date(string="Next Expected Order", compute="_compute_abc_rfm", groups=SALES_GROUP)
    abc_is_late = fields.Boolean(string="Late for Usual Order", compute="_compute_abc_rfm", groups=SALES_GROUP)
    abc_history_ids = fields.One2many(
        "customer.abc.history",
        string="ABC Grade History",
        compute="_compute_abc_profile_id",
        compute_sudo=False,
        groups=SALES_GROUP,
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    def _compute_abc_profile_id(self):
        """Profile and history of the commercial partner in ``env.company``."""
        commercial = self.commercial_partner_id
        company = self.env.company
        profiles = self.env["customer.abc.profile"].search(
            [("company_id", "=", company.id), ("partner_id", "in", commercial.ids)]
        )
        by_partner = {profile.partner_id.id: profile for profile in profiles}
        history = self.env["customer.abc.history"].search(
            [("company_id", "=", company.id), ("partner_id", "in", commercial.ids)]
        )
        for partner in self:
            partner_id = partner.commercial_partner_id.id
            partner.abc_profile_id = by_partner.get(partner_id, False)
            partner.abc_history_ids = history.filtered(lambda row, pid=partner_id: row.partner_id.id == pid)

    @api.depends_context("company")
    def _compute_abc_profile_fields(self):
        """The grade fields of each partner's own profile in ``env.company``
        (read as the job wrote them: the fields' groups already say who may
        read them)."""
        field_map = self._abc_profile_field_map()
        profiles = (
            self.env["customer.abc.profile"]
            .sudo()
            .search_read(
                [("company_id", "=", self.env.company.id), ("partner_id", "in", self.ids)],
                ["partner_id", *field_map.values()],
            )
        )
        by_partner = {row["partner_id"][0]: row for row in profiles}
        for partner in self:
            row = by_partner.get(partner.id, {})
            for partner_field, profile_field in field_map.items():
                partner[partner_field] = row.get(profile_field, False)

    @api.depends_context("company")
    def _compute_abc_rfm(self):
        for partner in self:
            profile = partner.abc_profile_id
            partner.abc_rfm_segment = profile.rfm_segment
            partner.abc_rfm_code = profile.rfm_code
            partner.abc_expected_order_date = profile.expected_order_date
            partner.abc_is_late = profile.is_late

    @api.depends_context("company", "lang")
    def _compute_abc_strategy(self):
        company = self.env.company
        for partner in self:
            partner.abc_strategy = company._abc_strategy(partner.commercial_partner_id.abc_grade)

    # ------------------------------------------------------------
    # SEARCH, GROUP BY, ORDER BY
    # ------------------------------------------------------------

    def _search_abc_grade(self, operator, value):
        return self._search_abc_profile_field("abc_grade", operator, value)

    def _search_abc_previous_grade(self, operator, value):
        return self._search_abc_profile_field("abc_previous_grade", operator, value)

    def _search_abc_grade_change(self, operator, value):
        return self._search_abc_profile_field("abc_grade_change", operator, value)

    def _search_abc_lifecycle(self, operator, value):
        return self._search_abc_profile_field("abc_lifecycle", operator, value)

    def _search_abc_amount_trend(self, operator, value):
        return self._search_abc_profile_field("abc_amount_trend", operator, value)

    def _search_abc_frequency_trend(self, operator, value):
        return self._search_abc_profile_field("abc_frequency_trend", operator, value)

    def _search_abc_profile_field(self, fname, operator, value):
        """Domain on the partners whose profile in ``env.company`` has the
        grade field ``fname`` compared by ``operator`` (``=``, ``!=``, ``in``,
        ``not in``) to ``value``; a partner without profile has no value."""
        compat.check_field_read_access(self, fname)
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(
                self.env._(
                    "Operator %(operator)s is not supported on %(field)s.",
                    operator=operator,
                    field=self._fields[fname].string,
                )
            )
        values = [value] if isinstance(value, str) or not hasattr(value, "__iter__") else list(value)
        wanted = [item for item in values if item]
        with_empty = len(wanted) < len(values)
        column = self._abc_profile_field_map()[fname]
        Profile = self.env["customer.abc.profile"].sudo()
        company = [("company_id", "=", self.env.company.id)]
        matching = Profile._search([*company, (column, "in", wanted)]).subselect("partner_id")
        domain = [("id", "in", matching)]
        if with_empty:
            valued = Profile._search([*company, (column, "!=", False)]).subselect("partner_id")
            domain = ["|", ("id", "in", matching), ("id", "not in", valued)]
        if operator in ("!=", "not in"):
            domain = ["!", *domain]
        return domain

    def _field_to_sql(self, alias, fname, query=None, *args, **kwargs):
        """The grade fields as a subquery on the profile of ``env.company``,
        so that lists group and sort by them like stored fields."""
        column = self._abc_profile_field_map().get(fname)
        if column is None:
            return super()._field_to_sql(alias, fname, query, *args, **kwargs)
        compat.check_field_read_access(self, fname)
        self.env["customer.abc.profile"].flush_model(["company_id", "partner_id", column])
        return SQL(
            "(SELECT pr.%s FROM customer_abc_profile pr WHERE pr.company_id = %s AND pr.partner_id = %s)",
            SQL.identifier(column),
            self.env.company.id,
            SQL.identifier(alias, "id"),
        )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_abc_log_visit(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log a Visit"),
            "res_model": "customer.abc.visit.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }

    def action_abc_open_profile(self):
        self.ensure_one()
        profile = self.abc_profile_id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("ABC Profile"),
            "res_model": "customer.abc.profile",
            "view_mode": "form",
            "res_id": profile.id,
        }

    def action_abc_open_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("customer_abc.customer_abc_history_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_filter_current_company": 0}
        return action

    def action_abc_classify_now(self):
        return self.env["customer.abc.classifier"].action_classify_now()

    def action_abc_open_portrait(self):
        """Smart button: the portrait of the partner's commercial partner."""
        self.ensure_one()
        return self.env["customer.abc.cockpit"].action_open_portrait(self.commercial_partner_id.id)

    # ------------------------------------------------------------
    # TOOLING
    # ------------------------------------------------------------

    def _abc_profile_field_map(self):
        """Partner field -> profile column it reads."""
        return {
            "abc_grade": "grade",
            "abc_previous_grade": "previous_grade",
            "abc_grade_change": "grade_change",
            "abc_lifecycle": "lifecycle",
            "abc_amount_trend": "amount_trend",
            "abc_frequency_trend": "frequency_trend",
        }
