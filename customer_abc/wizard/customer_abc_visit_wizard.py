from datetime import datetime, time

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CustomerAbcVisitWizard(models.TransientModel):
    """Log an on-site visit that took place: a done activity of the Visit
    type on the customer, dated the day of the visit (today or earlier),
    recorded for the current company."""

    _name = "customer.abc.visit.wizard"
    _description = "Log a Customer Visit"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    visit_date = fields.Date(required=True, default=fields.Date.context_today)
    note = fields.Html(string="Notes")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if "partner_id" in fields_list and not values.get("partner_id"):
            if self.env.context.get("active_model") == "res.partner":
                values["partner_id"] = self.env.context.get("active_id")
        if values.get("partner_id"):
            values["partner_id"] = self.env["res.partner"].browse(values["partner_id"]).commercial_partner_id.id
        return values

    @api.constrains("visit_date")
    def _check_visit_date(self):
        for wizard in self:
            if wizard.visit_date > fields.Date.context_today(wizard):
                raise ValidationError(
                    self.env._("A visit cannot be logged in the future; schedule a Visit activity instead.")
                )

    def action_log(self):
        self.ensure_one()
        self._check_visit_date()
        partner = self.partner_id.commercial_partner_id
        visit = self.env.ref("customer_abc.mail_activity_type_visit")
        # sudo: scheduling needs write access on the customer, which a salesperson may
        # lack; the activity is his own, and he marks it done as himself
        activity = (
            partner.sudo()
            .activity_schedule(
                activity_type_id=visit.id,
                date_deadline=self.visit_date,
                summary=self.env._("Visit"),
                user_id=self.env.uid,
            )
            .with_env(self.env)
        )
        # the playbook row first, done on the visit's day: marking the activity
        # done keeps that day (see mail.activity._action_done)
        self.env["customer.abc.action"]._abc_log(
            [
                {
                    "company_id": self.env.company.id,
                    "partner_id": partner.id,
                    "kind": "visit",
                    "source": "manual",
                    "date": self.visit_date,
                    "done_date": self.visit_date,
                    "user_id": self.env.uid,
                    "grade": partner.abc_grade,
                    "activity_id": activity.id,
                }
            ]
        )
        messages, _next = activity._action_done(feedback=self.note)
        if self.visit_date != fields.Date.context_today(self):
            # the message is the visit's trace: date it on the day of the visit (noon, user's timezone)
            tz = pytz.timezone(self.env.user.tz or "UTC")
            noon = tz.localize(datetime.combine(self.visit_date, time(12))).astimezone(pytz.utc).replace(tzinfo=None)
            messages.sudo().write({"date": noon})
        return {"type": "ir.actions.act_window_close"}
