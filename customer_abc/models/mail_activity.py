from odoo import fields, models
from odoo.tools import SQL


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        """Record the playbook side of a done activity at once: the day a
        follow-up was done, and the customer's last visit date."""
        today = fields.Date.context_today(self)
        visit_type = self.env.ref("customer_abc.mail_activity_type_visit", raise_if_not_found=False)
        visits = self.filtered(
            lambda activity: activity.res_model == "res.partner" and activity.activity_type_id == visit_type
        )
        if self.ids:
            # the playbook's own rows; sudo: a salesperson may mark done what he cannot otherwise write
            self.env["customer.abc.action"].sudo().search([("activity_id", "in", self.ids)]).write({"done_date": today})
        if visits:
            visit_day = self.env.context.get("abc_visit_date") or today
            partners = self.env["res.partner"].browse(visits.mapped("res_id")).commercial_partner_id
            self.env["customer.abc.profile"].flush_model(["last_visit_date"])
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE customer_abc_profile
                       SET last_visit_date = GREATEST(last_visit_date, %s)
                     WHERE partner_id = ANY(%s)
                    """,
                    visit_day,
                    partners.ids,
                )
            )
            self.env["customer.abc.profile"].invalidate_model(["last_visit_date"])
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
