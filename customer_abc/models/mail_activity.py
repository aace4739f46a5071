from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        """Record the playbook side of a done activity at once: the day a
        follow-up was done and, for a visit, a playbook row of the current
        company (the visit's trace the classification reads) and the
        customer's last visit date in that company.

        A visit is done today, unless the visit wizard logged it for an
        earlier day: it creates the playbook row of the activity beforehand,
        with that day as its done date, which is kept."""
        today = fields.Date.context_today(self)
        visit_type = self.env.ref("customer_abc.mail_activity_type_visit", raise_if_not_found=False)
        visits = self.filtered(
            lambda activity: activity.res_model == "res.partner" and activity.activity_type_id == visit_type
        )
        # the playbook's own rows; sudo: a salesperson may mark done what he cannot otherwise write
        Action = self.env["customer.abc.action"].sudo()
        rows = Action.search([("activity_id", "in", self.ids)]) if self.ids else Action
        rows.filtered(lambda row: not row.done_date).write({"done_date": today})
        if visits:
            company = self.env.company
            partners = self.env["res.partner"].browse(visits.mapped("res_id")).commercial_partner_id
            grades = self.env["customer.abc.profile"].sudo()._abc_grades(company, partners)
            new_rows = Action._abc_log(
                [
                    {
                        "company_id": company.id,
                        "partner_id": partner.id,
                        "kind": "visit",
                        "source": "manual",
                        "date": today,
                        "done_date": today,
                        "user_id": activity.user_id.id or self.env.uid,
                        "grade": grades.get(partner.id),
                        "activity_id": activity.id,
                    }
                    for activity in visits - rows.activity_id
                    for partner in self.env["res.partner"].browse(activity.res_id).commercial_partner_id
                ]
            )
            days = {}
            for row in rows.filtered(lambda row: row.kind == "visit") | new_rows:
                key = (row.company_id.id, row.partner_id.id)
                days[key] = max(days.get(key, row.done_date), row.done_date)
            self.env["customer.abc.profile"].sudo()._abc_record_visits(days)
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
