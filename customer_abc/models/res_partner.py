from odoo import api, fields, models

from .customer_abc_history import GRADE_CHANGE_SELECTION, GRADE_SELECTION, RFM_SEGMENT_SELECTION
from .customer_abc_profile import LIFECYCLE_SELECTION, TREND_SELECTION

#: grades are sales information: readable from "Sales: own documents" up
SALES_GROUP = "sales_team.group_sale_salesman"


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    # Company-dependent (one jsonb value per company), so that they read,
    # search and group for ``env.company``.  Written in bulk by the
    # classification from the customer's profile; set on commercial partners.
    # Not indexed (Odoo would add a "not null" index to each): an indexed
    # column makes every update of the partner row write all of the partner
    # table's indexes, which is most of the nightly mirror's cost.
    abc_grade = fields.Selection(
        GRADE_SELECTION, string="ABC Grade", company_dependent=True, readonly=True, index=False, groups=SALES_GROUP
    )
    abc_previous_grade = fields.Selection(
        GRADE_SELECTION,
        string="Previous ABC Grade",
        company_dependent=True,
        readonly=True,
        index=False,
        groups=SALES_GROUP,
    )
    abc_grade_change = fields.Selection(
        GRADE_CHANGE_SELECTION,
        string="ABC Grade Change",
        company_dependent=True,
        readonly=True,
        index=False,
        groups=SALES_GROUP,
    )
    abc_lifecycle = fields.Selection(
        LIFECYCLE_SELECTION, string="Lifecycle", company_dependent=True, readonly=True, index=False, groups=SALES_GROUP
    )
    abc_amount_trend = fields.Selection(
        TREND_SELECTION, string="Amount Trend", company_dependent=True, readonly=True, index=False, groups=SALES_GROUP
    )
    abc_frequency_trend = fields.Selection(
        TREND_SELECTION, string="Order Trend", company_dependent=True, readonly=True, index=False, groups=SALES_GROUP
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
    def _compute_abc_rfm(self):
        for partner in self:
            profile = partner.abc_profile_id
            partner.abc_rfm_segment = profile.rfm_segment
            partner.abc_rfm_code = profile.rfm_code
            partner.abc_expected_order_date = profile.expected_order_date
            partner.abc_is_late = profile.is_late

    @api.depends("abc_grade")
    @api.depends_context("company", "lang")
    def _compute_abc_strategy(self):
        company = self.env.company
        for partner in self:
            partner.abc_strategy = company._abc_strategy(partner.commercial_partner_id.abc_grade)

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
        """Partner field -> profile column mirrored by the classification."""
        return {
            "abc_grade": "grade",
            "abc_previous_grade": "previous_grade",
            "abc_grade_change": "grade_change",
            "abc_lifecycle": "lifecycle",
            "abc_amount_trend": "amount_trend",
            "abc_frequency_trend": "frequency_trend",
        }
