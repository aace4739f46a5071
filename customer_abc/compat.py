"""Odoo 18.0 / 19.0 differences, bridged in one place.

Every difference between the two supported series that the Python code meets
is decided here, by detecting the feature (a field, a class, a method
argument), never by reading the version number; the rest of the addon calls
these names and reads the same on both.  XML data uses the loader's
``version`` variable instead (see the README, "Supported Odoo versions").

=====================  ====================================  ==============================
difference             18.0                                  19.0
=====================  ====================================  ==============================
partner numbers        ``mobile`` and ``phone``              ``phone`` only
SQL constraints        ``_sql_constraints`` list             ``models.Constraint`` attribute
cron progress          ``_notify_progress`` + commit         ``_commit_progress`` (commits)
"inside a test"        ``module.current_test`` (both; the test thread's ``testing`` is 18 only)
``sms.sms.send``       takes ``auto_commit``                 does not
user groups field      ``groups_id``                         ``group_ids``
order line taxes       ``tax_id``                            ``tax_ids``
cron run in tests      same cursor                           new cursor: registry test mode
field read access      ``check_field_access_rights``         ``_check_field_access``
=====================  ====================================  ==============================
"""

import inspect
from contextlib import nullcontext

from odoo import fields, models
from odoo.modules import module as odoo_module

from odoo.addons.base.models import res_partner as base_res_partner


def _base_partner_has_mobile():
    """Whether the base ``res.partner`` defines ``mobile`` (read from its
    definition class: model classes are built later than this import)."""
    return any(
        isinstance(vars(definition).get("mobile"), fields.Field)
        for definition in vars(base_res_partner).values()
        if isinstance(definition, type) and getattr(definition, "_name", None) == "res.partner"
    )


#: 18.0: a partner has a mobile and a phone; 19.0: only a phone.
PARTNER_HAS_MOBILE = _base_partner_has_mobile()
#: The partner fields that may hold a number to text, in the order to try
#: them: the mobile first where it exists (a customer may have only one), as
#: Odoo's own ``_phone_get_number_fields`` does.
PARTNER_PHONE_FIELDS = ("mobile", "phone") if PARTNER_HAS_MOBILE else ("phone",)


def partner_number(partner):
    """The first number of ``partner`` in :data:`PARTNER_PHONE_FIELDS`, or ``False``."""
    return next((partner[name] for name in PARTNER_PHONE_FIELDS if partner[name]), False)


class _SqlConstraint:
    """18.0 stand-in for 19.0's ``models.Constraint``: declared the 19 way, as
    a class attribute named ``_<name>``, it adds ``(name, definition,
    message)`` to the class's ``_sql_constraints``, the 18 way.  The database
    constraint is ``<table>_<name>`` on both."""

    def __init__(self, definition, message=""):
        self.definition = definition
        self.message = message

    def __set_name__(self, owner, name):
        owner._sql_constraints = [
            *vars(owner).get("_sql_constraints", []),
            (name.removeprefix("_"), self.definition, self.message),
        ]


#: ``Constraint("UNIQUE (a, b)", "message")`` as a model class attribute.
Constraint = getattr(models, "Constraint", _SqlConstraint)


def in_test_mode():
    """True while Odoo runs tests (the test cursor must not be committed).
    ``odoo.modules.module.current_test`` is set by both series' test loader;
    the test thread's ``testing`` flag, which 18 code often reads, is gone in 19."""
    return bool(odoo_module.current_test)


def cron_commit_progress(env, done, remaining):
    """Report that ``done`` units of a scheduled job are done and
    ``remaining`` are left, and commit them (never inside a test, where the
    cursor is the test's; a job run by the test's cron trigger has its own
    test cursor on 19.0 and commits there)."""
    cron = env["ir.cron"]
    progress_id = env.context.get("ir_cron_progress_id")
    if hasattr(cron, "_commit_progress"):
        if progress_id:
            already = env["ir.cron.progress"].sudo().browse(progress_id).done
            cron._commit_progress(max(done - already, 0), remaining=remaining)
        elif not in_test_mode():
            env.cr.commit()  # pylint: disable=invalid-commit
        return
    cron._notify_progress(done=done, remaining=remaining)
    if not in_test_mode():
        env.cr.commit()  # pylint: disable=invalid-commit


def check_field_read_access(records, fname):
    """Raise :class:`~odoo.exceptions.AccessError` unless the current user
    may read the field ``fname`` of ``records``' model (its ``groups``)."""
    if hasattr(records, "_check_field_access"):
        records._check_field_access(records._fields[fname], "read")
    else:
        records.check_field_access_rights("read", [fname])


def sms_send(sms_records):
    """Send the outgoing ``sms.sms`` records now, without committing on the
    way and without raising on gateway errors (failures land on the records)."""
    options = {"raise_exception": False}
    if "auto_commit" in inspect.signature(type(sms_records).send).parameters:
        options["auto_commit"] = False
    return sms_records.send(**options)


def replica_configured(registry):
    """Whether Odoo was started with a read replica (``--db_replica_host``):
    the registry then keeps a read-only connection (``_db_readonly``, same
    name on 18.0 and 19.0)."""
    return getattr(registry, "_db_readonly", None) is not None


def user_groups_field(env):
    """Name of the groups of a user: ``groups_id`` (18.0) / ``group_ids`` (19.0)."""
    return "group_ids" if "group_ids" in env["res.users"]._fields else "groups_id"


def order_line_taxes_field(env):
    """Name of the taxes of a sale order line: ``tax_id`` (18.0) / ``tax_ids`` (19.0)."""
    return "tax_ids" if "tax_ids" in env["sale.order.line"]._fields else "tax_id"


def cron_trigger_context(case):
    """Context manager for a test that runs a scheduled job with
    ``method_direct_trigger``: 19.0 runs the job in a new cursor, which must
    reuse the test's (``enter_registry_test_mode``); 18.0 uses the test's own."""
    enter = getattr(case, "enter_registry_test_mode", None)
    return enter() if enter else nullcontext()
