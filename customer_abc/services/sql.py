"""SQL written once: the local date of a timestamp, the company-currency
amount of an order, integer minor units and the confirmed orders of a
company.  The classification, the cockpit, the portrait and the playbook
build their queries from these, so that they all count the same orders the
same way.  Everything is an :class:`odoo.tools.SQL` with parameters.
"""

from odoo.tools import SQL


def local_date(column, tz_name):
    """The local date (in ``tz_name``) of a naive UTC timestamp column."""
    return SQL("((%s AT TIME ZONE 'UTC') AT TIME ZONE %s)::date", column, tz_name)


def order_rate(alias="so"):
    """The order's company-to-order currency rate (stored on the order at its
    date), 1 where it is missing."""
    rate = SQL.identifier(alias, "currency_rate")
    return SQL("CASE COALESCE(%(rate)s, 0) WHEN 0 THEN 1.0 ELSE %(rate)s END", rate=rate)


def company_amount(alias="so", column="amount_untaxed"):
    """An order amount (default: untaxed total) in company currency, at the
    order's own rate."""
    return SQL("%s / %s", SQL.identifier(alias, column), order_rate(alias))


def minor_units(amount, digits):
    """``amount`` rounded to integer minor units (cents for two digits)."""
    return SQL("ROUND(%s * %s)::bigint", amount, 10**digits)


def confirmed_orders(company_id, states, until_utc, where=None):
    """The company's confirmed orders dated before ``until_utc``, with the
    commercial partner of each: ``FROM`` + ``WHERE`` parts over the aliases
    ``so`` (sale_order) and ``p`` (its partner), to put after ``SELECT``.
    ``where`` adds a condition."""
    return SQL(
        """
          FROM sale_order so
          JOIN res_partner p ON p.id = so.partner_id
         WHERE so.company_id = %(company)s
           AND so.state IN %(states)s
           AND so.date_order < %(until)s
           %(where)s
        """,
        company=company_id,
        states=tuple(states),
        until=until_utc,
        where=SQL("AND %s", where) if where is not None else SQL(),
    )
