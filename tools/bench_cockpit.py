"""Time the cockpit's data method on a large generated customer book.

Fed to ``odoo-bin shell`` on a scratch database where customer_abc is
installed (see tools/bench_cockpit.sh).  Inserts CUSTOMERS commercial
partners with a profile each and PERIODS months of grade history (SQL,
generate_series), then times ``get_cockpit_data`` for a manager (all
customers and "my customers"), a past period, ``get_comparison_data`` and
``get_portrait_data``.  Not shipped in the addon.
"""

import os
import time

from odoo.tools import SQL

CUSTOMERS = int(os.environ.get("CUSTOMERS", "100000"))
PERIODS = int(os.environ.get("PERIODS", "12"))
RUNS = int(os.environ.get("RUNS", "5"))
#: "insert" (generate and commit the data), "time" (time the data methods) or "both"
PHASE = os.environ.get("PHASE", "both")

cr = env.cr  # noqa: F821 -- odoo-bin shell provides env
company = env.company  # noqa: F821
manager = env.ref("base.user_admin")  # noqa: F821
if PHASE in ("insert", "both"):
    for index in range(1, 5):
        env["res.users"].create(  # noqa: F821
            {
                "name": f"Bench rep {index}",
                "login": f"bench_rep_{index}",
                "groups_id": [(6, 0, [env.ref("sales_team.group_sale_salesman").id])],  # noqa: F821
            }
        )
# the customers are spread over the manager and four salesmen: "my customers" is a fifth of them
reps = [manager.id, *env["res.users"].search([("login", "=like", "bench_rep_%")]).ids]  # noqa: F821


def timed(label, query):
    step = time.perf_counter()
    cr.execute(query)
    print(f"bench: {label} in {time.perf_counter() - step:.1f}s")


if PHASE in ("insert", "both"):
    started = time.perf_counter()
    timed(
        "partners",
        SQL(
            """
            INSERT INTO res_partner (name, complete_name, is_company, customer_rank, active, type, user_id,
                                     autopost_bills, create_date, write_date)
            SELECT 'Bench customer ' || n, 'Bench customer ' || n, TRUE, 1, TRUE, 'contact',
                   (%(reps)s::int[])[1 + mod(n, %(count)s)], 'ask', '2020-01-01', now()
              FROM generate_series(1, %(customers)s) n
            """,
            reps=reps,
            count=len(reps),
            customers=CUSTOMERS,
        ),
    )
    # statistics first, or the foreign-key checks of the update scan the whole table for every row
    cr.execute(SQL("ANALYZE res_partner"))
    timed(
        "commercial partners",
        SQL("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL"),
    )
    # periods: the last PERIODS months before 2024-03-01; amounts skewed (a few large customers)
    timed(
        "history",
        SQL(
            """
            INSERT INTO customer_abc_history (company_id, partner_id, period_start, period_end, grade, previous_grade,
                                              grade_change, amount, order_count, share_pct, cumulative_share_pct, rank,
                                              method, lifecycle)
            SELECT %(company)s, p.id, s.start, (s.start + interval '1 month')::date,
                   (ARRAY['A', 'B', 'C', 'D'])[1 + mod(p.id + s.k, 4)],
                   CASE WHEN s.k > 0 THEN (ARRAY['A', 'B', 'C', 'D'])[1 + mod(p.id + s.k - 1, 4)] END,
                   CASE WHEN s.k = 0 THEN 'new' WHEN mod(p.id + s.k, 4) = 0 THEN 'up' ELSE 'down' END,
                   CASE WHEN mod(p.id + s.k, 5) = 0 THEN 0
                        ELSE round((1000000.0 / (1 + mod(p.id * 7 + s.k, 997)))::numeric, 2) END,
                   CASE WHEN mod(p.id + s.k, 5) = 0 THEN 0 ELSE 1 + mod(p.id, 4) END,
                   0, 0, 0, 'fixed',
                   (ARRAY['new', 'active', 'at_risk', 'churned', 'never'])[1 + mod(p.id + s.k, 5)]
              FROM res_partner p
              CROSS JOIN (SELECT k, (date '2024-02-01' - make_interval(months => %(periods)s - 1 - k))::date AS start
                            FROM generate_series(0, %(periods)s - 1) k) s
             WHERE starts_with(p.name, 'Bench customer ')
             ORDER BY s.start, p.id  -- as the daily job writes them: one period after the other
            """,
            company=company.id,
            periods=PERIODS,
        ),
    )
    timed(
        "profiles",
        SQL(
            """
            INSERT INTO customer_abc_profile (company_id, partner_id, active, user_id, grade, computed_grade,
                                              previous_grade, grade_change, period_start, period_end, period_amount,
                                              previous_amount, period_order_count, lifecycle, amount_trend,
                                              frequency_trend, overdue_amount, is_overdue, rank_sort)
            SELECT h.company_id, h.partner_id, TRUE, p.user_id, h.grade, h.grade, h.previous_grade, h.grade_change,
                   h.period_start, h.period_end, h.amount, COALESCE(prev.amount, 0), h.order_count, h.lifecycle,
                   (ARRAY['surge', 'plunge', NULL, NULL])[1 + mod(p.id, 4)],
                   (ARRAY[NULL, 'surge', 'plunge', NULL])[1 + mod(p.id, 4)],
                   CASE WHEN mod(p.id, 7) = 0 THEN 100 ELSE 0 END, mod(p.id, 7) = 0, 0
              FROM customer_abc_history h
              JOIN res_partner p ON p.id = h.partner_id
              LEFT JOIN customer_abc_history prev
                     ON prev.company_id = h.company_id AND prev.partner_id = h.partner_id
                    AND prev.period_start = (h.period_start - interval '1 month')::date
             WHERE h.company_id = %(company)s AND h.period_start = '2024-02-01'
            """,
            company=company.id,
        ),
    )
    cr.execute(SQL("ANALYZE res_partner"))
    cr.execute(SQL("ANALYZE customer_abc_history"))
    cr.execute(SQL("ANALYZE customer_abc_profile"))
    env.invalidate_all()  # noqa: F821
    cr.commit()
    print(f"bench: {CUSTOMERS} customers, {PERIODS} periods inserted in {time.perf_counter() - started:.1f}s")

if PHASE in ("time", "both"):
    Cockpit = env["customer.abc.cockpit"].with_user(manager)  # noqa: F821
    partner_id = Cockpit.get_cockpit_data()["top_customers"][0]["partner_id"]
    cases = [
        ("get_cockpit_data, latest period, all customers", Cockpit.get_cockpit_data),
        ("get_cockpit_data, latest period, my customers", lambda: Cockpit.get_cockpit_data(scope="mine")),
        ("get_cockpit_data, a past period", lambda: Cockpit.get_cockpit_data(period_start="2023-09-01")),
        ("get_comparison_data with other values", lambda: Cockpit.get_comparison_data(settings={"share_a": 30})),
        ("get_portrait_data of one customer", lambda: Cockpit.get_portrait_data(partner_id)),
    ]
    for label, call in cases:
        timings = []
        for _run in range(RUNS):
            env.invalidate_all()  # noqa: F821
            start = time.perf_counter()
            call()
            timings.append(time.perf_counter() - start)
        timings.sort()
        print(f"bench: {label}: best {timings[0] * 1000:.0f} ms, median {timings[len(timings) // 2] * 1000:.0f} ms")
