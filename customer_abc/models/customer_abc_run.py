from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.sql import create_index

RUN_KINDS = [
    ("nightly", "Nightly"),
    ("manual", "Classify now"),
    ("regrade", "Settings changed"),
    ("backfill", "History backfill"),
]
RUN_STATES = [
    ("queued", "Queued"),
    ("running", "Running"),
    ("done", "Done"),
    ("failed", "Failed"),
]


class CustomerAbcRun(models.Model):
    """One classification run of one company: what it does, how far it got,
    what it read and wrote.

    Runs are created and advanced by ``customer.abc.classifier`` (the
    scheduled action works through them a step at a time, committing each
    step, so that a killed worker resumes where it stopped); the screens read
    them to say how fresh the figures are ("as of") and how far a running
    classification or the history backfill is.  Read-only for people.
    """

    _name = "customer.abc.run"
    _description = "Customer Classification Run"
    _order = "id desc"
    _rec_name = "kind"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    kind = fields.Selection(RUN_KINDS, required=True, readonly=True)
    state = fields.Selection(RUN_STATES, default="queued", required=True, readonly=True, index=True)
    today = fields.Date(string="As of", readonly=True, help="The day the run classified as (company timezone).")
    requested_by = fields.Many2one("res.users", readonly=True, ondelete="set null")
    scope = fields.Selection(
        [("full", "Every customer"), ("changed", "Customers whose figures changed")], readonly=True
    )
    period_start = fields.Date(string="Graded Period", readonly=True)
    backfill = fields.Integer(string="Periods to Write", readonly=True, help="0: the graded period only.")
    step = fields.Char(readonly=True, help="Next step of the run.")
    steps_done = fields.Integer(readonly=True)
    steps_total = fields.Integer(readonly=True)
    periods_done = fields.Integer(readonly=True, help="Periods of the history written so far.")
    periods_total = fields.Integer(readonly=True)
    customers = fields.Integer(readonly=True, help="Customers read by the run.")
    history_written = fields.Integer(readonly=True)
    profiles_written = fields.Integer(readonly=True)
    watermark = fields.Datetime(readonly=True, help="Orders and contacts written before this moment were read.")
    read_from = fields.Selection(
        [("primary", "Primary database"), ("replica", "Read replica")],
        readonly=True,
        help="Where the run's big read ran (the replica when one is configured and fresh enough).",
    )
    rules_key = fields.Char(readonly=True, help="Fingerprint of the settings the run graded with.")
    plan = fields.Json(readonly=True)
    phase_seconds = fields.Json(readonly=True)
    longest_step = fields.Float(readonly=True, help="Seconds of the longest step (one transaction) of the run.")
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)
    message = fields.Text(readonly=True)

    def init(self):
        # the nightly run finds what changed since the last one: orders and contacts by write date
        create_index(
            self.env.cr, "customer_abc_sale_order_write_date_index", "sale_order", ["company_id", "write_date"]
        )
        create_index(self.env.cr, "customer_abc_res_partner_write_date_index", "res_partner", ["write_date"])
        # the nightly run re-reads the orders of its few customers from this index alone
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS customer_abc_sale_order_partner_index ON sale_order "
                "(partner_id, date_order) INCLUDE (company_id, state, amount_untaxed, currency_rate)"
            )
        )

    def write(self, vals):
        """Runs are the classifier's record of its own work."""
        if not self.env.su:
            raise AccessError(self.env._("Classification runs are written by the classification only."))
        return super().write(vals)

    @api.model
    def _abc_published_period(self, company):
        """The graded period of the last finished run of ``company`` (the
        latest period the screens show), ``None`` when the company has no run
        at all (a database upgraded from a version without runs: everything
        stored is shown), ``False`` when its first run is still under way."""
        Run = self.sudo()
        last = Run.search([("company_id", "=", company.id), ("state", "=", "done")], limit=1)
        if last:
            return last.period_start
        if Run.search_count([("company_id", "=", company.id)], limit=1):
            return False
        return None

    @api.model
    def _abc_status(self, company):
        """JSON-ready state of the classification of ``company`` for the
        screens: the last finished run (``as_of``, ``finished_at``) and the
        one under way, if any (``running``: kind, progress, periods of a
        backfill)."""
        Run = self.sudo()
        last = Run.search([("company_id", "=", company.id), ("state", "=", "done")], limit=1)
        current = Run.search([("company_id", "=", company.id), ("state", "in", ("queued", "running"))], limit=1)
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        return {
            "as_of": last.today.isoformat() if last.today else False,
            "finished_at": fields.Datetime.to_string(last.finished_at) if last.finished_at else False,
            "running": {
                "kind": current.kind,
                "kind_label": kinds.get(current.kind, ""),
                "state": current.state,
                "steps_done": current.steps_done,
                "steps_total": current.steps_total,
                "periods_done": current.periods_done,
                "periods_total": current.periods_total,
                # a large publication, a chunk of customers per transaction: figures being replaced
                "publishing": current.step == "publish"
                and (current.plan or {}).get("publish", {}).get("mode") == "chunked",
            }
            if current
            else False,
        }
