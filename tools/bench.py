"""Benchmark the daily classification on generated data.

    python tools/bench.py --template DB --sizes 10000,100000,1000000

For each size M (confirmed-or-not orders), a scratch database is copied from
``--template`` (a database with customer_abc installed and no data of its
own, see tools/bench.sh), a second company in EUR is added, then N = M / 10 customers and M orders over two years are
inserted straight through SQL: skewed (most orders from a minority of
customers), 5 % of customers with a child contact that places some of their
orders, two companies (USD and EUR), a second currency inside the first
company, 4 % cancelled and 4 % quotation orders.  Then the daily job runs
(``_classify_company`` for each company, committed), twice: the first run
writes everything, the second (steady state) only what changed.  Printed per
size: wall time of each run and of its phases, peak memory of the process,
and the floor — the best of three runs of one bare ``GROUP BY`` computing the
same per-customer figures — with the ratio job / floor.
"""

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PHASES = ("aggregate", "grading", "history", "profiles", "partners", "playbook")


def odoo_config(addons_path):
    from odoo.tools import config

    args = [f"--addons-path={addons_path}", "--log-level=warn", *shlex.split(os.environ.get("ODOO_DB_ARGS", ""))]
    config.parse_config(args)


def ensure_second_company(env):
    """A second company, in EUR, unless the database already has two."""
    if env["res.company"].search_count([]) < 2:
        eur = env.ref("base.EUR")
        eur.active = True
        env["res.company"].create({"name": "Bench Europe", "currency_id": eur.id})


def generate(cr, orders):
    """Insert the customers and orders of one size (seeded, reproducible)."""
    from odoo.tools import SQL

    customers = max(orders // 10, 10)
    cr.execute("SELECT setseed(0.42)")
    cr.execute("SELECT id FROM res_currency WHERE name = 'USD'")
    usd = cr.fetchone()[0]
    cr.execute("SELECT id FROM res_currency WHERE name = 'EUR'")
    eur = cr.fetchone()[0]
    cr.execute("SELECT id FROM res_company ORDER BY id")
    first_company, second_company = (row[0] for row in cr.fetchall()[:2])
    cr.execute(
        SQL(
            """
            INSERT INTO res_partner (name, complete_name, is_company, customer_rank, supplier_rank, active, type,
                                     lang, autopost_bills, create_date, write_date, create_uid, write_uid)
            SELECT 'Bench Customer ' || g, 'Bench Customer ' || g, TRUE, 1, 0, TRUE, 'contact', 'en_US', 'ask',
                   now() - interval '3 years', now(), 1, 1
              FROM generate_series(1, %s) g
            RETURNING id
            """,
            customers,
        )
    )
    ids = [row[0] for row in cr.fetchall()]
    first, last = min(ids), max(ids)
    cr.execute(SQL("UPDATE res_partner SET commercial_partner_id = id WHERE id BETWEEN %s AND %s", first, last))
    # every 20th customer has a contact person who places a third of its orders
    cr.execute(
        SQL(
            """
            INSERT INTO res_partner (name, complete_name, parent_id, commercial_partner_id, is_company, customer_rank,
                                     supplier_rank, active, type, lang, autopost_bills, create_date, write_date,
                                     create_uid, write_uid)
            SELECT 'Buyer ' || p.id, 'Bench Customer ' || p.id || ', Buyer', p.id, p.id, FALSE, 0, 0, TRUE,
                   'contact', 'en_US', 'ask', now() - interval '3 years', now(), 1, 1
              FROM res_partner p
             WHERE p.id BETWEEN %s AND %s AND mod(p.id - %s, 20) = 0
             ORDER BY p.id
            RETURNING id, parent_id
            """,
            first,
            last,
            first,
        )
    )
    children = {parent: child for child, parent in cr.fetchall()}
    first_child = min(children.values()) if children else 0
    cr.execute(
        SQL(
            """
            INSERT INTO sale_order (name, partner_id, partner_invoice_id, partner_shipping_id, company_id, date_order,
                                    state, currency_id, currency_rate, amount_untaxed, amount_tax, amount_total,
                                    create_date, write_date, create_uid, write_uid)
            SELECT 'BENCH/' || s.g, s.buyer, s.buyer, s.buyer, s.company, s.day, s.state,
                   CASE WHEN s.company = %(c2)s OR s.r_cur < 0.15 THEN %(eur)s ELSE %(usd)s END,
                   CASE WHEN s.company = %(c1)s AND s.r_cur < 0.15 THEN 0.92 ELSE 1.0 END,
                   s.amount, 0, s.amount, now(), now(), 1, 1
              FROM (
                SELECT g,
                       CASE WHEN mod(c.customer - %(first)s, 20) = 0 AND random() < 0.33
                            THEN %(first_child)s + (c.customer - %(first)s) / 20 ELSE c.customer END AS buyer,
                       CASE WHEN random() < 0.75 THEN %(c1)s ELSE %(c2)s END AS company,
                       now() - random() * interval '730 days' AS day,
                       CASE WHEN c.r_state < 0.92 THEN 'sale' WHEN c.r_state < 0.96 THEN 'cancel' ELSE 'draft' END
                           AS state,
                       random() AS r_cur,
                       ROUND((20 * exp(random() * 6))::numeric, 2) AS amount
                  FROM generate_series(1, %(orders)s) g
                  CROSS JOIN LATERAL (
                    SELECT %(first)s + floor(%(customers)s * power(random(), 3))::int AS customer,
                           random() AS r_state, g AS _g
                  ) c
              ) s
            """,
            c1=first_company,
            c2=second_company,
            usd=usd,
            eur=eur,
            first=first,
            first_child=first_child,
            customers=customers,
            orders=orders,
        )
    )
    cr.execute("ANALYZE res_partner")
    cr.execute("ANALYZE sale_order")
    return customers


def add_day(cr, orders, day):
    """Insert one day's worth of new orders (orders / 730) dated ``day``,
    from the same skewed customers, as the next nightly run would find."""
    from odoo.tools import SQL

    cr.execute(
        SQL(
            """
            INSERT INTO sale_order (name, partner_id, partner_invoice_id, partner_shipping_id, company_id, date_order,
                                    state, currency_id, currency_rate, amount_untaxed, amount_tax, amount_total,
                                    create_date, write_date, create_uid, write_uid)
            SELECT 'NEXT/' || so.id, so.partner_id, so.partner_id, so.partner_id, so.company_id,
                   %(day)s::timestamp + random() * interval '23 hours', 'sale', so.currency_id, so.currency_rate,
                   so.amount_untaxed, 0, so.amount_untaxed, now(), now(), 1, 1
              FROM sale_order so
             WHERE so.state = 'sale'
          ORDER BY random()
             LIMIT %(count)s
            """,
            day=day,
            count=max(orders // 730, 1),
        )
    )
    cr.execute("ANALYZE sale_order")


def floor_query(cr, company_id, start, end, prev_start):
    """One bare GROUP BY with the same per-customer figures as the job."""
    from odoo.tools import SQL

    cr.execute(
        SQL(
            """
            SELECT p.commercial_partner_id, MIN(so.date_order), MAX(so.date_order), COUNT(*),
                   SUM(so.amount_untaxed / so.currency_rate),
                   SUM(so.amount_untaxed / so.currency_rate) FILTER (WHERE so.date_order >= %(start)s
                                                                     AND so.date_order < %(end)s),
                   COUNT(*) FILTER (WHERE so.date_order >= %(start)s AND so.date_order < %(end)s),
                   SUM(so.amount_untaxed / so.currency_rate) FILTER (WHERE so.date_order >= %(prev)s
                                                                     AND so.date_order < %(start)s),
                   COUNT(*) FILTER (WHERE so.date_order >= %(prev)s AND so.date_order < %(start)s)
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
             WHERE so.company_id = %(company)s AND so.state = 'sale'
          GROUP BY p.commercial_partner_id
            """,
            start=start,
            end=end,
            prev=prev_start,
            company=company_id,
        )
    )
    return len(cr.fetchall())


def run_one(template, size, addons_path):
    odoo_config(addons_path)
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    from odoo.addons.customer_abc.analytics import periods

    db = f"{template}_{size}"
    subprocess.run(["dropdb", "--if-exists", db], check=True, capture_output=True)
    subprocess.run(["createdb", "-T", template, db], check=True)
    try:
        registry = Registry(db)
        with registry.cursor() as cr:
            ensure_second_company(api.Environment(cr, SUPERUSER_ID, {}))
        started = time.perf_counter()
        with registry.cursor() as cr:
            customers = generate(cr, size)
        generation = time.perf_counter() - started
        result = {"orders": size, "customers": customers, "generation": generation}
        today = date.today()
        for run, day in (("first", today), ("rerun", today + timedelta(days=1))):
            if run == "rerun":
                with registry.cursor() as cr:
                    add_day(cr, size, day)
            phases = dict.fromkeys(PHASES, 0.0)
            started = time.perf_counter()
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                Profile = env["customer.abc.profile"]
                for company in env["res.company"].search([]):
                    for name, seconds in Profile._classify_company(company, today=day).items():
                        phases[name] = phases.get(name, 0.0) + seconds
                    cr.commit()
            result[run] = {"total": time.perf_counter() - started, **phases}
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            start, end = periods.last_completed_periods(today, "month", 1)[0]
            prev_start = periods.previous_period(start, "month")[0]
            best = None
            for _attempt in range(3):
                started = time.perf_counter()
                for company in env["res.company"].search([]):
                    floor_query(cr, company.id, start, end, prev_start)
                elapsed = time.perf_counter() - started
                best = elapsed if best is None else min(best, elapsed)
            result["floor"] = best
            cr.execute("SELECT count(*) FROM customer_abc_profile")
            result["profiles"] = cr.fetchone()[0]
            cr.execute("SELECT count(*) FROM customer_abc_history")
            result["history"] = cr.fetchone()[0]
        result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return result
    finally:
        from odoo.sql_db import close_db

        Registry.delete(db)
        close_db(db)
        if not os.environ.get("BENCH_KEEP"):
            subprocess.run(["dropdb", "--if-exists", db], check=False, capture_output=True)


def table(results):
    lines = [
        "| orders | customers | first run | next day | "
        + " | ".join(f"{name} (next day)" for name in PHASES)
        + " | floor | first / floor | next day / floor | peak memory |",
        "|---:|---:|---:|---:|" + "---:|" * len(PHASES) + "---:|---:|---:|---:|",
    ]
    for res in results:
        first, rerun = res["first"], res["rerun"]
        lines.append(
            f"| {res['orders']:,} | {res['customers']:,} | {first['total']:.2f} s | {rerun['total']:.2f} s "
            + " ".join(f"| {rerun[name]:.2f} s" for name in PHASES)
            + f" | {res['floor']:.2f} s | {first['total'] / res['floor']:.1f} | {rerun['total'] / res['floor']:.1f} "
            f"| {res['peak_mib']:.0f} MiB |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--template", required=True)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.template, args.one, args.addons_path)))
        return
    results = []
    for size in (int(size) for size in args.sizes.split(",")):
        print(f"bench: {size:,} orders ...", file=sys.stderr, flush=True)
        output = subprocess.run(
            [
                sys.executable,
                __file__,
                "--template",
                args.template,
                "--addons-path",
                args.addons_path,
                "--one",
                str(size),
            ],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
    print(table(results))
    print(
        "\nfirst run: every row written (install day); next day: the nightly job after one more day of orders"
        "\n(orders / 730 new ones); floor: best of 3 bare GROUP BY over the same orders; wall times of this machine"
    )


if __name__ == "__main__":
    main()
