from datetime import timedelta

import pandas as pd

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.rendering_tools import parse_inline_template, render_inline_template

from .. import compat
from ..analytics import uplift

ALL_DOCUMENTS_GROUP = "sales_team.group_sale_salesman_all_leads"
COUPON_MODEL = "loyalty.card"


class CustomerAbcCouponWizard(models.TransientModel):
    """Issue one real coupon (``loyalty.card``) per selected customer and
    text each its own code by SMS.

    The preview lists who receives a coupon and who is skipped, and why; the
    issue step re-checks everything on the server (a customer the user may
    not work with gets nothing, whatever ``partner_ids`` says), creates the
    coupons and queues one SMS per customer on the customer's chatter.
    Odoo's SMS queue sends them once the transaction is committed, so no
    customer ever gets a code whose coupon was rolled back; a failed SMS
    never removes its coupon.

    With ``holdout``, ``holdout_pct`` % of the customers who would receive a
    coupon are held out as a control group: no coupon, no SMS, a held-out
    coupon row in the playbook results (same win-back window), so that the
    uplift screen compares them with the customers who got one.  The draw is
    :func:`..analytics.uplift.holdout` with the period key
    ``"coupon:<YYYY-MM>"``, the month of the issue day: the same customer is
    drawn the same way by every wizard of that month (and independently of
    the follow-ups' draw, whose key is the period start).  A held-out
    customer counts as having had a coupon for the cooldown, so that a
    second wizard does not give him one while he is measured.
    """

    _name = "customer.abc.coupon.wizard"
    _description = "Issue Coupons by SMS"

    state = fields.Selection([("preview", "Preview"), ("done", "Done")], default="preview", required=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    partner_ids = fields.Many2many("res.partner", string="Customers")
    program_id = fields.Many2one(
        "loyalty.program",
        string="Coupon Program",
        domain="[('program_type', '=', 'coupons'), ('company_id', 'in', [company_id, False]), "
        "'|', ('date_to', '=', False), ('date_to', '>=', context_today().strftime('%Y-%m-%d'))]",
    )
    valid_until = fields.Date(required=True, default=lambda self: fields.Date.context_today(self) + timedelta(days=30))
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        required=True,
        domain="[('model', '=', 'loyalty.card')]",
        default=lambda self: self.env.ref("customer_abc.sms_template_coupon", raise_if_not_found=False),
        help="A template of coupons (model Coupon): it is rendered on each new coupon.",
    )
    sms_preview = fields.Text(
        string="Message", compute="_compute_sms_preview", help="The SMS of the first customer, as it will be sent."
    )
    cooldown_days = fields.Integer(related="company_id.abc_coupon_cooldown_days")
    holdout = fields.Boolean(
        string="Hold Out a Control Group",
        help="Give no coupon to a share of the customers, drawn at random but reproducibly, and compare how many "
        "of them come back with the customers who got one (Playbook Results > Control Group Uplift).",
    )
    holdout_pct = fields.Float(
        string="Control Group (%)",
        digits=(5, 2),
        default=lambda self: self.env.company.abc_holdout_pct or 10.0,
        help="Share of the customers who would receive a coupon that get none.",
    )

    # one-click program
    new_program_name = fields.Char(string="Program Name", default=lambda self: self.env._("Win-back coupon"))
    new_discount_mode = fields.Selection(
        [("per_order", "Fixed amount"), ("percent", "Percentage")], string="Discount", default="per_order"
    )
    new_discount = fields.Float(string="Discount Value", default=50.0)

    line_ids = fields.One2many(
        "customer.abc.coupon.wizard.line",
        "wizard_id",
        compute="_compute_line_ids",
        store=True,
        readonly=False,
        compute_sudo=False,  # the preview judges the customers with the user's rights
    )
    send_count = fields.Integer(compute="_compute_counts")
    skip_count = fields.Integer(compute="_compute_counts")
    holdout_count = fields.Integer(compute="_compute_counts")
    sent_count = fields.Integer(compute="_compute_counts")
    failed_count = fields.Integer(compute="_compute_counts")

    # ------------------------------------------------------------
    # DEFAULTS AND COMPUTES
    # ------------------------------------------------------------

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if "partner_ids" in fields_list and not values.get("partner_ids") and context.get("active_ids"):
            model = context.get("active_model")
            if model == "res.partner":
                partners = self.env["res.partner"].browse(context["active_ids"])
            elif model == "customer.abc.profile":
                partners = self.env["customer.abc.profile"].browse(context["active_ids"]).partner_id
            else:
                partners = self.env["res.partner"]
            values["partner_ids"] = [Command.set(partners.commercial_partner_id.ids)]
        if "program_id" in fields_list and not values.get("program_id"):
            program = self.env["loyalty.program"].search(self._program_domain(), limit=1, order="id desc")
            values["program_id"] = program.id
        return values

    def _program_domain(self, company=None):
        company = company or self.env.company
        return [
            ("program_type", "=", "coupons"),
            ("company_id", "in", [company.id, False]),
            "|",
            ("date_to", "=", False),
            ("date_to", ">=", fields.Date.context_today(self)),
        ]

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("sms_template_id")
    def _check_sms_template(self):
        for wizard in self:
            if wizard.sms_template_id and wizard.sms_template_id.sudo().model != COUPON_MODEL:
                raise ValidationError(
                    self.env._(
                        "The SMS template %(template)s is not a coupon template: choose a template of coupons.",
                        template=wizard.sms_template_id.sudo().name,
                    )
                )

    @api.constrains("valid_until")
    def _check_valid_until(self):
        for wizard in self:
            if wizard.state == "preview" and wizard.valid_until < fields.Date.context_today(wizard):
                raise ValidationError(
                    self.env._(
                        "The coupons would be valid until %(date)s, which is already past.", date=wizard.valid_until
                    )
                )

    @api.constrains("holdout", "holdout_pct")
    def _check_holdout_pct(self):
        for wizard in self:
            if wizard.holdout and not 0 < wizard.holdout_pct <= 50:
                raise ValidationError(
                    self.env._(
                        "The control group (%(pct)s %%) must be more than 0 and at most 50 %% of the customers.",
                        pct=wizard.holdout_pct,
                    )
                )

    @api.depends("partner_ids", "program_id", "company_id", "holdout", "holdout_pct")
    def _compute_line_ids(self):
        for wizard in self:
            if wizard.state != "preview":
                continue
            checks = wizard._check_partners()
            wizard.line_ids = [Command.clear()] + [Command.create(check) for check in checks]

    @api.depends("line_ids", "program_id", "sms_template_id", "valid_until")
    def _compute_sms_preview(self):
        for wizard in self:
            line = wizard.line_ids.filtered(lambda line: line.status in ("send", "sent"))[:1]
            if not (line and wizard.program_id and wizard.sms_template_id.model == COUPON_MODEL):
                wizard.sms_preview = False
                continue
            partner = line.partner_id
            # rendered with the user's rights, as the coupons will be
            lang = partner.lang or self.env.lang
            template = wizard.sms_template_id.with_context(lang=lang)
            card = (
                self.env["loyalty.card"]
                .with_context(lang=lang)
                .new(
                    {
                        "program_id": wizard.program_id.id,
                        "partner_id": partner.id,
                        "expiration_date": wizard.valid_until,
                    }
                )
            )
            variables = template._render_eval_context()
            variables["object"] = card
            wizard.sms_preview = render_inline_template(parse_inline_template(template.body), variables)

    @api.depends("line_ids.status")
    def _compute_counts(self):
        for wizard in self:
            statuses = wizard.line_ids.mapped("status")
            wizard.send_count = statuses.count("send")
            wizard.skip_count = statuses.count("skip")
            wizard.holdout_count = statuses.count("held_out")
            wizard.sent_count = statuses.count("sent")
            wizard.failed_count = statuses.count("failed")

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_create_program(self):
        """One click: a coupon program with a fixed or percentage discount
        on the order, no e-mail (the code goes by SMS).  Sales managers only
        (loyalty programs are theirs to create); the reward's discount product
        is created for them even without the product creation privilege of
        Odoo 19 (see ``loyalty.reward``)."""
        self.ensure_one()
        if not self.new_program_name or self.new_discount <= 0:
            raise UserError(self.env._("Give the new program a name and a discount greater than 0."))
        if self.new_discount_mode == "percent" and self.new_discount > 100:
            raise UserError(self.env._("A percentage discount cannot exceed 100 %."))
        program = (
            self.env["loyalty.program"]
            .with_context(default_program_type="coupons", customer_abc_program_wizard=True)
            .create(
                {
                    "name": self.new_program_name,
                    "program_type": "coupons",
                    "company_id": self.company_id.id,
                    "trigger": "with_code",
                    "applies_on": "current",
                    "communication_plan_ids": [Command.clear()],
                    "reward_ids": [
                        Command.clear(),
                        Command.create(
                            {
                                "reward_type": "discount",
                                "discount_mode": self.new_discount_mode,
                                "discount": self.new_discount,
                                "discount_applicability": "order",
                                "required_points": 1,
                            }
                        ),
                    ],
                }
            )
        )
        self.program_id = program
        return self._reopen()

    def action_issue(self):
        """Create the coupons and send the SMS; safe to call twice."""
        self.ensure_one()
        # a double click or a re-submit: the first call wins, the others only show its result
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE customer_abc_coupon_wizard SET state = 'done' WHERE id = %s AND state = 'preview' RETURNING id",
                self.id,
            )
        )
        if not self.env.cr.fetchone():
            self.invalidate_recordset()
            return self._reopen()
        self.invalidate_recordset(["state"])
        self._check_issue()
        # the customers are locked first, then checked: a concurrent issue for
        # the same customers waits, then is retried with these coupons in sight
        self._lock_customers(self._customers())
        checks = self._check_partners()
        receivers = [check for check in checks if check["status"] == "send"]
        held_out = [check for check in checks if check["status"] == "held_out"]
        self._touch_profiles([check["partner_id"] for check in receivers])
        cards = self._create_cards(receivers)
        sms_by_partner = self._queue_sms(cards, receivers)
        failures = dict(self.env["sms.sms"]._fields["failure_type"]._description_selection(self.env))
        lines = []
        for check in checks:
            line = dict(check)
            card = cards.filtered(lambda c, pid=check["partner_id"]: c.partner_id.id == pid)
            if card:
                sms = sms_by_partner.get(check["partner_id"])
                line["card_id"] = card.id
                if not sms:
                    line["status"] = "failed"
                    line["reason"] = self.env._("Coupon issued, but no SMS could be prepared")
                elif sms.state == "error":
                    line["status"] = "failed"
                    line["reason"] = self.env._(
                        "Coupon issued, SMS failed: %(reason)s", reason=failures.get(sms.failure_type, sms.failure_type)
                    )
                else:
                    line["status"] = "sent"
                    line["reason"] = False
            lines.append(line)
        self.line_ids = [Command.clear()] + [Command.create(line) for line in lines]
        self._log_actions(cards)
        self._log_holdouts(held_out)
        return self._reopen()

    def _check_issue(self):
        """Refuse to issue from a company the user is not working in, with
        no or a wrong program, an expired program or validity, or a template
        that is not a coupon template."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        if self.company_id not in self.env.companies:
            raise AccessError(self.env._("You can issue coupons only for the companies you are working in now."))
        program = self.program_id
        if not program:
            raise UserError(self.env._("Choose a coupon program, or create one."))
        if program.program_type != "coupons" or program.company_id not in (self.company_id, self.env["res.company"]):
            raise UserError(
                self.env._(
                    "%(program)s is not a coupon program of %(company)s.",
                    program=program.name,
                    company=self.company_id.name,
                )
            )
        if not program.active:
            raise UserError(self.env._("The coupon program %(program)s is archived.", program=program.name))
        if program.date_to and program.date_to < today:
            raise UserError(
                self.env._(
                    "The coupon program %(program)s ended on %(date)s.", program=program.name, date=program.date_to
                )
            )
        if self.valid_until < today:
            raise UserError(
                self.env._("The coupons would be valid until %(date)s, which is already past.", date=self.valid_until)
            )
        if program.date_to and self.valid_until > program.date_to:
            raise UserError(
                self.env._(
                    "The coupons cannot be valid after the end of their program (%(date)s).", date=program.date_to
                )
            )
        self._check_sms_template()
        if not self.sudo().with_context(active_test=False).partner_ids:
            raise UserError(self.env._("Select the customers who should receive a coupon."))

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Issue Coupons"),
        }

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _check_partners(self):
        """One dict per customer: number to text, ``send`` or ``skip``, and
        the reason of a skip.  A customer gets a coupon only when it is an
        active customer of the wizard's company that the user may work with
        (the record rules of the customer's profile: his own and unassigned
        customers for "own documents only"), not an internal user's or a
        company's own contact, with a valid number that is not blacklisted
        and no coupon within the cooldown.  With ``holdout``, the drawn
        customers among those are ``held_out`` instead of ``send``."""
        self.ensure_one()
        partners = self._customers()
        last_coupons = self._last_coupon_dates(partners)
        last_holdouts = self._last_holdout_dates(partners)
        refused = self._partners_refused(partners)
        cooldown = self.company_id.abc_coupon_cooldown_days
        today = fields.Date.context_today(self)
        checks = []
        for partner in partners:
            number = compat.partner_number(partner)
            check = {"partner_id": partner.id, "number": number or False, "status": "skip", "reason": False}
            last = last_coupons.get(partner.id)
            last_held = last_holdouts.get(partner.id)
            if partner.id in refused:
                check["reason"] = refused[partner.id]
            elif not number:
                if compat.PARTNER_HAS_MOBILE:
                    check["reason"] = self.env._("No mobile or phone number")
                else:
                    check["reason"] = self.env._("No phone number")
            elif not self._valid_number(partner, number):
                country = partner.country_id or self.company_id.country_id
                check["reason"] = self.env._(
                    "%(number)s is not a valid number for %(country)s",
                    number=number,
                    country=country.name or self.env._("an unknown country"),
                )
            elif partner.sudo().phone_sanitized_blacklisted:
                check["reason"] = self.env._("Number blacklisted")
            elif cooldown and last and (today - last).days < cooldown:
                check["reason"] = self.env._(
                    "Got a coupon on %(date)s (cooldown: %(days)s days)", date=last, days=cooldown
                )
            elif cooldown and last_held and (today - last_held).days < cooldown:
                check["reason"] = self.env._(
                    "Held out of the coupons on %(date)s (cooldown: %(days)s days)", date=last_held, days=cooldown
                )
            else:
                check["status"] = "send"
                check["number"] = self._valid_number(partner, number)
            checks.append(check)
        self._mark_holdouts(checks)
        return checks

    def _holdout_period_key(self):
        """The period key of the coupons' draw: ``"coupon:"`` and the month
        of today (the issue day) in the user's timezone."""
        return f"coupon:{fields.Date.context_today(self):%Y-%m}"

    def _mark_holdouts(self, checks):
        """Turn the drawn customers among the ``send`` ``checks`` into
        ``held_out`` ones (no coupon, no SMS), in place."""
        if not self.holdout:
            return
        receivers = [check for check in checks if check["status"] == "send"]
        if not receivers:
            return
        frame = pd.DataFrame(
            {
                "company_id": self.company_id.id,
                "partner_id": [check["partner_id"] for check in receivers],
                "period_key": self._holdout_period_key(),
            }
        )
        reason = self.env._("Held out: control group of %(pct)s %%, no coupon and no SMS", pct=f"{self.holdout_pct:g}")
        for check, drawn in zip(receivers, uplift.holdouts(frame, self.holdout_pct).tolist(), strict=True):
            if drawn:
                check["status"] = "held_out"
                check["reason"] = reason

    def _customers(self):
        """The commercial partners of the selected contacts, as far as the
        user may read them (a crafted call may name others: they get nothing)."""
        Partner = self.env["res.partner"].with_context(active_test=False)
        # sudo: only the ids; the search below applies the user's rights
        contacts = Partner.search([("id", "in", self.sudo().with_context(active_test=False).partner_ids.ids)])
        return Partner.search([("id", "in", contacts.commercial_partner_id.ids)])

    def _partners_refused(self, partners):
        """``{partner_id: reason}`` for the ``partners`` (commercial) that may
        not get a coupon of the wizard's company from this user."""
        company = self.company_id
        Profile = self.env["customer.abc.profile"]
        domain = [("company_id", "=", company.id), ("partner_id", "in", partners.ids)]
        # sudo: whether a profile exists; the user's own search says whether he may see it
        profiled = set(Profile.sudo().with_context(active_test=False).search(domain).partner_id.ids)
        readable = set(Profile.with_context(active_test=False).search(domain).partner_id.ids)
        own_only = not (self.env.su or self.env.user.has_group(ALL_DOCUMENTS_GROUP))
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        customers = set(
            Partner.search(
                [("commercial_partner_id", "in", partners.ids), ("customer_rank", ">", 0)]
            ).commercial_partner_id.ids
        )
        users = self.env["res.users"].sudo().with_context(active_test=False)
        internal = set(users.search([("partner_id", "in", partners.ids), ("share", "=", False)]).partner_id.ids)
        internal |= set(self.env["res.company"].sudo().search([("partner_id", "in", partners.ids)]).partner_id.ids)
        refused = {}
        for partner in partners:
            if not partner.active:
                refused[partner.id] = self.env._("Archived customer")
            elif partner.id in internal:
                refused[partner.id] = self.env._("Contact of an internal user or a company")
            elif partner.company_id not in (company, self.env["res.company"]) or (
                partner.id not in profiled and partner.id not in customers
            ):
                refused[partner.id] = self.env._("Not a customer of %(company)s", company=company.name)
            elif (partner.id in profiled and partner.id not in readable) or (
                partner.id not in profiled
                and own_only
                and partner.user_id not in (self.env.user, self.env["res.users"])
            ):
                refused[partner.id] = self.env._("Customer of another salesperson")
        return refused

    def _lock_customers(self, partners):
        """Lock the customers' rows until the end of the transaction, also
        for customers without a profile: a concurrent issue for one of them
        waits, then fails to serialize and is retried (by Odoo) with the
        coupons of this one in sight, so the cooldown holds.  The update
        changes no value."""
        if not partners:
            return
        self.env["res.partner"].flush_model(["write_date"])
        self.env.cr.execute(
            SQL("UPDATE res_partner SET write_date = write_date WHERE id = ANY(%s)", sorted(partners.ids))
        )

    def _valid_number(self, partner, number):
        """E.164 form of ``number`` for the partner's country (else the
        company's), or ``False``.  Without the phonenumbers library Odoo
        cannot validate and returns the number unchanged."""
        country = partner.country_id or self.company_id.country_id
        return partner._phone_format(number=number, country=country, force_format="E164", raise_exception=False)

    def _last_coupon_dates(self, partners):
        """Day of the last coupon reserved for each customer by a program
        of the company (or a shared one), in the user's timezone."""
        if not partners:
            return {}
        groups = (
            self.env["loyalty.card"]
            .sudo()
            ._read_group(
                [
                    ("partner_id", "in", partners.ids),
                    ("program_id.company_id", "in", [self.company_id.id, False]),
                ],
                ["partner_id"],
                ["create_date:max"],
            )
        )
        return {partner.id: fields.Date.context_today(self, timestamp=created) for partner, created in groups}

    def _last_holdout_dates(self, partners):
        """Day of the last coupon draw of the company that held each customer out."""
        if not partners:
            return {}
        groups = (
            self.env["customer.abc.action"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", self.company_id.id),
                    ("partner_id", "in", partners.ids),
                    ("kind", "=", "coupon"),
                    ("group", "=", "held_out"),
                ],
                ["partner_id"],
                ["date:max"],
            )
        )
        return {partner.id: day for partner, day in groups}

    def _touch_profiles(self, partner_ids):
        """Stamp today's date as the last coupon date of the customers'
        profiles in the wizard's company (the nightly run recomputes it from
        the coupons)."""
        if not partner_ids:
            return
        self.env["customer.abc.profile"].flush_model(["last_coupon_date"])
        self.env.cr.execute(
            SQL(
                "UPDATE customer_abc_profile SET last_coupon_date = %s WHERE company_id = %s AND partner_id = ANY(%s)",
                fields.Date.context_today(self),
                self.company_id.id,
                partner_ids,
            )
        )
        self.env["customer.abc.profile"].invalidate_model(["last_coupon_date"])

    def _create_cards(self, receivers):
        if not receivers:
            return self.env["loyalty.card"]
        points = min(self.program_id.reward_ids.mapped("required_points") or [1])
        # sudo: salespeople may give coupons of an existing program to the
        # customers they can read (the wizard checked them); creating programs
        # stays a manager's right.  No e-mail: the code goes by SMS.
        return (
            self.env["loyalty.card"]
            .sudo()
            .with_context(loyalty_no_mail=True, action_no_send_mail=True)
            .create(
                [
                    {
                        "program_id": self.program_id.id,
                        "partner_id": check["partner_id"],
                        "points": points,
                        "expiration_date": self.valid_until,
                    }
                    for check in receivers
                ]
            )
        )

    def _queue_sms(self, cards, receivers):
        """Post each customer's SMS on its chatter, rendered with the user's
        rights, and leave it in Odoo's SMS queue, which sends it after this
        transaction is committed.  Returns ``{partner_id: sms.sms}``."""
        if not cards:
            return {}
        cards = cards.with_env(self.env)
        bodies = self.sms_template_id._render_field("body", cards.ids, compute_lang=True)
        numbers = {check["partner_id"]: check["number"] for check in receivers}
        messages = self.env["mail.message"]
        for card in cards:
            partner = card.partner_id
            # sudo: posting needs write access on the partner, which a salesperson may lack
            messages |= partner.sudo()._message_sms(
                bodies[card.id],
                partner_ids=partner.ids,
                sms_pid_to_number={partner.id: numbers[partner.id]},
                author_id=self.env.user.partner_id.id,
                put_in_queue=True,
            )
        sms = self.env["sms.sms"].sudo().search([("mail_message_id", "in", messages.ids)])
        if sms.filtered(lambda record: record.state == "outgoing"):
            # runs once this transaction is committed
            self.env.ref("sms.ir_cron_sms_scheduler_action").sudo()._trigger()
        return {record.partner_id.id: record for record in sms}

    def _log_actions(self, cards):
        """Record the coupons issued as treated coupon rows."""
        self._log_coupon_rows(
            [(card.partner_id.id, card.id) for card in cards], "treated", self.holdout_pct if self.holdout else 0.0
        )

    def _log_holdouts(self, checks):
        """Record the held-out customers of ``checks`` as held-out coupon rows
        (no coupon; the same win-back window as the coupons issued)."""
        self._log_coupon_rows([(check["partner_id"], False) for check in checks], "held_out", self.holdout_pct)

    def _log_coupon_rows(self, pairs, group, holdout_pct):
        """Playbook rows of ``pairs`` ((partner id, coupon id or False)) of
        ``group``, with the grade and previous grade of each customer's
        profile in the wizard's company."""
        if not pairs:
            return
        profiles = {
            profile.partner_id.id: profile
            for profile in self.env["customer.abc.profile"]
            .sudo()
            .search([("company_id", "=", self.company_id.id), ("partner_id", "in", [pair[0] for pair in pairs])])
        }
        today = fields.Date.context_today(self)
        Profile = self.env["customer.abc.profile"]
        self.env["customer.abc.action"]._abc_log(
            [
                {
                    "company_id": self.company_id.id,
                    "partner_id": partner_id,
                    "kind": "coupon",
                    "source": "coupon",
                    "group": group,
                    "date": today,
                    "user_id": self.env.uid,
                    "grade": profiles.get(partner_id, Profile).grade,
                    "previous_grade": profiles.get(partner_id, Profile).previous_grade,
                    "loyalty_card_id": card_id,
                    "holdout_pct": holdout_pct,
                }
                for partner_id, card_id in pairs
            ]
        )


class CustomerAbcCouponWizardLine(models.TransientModel):
    _name = "customer.abc.coupon.wizard.line"
    _description = "Issue Coupons by SMS: one customer"
    _order = "status desc, id"

    wizard_id = fields.Many2one("customer.abc.coupon.wizard", required=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    number = fields.Char()
    status = fields.Selection(
        [
            ("send", "Will receive"),
            ("held_out", "Held out"),
            ("skip", "Skipped"),
            ("sent", "Issued, SMS queued"),
            ("failed", "SMS failed"),
        ],
        required=True,
    )
    reason = fields.Char()
    card_id = fields.Many2one("loyalty.card", string="Coupon")
    code = fields.Char(related="card_id.code")
