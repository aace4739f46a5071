"""Drive a running Odoo (started with a read replica, see
tools/replica_check.sh) the way the browser does, and prove from the
servers' own statistics where each request ran.

    python tools/replica_check.py --url URL --db DB --primary-port P --standby-port S --log LOG

As a salesman and as a sales manager: the cockpit, the method comparison,
the portrait, the analysis list, its pivot and the Excel export; then the
writes: a visit logged, a coupon issued, a manual grade.  Before and after
each, the scans of the addon's tables counted by PostgreSQL on the primary
and on the standby (``pg_stat_user_tables``): the screens must scan on the
standby only; the writes land on the primary and reach the standby.  The
Odoo log must hold no request retried on the primary.  Prints a JSON
report; exits 1 when a check fails.
"""

import argparse
import json
import re
import subprocess
import sys
import time

import requests

RETRY = re.compile(r"retrying with a read/write cursor")
# PostgreSQL 15 flushes the statistics of an idle backend within 10 s (PGSTAT_IDLE_INTERVAL)
FLUSH = 11


def stats(port, db):
    """Scans of the addon's tables and of the orders on one server."""
    out = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-d",
            db,
            "-Atc",
            "SELECT relname, seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
            "WHERE relname LIKE 'customer_abc%' OR relname IN ('sale_order', 'res_partner')",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {name: int(count) for name, count in (line.split("|") for line in out.splitlines())}


def scans(before, after, tables):
    return sum(after.get(name, 0) - before.get(name, 0) for name in tables)


def query(port, db, sql):
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(port), "-d", db, "-Atc", sql], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


class Client:
    def __init__(self, url, db, login, password):
        self.url = url
        self.session = requests.Session()
        response = self.session.post(
            f"{url}/web/session/authenticate",
            json={"jsonrpc": "2.0", "params": {"db": db, "login": login, "password": password}},
            timeout=60,
        )
        result = response.json()
        if "error" in result:
            raise RuntimeError(f"login {login}: {result['error']}")
        self.uid = result["result"]["uid"]
        self.context = result["result"]["user_context"]
        self.company_id = result["result"]["user_companies"]["current_company"]

    def call(self, model, method, args=(), kwargs=None):
        context = {**self.context, "allowed_company_ids": [self.company_id]}
        response = self.session.post(
            f"{self.url}/web/dataset/call_kw/{model}/{method}",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "model": model,
                    "method": method,
                    "args": list(args),
                    "kwargs": {"context": context, **(kwargs or {})},
                },
            },
            timeout=120,
        )
        result = response.json()
        if "error" in result:
            raise RuntimeError(f"{model}.{method}: {result['error']['data']['message']}")
        return result["result"]


def screens(client, label):
    """The screens of a sales user, as the web client asks for them."""
    done = []
    cockpit = client.call("customer.abc.cockpit", "get_cockpit_data", [], {"scope": "all"})
    done.append("cockpit")
    client.call("customer.abc.cockpit", "get_comparison_data", [], {})
    done.append("comparison")
    profiles = client.call(
        "customer.abc.profile",
        "web_search_read",
        [],
        {
            "domain": [],
            "specification": {"partner_id": {"fields": {"display_name": {}}}, "grade": {}, "period_amount": {}},
            "limit": 80,
        },
    )
    done.append("analysis list")
    client.call(
        "customer.abc.profile",
        "web_read_group",
        [],
        {"domain": [], "fields": ["period_amount:sum"], "groupby": ["grade"], "lazy": True},
    )
    done.append("pivot")
    partner_id = profiles["records"][0]["partner_id"]["id"]
    client.call("customer.abc.cockpit", "get_portrait_data", [partner_id])
    done.append("portrait")
    ids = ",".join(str(record["id"]) for record in profiles["records"][:20])
    response = client.session.get(f"{client.url}/customer_abc/export/xlsx?ids={ids}", timeout=120)
    if response.status_code != 200 or not response.content.startswith(b"PK"):
        raise RuntimeError(f"export of {label}: HTTP {response.status_code}")
    done.append("export")
    return done, cockpit, profiles, partner_id


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--primary-port", type=int, default=5432)
    parser.add_argument("--standby-port", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--salesman", default="li.wei")
    parser.add_argument("--manager", default="admin")
    args = parser.parse_args()
    addon_tables = [
        "customer_abc_profile",
        "customer_abc_history",
        "customer_abc_action",
        "customer_abc_run",
    ]
    report = {"screens": {}, "writes": {}, "problems": []}
    for label, login in (("salesman", args.salesman), ("manager", args.manager)):
        client = Client(args.url, args.db, login, login if login != "admin" else "admin")
        time.sleep(FLUSH)  # what came before is counted before the screens open
        primary_before, standby_before = stats(args.primary_port, args.db), stats(args.standby_port, args.db)
        done, _cockpit, _profiles, partner_id = screens(client, label)
        time.sleep(FLUSH)
        primary_after, standby_after = stats(args.primary_port, args.db), stats(args.standby_port, args.db)
        on_primary = scans(primary_before, primary_after, addon_tables)
        on_standby = scans(standby_before, standby_after, addon_tables)
        report["screens"][label] = {
            "opened": done,
            "scans of the addon's tables on the standby": on_standby,
            "scans of the addon's tables on the primary": on_primary,
        }
        if on_primary or not on_standby:
            report["problems"].append(f"{label}: screens scanned the primary ({on_primary}) or not the standby")
    # writes go to the primary and reach the standby
    salesman = Client(args.url, args.db, args.salesman, args.salesman)
    manager = Client(args.url, args.db, args.manager, "admin")
    _done, _cockpit, profiles, partner_id = screens(salesman, "salesman")
    wizard = salesman.call("customer.abc.visit.wizard", "create", [{"partner_id": partner_id, "note": "Replica check"}])
    salesman.call("customer.abc.visit.wizard", "action_log", [[wizard]])
    profile_id = profiles["records"][0]["id"]
    manager.call("customer.abc.profile", "write", [[profile_id], {"manual_grade": "A", "manual_reason": "Replica"}])
    program = manager.call("loyalty.program", "search", [[("program_type", "=", "coupons")]], {"limit": 1})
    # a customer with a number and no recent coupon
    texted = manager.call(
        "customer.abc.profile",
        "search_read",
        [[("last_coupon_date", "=", False), ("partner_id.phone_sanitized", "!=", False)]],
        {"fields": ["partner_id"], "limit": 1},
    )[0]["partner_id"][0]
    coupon_wizard = manager.call(
        "customer.abc.coupon.wizard",
        "create",
        [{"partner_ids": [[6, 0, [texted]]], "program_id": program[0] if program else False}],
    )
    manager.call("customer.abc.coupon.wizard", "action_issue", [[coupon_wizard]])
    checks = {
        "visit": f"SELECT count(*) FROM customer_abc_action WHERE partner_id = {partner_id} AND kind = 'visit'",
        "manual grade": f"SELECT manual_grade FROM customer_abc_profile WHERE id = {profile_id}",
        "coupon": f"SELECT count(*) FROM customer_abc_action WHERE partner_id = {texted} AND kind = 'coupon'",
    }
    for name, sql in checks.items():
        primary_value = query(args.primary_port, args.db, sql)
        standby_value = None
        for _attempt in range(30):
            standby_value = query(args.standby_port, args.db, sql)
            if standby_value == primary_value:
                break
            time.sleep(0.5)
        report["writes"][name] = {"primary": primary_value, "standby": standby_value}
        if standby_value != primary_value or primary_value in ("", "0"):
            report["problems"].append(f"write {name}: primary {primary_value!r}, standby {standby_value!r}")
    with open(args.log, encoding="utf-8", errors="replace") as handle:
        retries = [line for line in handle if RETRY.search(line)]
    report["requests retried on the primary"] = len(retries)
    if retries:
        report["problems"].append(f"{len(retries)} read-only requests retried on the primary: {retries[:3]}")
    print(json.dumps(report, indent=2))
    print("replica_check screens and writes:", "OK" if not report["problems"] else "FAILED")
    sys.exit(1 if report["problems"] else 0)


if __name__ == "__main__":
    main()
