"""Benchmark the daily classification on generated data.

    python tools/bench.py --base DB --sizes 10000,100000,1000000,10000000
    python tools/bench.py --template DB --sizes 10000          (make test's smoke run)

For each size M (confirmed-or-not orders), N = M / 10 customers and M orders
over two years are generated straight through SQL: skewed (most orders from
a minority of customers), 5 % of customers with a child contact that places
some of their orders, two companies (USD and EUR), a second currency inside
the first company, 4 % cancelled and 4 % quotation orders.  With ``--base``
(a database with Odoo's sale, loyalty and sms modules, not the addon), the
data is generated once into ``<base>_data_<M>`` and kept as a template for
later runs (``--rebuild`` regenerates it); each run copies it and installs the
addon.  With ``--template`` (the addon installed) the data is generated into
the copy itself.

Then, per company, with a commit after every step as the scheduled action
does: the *first run* on day D (every customer, every row written), one more
day of orders (M / 730), the *next day* run on D + 1 (the nightly job: only
the customers whose figures may have changed), and a *full regrade* on D + 1,
which must write nothing (the check that the nightly run's figures are those
of a full run).  Printed per size: wall time of each run and of its phases,
the longest step (the longest transaction), the peak memory of the process,
and the floor — the best of three runs of one bare ``GROUP BY`` over the same
orders computing the per-customer figures — with the ratios run / floor.
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
PHASES = ("aggregate", "rfm", "grading", "history", "profiles", "playbook")
RUNS = (("first", "manual", 0), ("next", "nightly", 1), ("regrade", "manual", 1))
#: version of the generator: a kept data template of another version is rebuilt
GENERATOR_VERSION = "2"


_CONFIGURED = []


def odoo_config(addons_path):
    """Odoo's configuration, once per process (Odoo 18 fails to parse it a
    second time once a registry was loaded: a data template built after a
    size's runs)."""
    from odoo.tools import config

    if _CONFIGURED:
        return
    args = [f"--addons-path={addons_path}", "--log-level=warn", *shlex.split(os.environ.get("ODOO_DB_ARGS", ""))]
    config.parse_config(args)
    _CONFIGURED.append(addons_path)


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


def copy_database(source, target):
    subprocess.run(["dropdb", "--if-exists", target], check=True, capture_output=True)
    subprocess.run(["createdb", "-T", source, target], check=True)


def data_template(base, size, addons_path, rebuild):
    """The kept database of ``size`` generated orders (from ``base``, without
    the addon): built when missing, stale or asked for."""
    name = f"{base}_data_{size}"
    exists = (
        subprocess.run(["psql", "-Atc", "SELECT 1", name], capture_output=True, text=True, check=False).returncode == 0
    )
    if exists and not rebuild:
        marker = subprocess.run(
            ["psql", "-Atc", "SELECT value FROM ir_config_parameter WHERE key = 'customer_abc.bench_data'", name],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if marker == f"{GENERATOR_VERSION}:{size}":
            return name, 0.0
    copy_database(base, name)
    odoo_config(addons_path)
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    started = time.perf_counter()
    registry = Registry(name)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        ensure_second_company(env)
        generate(cr, size)
        env["ir.config_parameter"].set_param("customer_abc.bench_data", f"{GENERATOR_VERSION}:{size}")
    generation = time.perf_counter() - started
    Registry.delete(name)
    from odoo.sql_db import close_db

    close_db(name)
    subprocess.run(["psql", "-qc", "VACUUM ANALYZE", name], check=True)
    return name, generation


def install_addon(db, addons_path):
    """Install the addon in ``db`` (its install hook only queues the backfill)."""
    args = [sys.executable, os.path.join(os.environ["ODOO_SRC"], "odoo-bin"), f"--addons-path={addons_path}"]
    args += ["-d", db, "-i", "customer_abc", "--stop-after-init", "--log-level=warn"]
    args += shlex.split(os.environ.get("ODOO_DB_ARGS", ""))
    started = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - started


def run_company(env, company, kind, day):
    """One run of ``company``, a step at a time with a commit after each (as
    the scheduled action does).  Returns the run and the longest step."""
    Classifier = env["customer.abc.classifier"]
    run = Classifier._create_run(company, kind, today=day)
    env.cr.commit()
    longest = 0.0
    while run.state in ("queued", "running"):
        started = time.perf_counter()
        Classifier._run_step(run)
        env.cr.commit()
        longest = max(longest, time.perf_counter() - started)
    if run.state != "done":
        raise RuntimeError(f"run of {company.name} failed: {run.message}")
    return run, longest


def run_one(db, size, addons_path, generate_here):
    """The three runs on ``db`` (a fresh copy with the addon installed)."""
    odoo_config(addons_path)
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    from odoo.addons.customer_abc.analytics import periods

    try:
        registry = Registry(db)
        result = {"orders": size}
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            if generate_here:
                ensure_second_company(env)
                started = time.perf_counter()
                generate(cr, size)
                result["generation"] = time.perf_counter() - started
            # what the install queued is not measured here
            env["customer.abc.run"].search([]).unlink()
            cr.execute("SELECT count(*) FROM res_partner WHERE customer_rank > 0 AND parent_id IS NULL")
            result["customers"] = cr.fetchone()[0]
        today = date.today() - timedelta(days=1)
        for name, kind, offset in RUNS:
            day = today + timedelta(days=offset)
            if name == "next":
                with registry.cursor() as cr:
                    add_day(cr, size, day)
            phases = dict.fromkeys(PHASES, 0.0)
            totals = {"total": 0.0, "longest": 0.0, "history": 0, "profiles": 0, "read": 0, "scope": set()}
            started = time.perf_counter()
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                for company in env["res.company"].search([]):
                    run, longest = run_company(env, company, kind, day)
                    for phase, seconds in (run.phase_seconds or {}).items():
                        phases[phase] = phases.get(phase, 0.0) + seconds
                    totals["longest"] = max(totals["longest"], longest)
                    totals["history"] += run.history_written
                    totals["profiles"] += run.profiles_written
                    totals["read"] += run.customers
                    totals["scope"].add(run.scope)
            totals["total"] = time.perf_counter() - started
            totals["scope"] = "/".join(sorted(totals["scope"]))
            result[name] = {**totals, **{f"phase_{phase}": seconds for phase, seconds in phases.items()}}
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
            result["profile_rows"] = cr.fetchone()[0]
            cr.execute("SELECT count(*) FROM customer_abc_history")
            result["history_rows"] = cr.fetchone()[0]
        result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return result
    finally:
        from odoo.sql_db import close_db

        Registry.delete(db)
        close_db(db)


def table(results):
    lines = [
        "| orders | customers | floor | first run | first / floor | next day | next day / floor "
        "| full regrade | regrade / floor | longest step | peak memory | nightly read / wrote | check |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for res in results:
        first, nxt, regrade = res["first"], res["next"], res["regrade"]
        floor = res["floor"]
        longest = max(first["longest"], nxt["longest"], regrade["longest"])
        check = (
            "ok"
            if regrade["history"] == 0 and regrade["profiles"] == 0
            else (f"REGRADE WROTE {regrade['history']} + {regrade['profiles']} ROWS")
        )
        lines.append(
            f"| {res['orders']:,} | {res['customers']:,} | {floor:.2f} s | {first['total']:.2f} s "
            f"| {first['total'] / floor:.1f} | {nxt['total']:.2f} s | {nxt['total'] / floor:.1f} "
            f"| {regrade['total']:.2f} s | {regrade['total'] / floor:.1f} | {longest:.1f} s "
            f"| {res['peak_mib']:.0f} MiB "
            f"| {nxt['read']:,} / {nxt['history'] + nxt['profiles']:,} ({nxt['scope']}) | {check} |"
        )
    lines += ["", "Phases (seconds): " + ", ".join(PHASES), "", "| orders | run | " + " | ".join(PHASES) + " |"]
    lines.append("|---:|---|" + "---:|" * len(PHASES))
    for res in results:
        for name, label in (("first", "first run"), ("next", "next day"), ("regrade", "full regrade")):
            run = res[name]
            lines.append(
                f"| {res['orders']:,} | {label} | " + " | ".join(f"{run[f'phase_{p}']:.2f}" for p in PHASES) + " |"
            )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--template", help="database with the addon installed: data generated into each copy")
    source.add_argument("--base", help="database with Odoo's modules only: data generated once per size and kept")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--rebuild", action="store_true", help="regenerate the kept data templates")
    parser.add_argument("--build-only", action="store_true", help="only make the kept data templates")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        result = run_one(args.db, args.one, args.addons_path, generate_here=bool(args.template))
        print(json.dumps(result))
        return
    if args.build_only:
        for size in (int(size) for size in args.sizes.split(",")):
            name, generation = data_template(args.base, size, args.addons_path, args.rebuild)
            print(f"bench: data template {name} ready (generated in {generation:.0f} s)", file=sys.stderr)
        return
    results = []
    for size in (int(size) for size in args.sizes.split(",")):
        db = f"{args.template or args.base}_run_{size}"
        print(f"bench: {size:,} orders ...", file=sys.stderr, flush=True)
        if args.template:
            copy_database(args.template, db)
            setup = {}
        else:
            data, generation = data_template(args.base, size, args.addons_path, args.rebuild)
            copy_database(data, db)
            setup = {"generation": generation, "install": install_addon(db, args.addons_path)}
        try:
            output = subprocess.run(
                [sys.executable, __file__, "--addons-path", args.addons_path, "--one", str(size), "--db", db]
                + (["--template", args.template] if args.template else ["--base", args.base]),
                check=True,
                stdout=subprocess.PIPE,
                text=True,
            ).stdout
        finally:
            if not os.environ.get("BENCH_KEEP"):
                subprocess.run(["dropdb", "--if-exists", db], check=False, capture_output=True)
        result = json.loads(output.strip().splitlines()[-1])
        result.update(setup)
        print(
            f"bench: {size:,} orders: generated in {result.get('generation', 0):.0f} s, "
            f"addon installed in {result.get('install', 0):.0f} s",
            file=sys.stderr,
            flush=True,
        )
        results.append(result)
    print(table(results))
    print(
        "\nfirst run: every customer, every row written; next day: the nightly job after one more day of orders"
        "\n(orders / 730 new ones), reading only the customers whose figures may have changed; full regrade: every"
        "\ncustomer again on the same day, which must write nothing (check); floor: best of 3 bare GROUP BY over the"
        "\nsame orders; longest step: the longest transaction; wall times and peak RSS of this machine"
    )


if __name__ == "__main__":
    main()
