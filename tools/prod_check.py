"""Watch the scheduled classification run in a production-like Odoo server
(see tools/prod_check.sh) and report how it went.

    python tools/prod_check.py --db DB --log LOG --timeout SECONDS [--phase NAME]

Polls every second until every run of the database is done or failed:
the runs (kind, state, steps, longest step), the longest open transaction
of the database seen in ``pg_stat_activity``, the peak RSS of Odoo's cron
worker processes (``VmHWM``), and, from the server log, workers killed for
time or memory and errors.  Prints a report and exits 1 when a run failed,
a worker was killed, a transaction lasted over 60 s or the peak memory
went over 1 GiB.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

TRANSACTION_LIMIT = 60.0
MEMORY_LIMIT_MIB = 1024.0
KILLED = re.compile(r"(timeout after|virtual memory limit|MemoryError|killing|Killed|max age)", re.IGNORECASE)


def psql(db, query):
    out = subprocess.run(["psql", "-d", db, "-AtF", "\t", "-c", query], capture_output=True, text=True, check=True)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def cron_workers():
    """pids of Odoo's cron worker processes (their title says WorkerCron)."""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if "WorkerCron" in line]


def peak_rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return 0.0
    return 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--phase", default="runs")
    parser.add_argument("--after", type=int, default=0, help="only the runs with a greater id")
    parser.add_argument("--log-from", type=int, default=0, help="read the log from this line on")
    args = parser.parse_args()
    started = time.monotonic()
    longest_xact = 0.0
    peak = {}
    runs = []
    while time.monotonic() - started < args.timeout:
        rows = psql(
            args.db,
            "SELECT coalesce(max(extract(epoch FROM now() - xact_start)), 0) FROM pg_stat_activity "
            f"WHERE datname = '{args.db}' AND state <> 'idle' AND xact_start IS NOT NULL "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
        )
        longest_xact = max(longest_xact, float(rows[0][0]))
        for pid in cron_workers():
            peak[pid] = max(peak.get(pid, 0.0), peak_rss_mib(pid))
        runs = psql(
            args.db,
            "SELECT r.id, c.name, r.kind, r.state, r.steps_done, r.steps_total, r.periods_done, r.periods_total, "
            "round(r.longest_step::numeric, 1), r.customers, r.history_written, r.profiles_written, "
            "coalesce(extract(epoch FROM r.finished_at - r.started_at)::int, 0), coalesce(r.message, '') "
            f"FROM customer_abc_run r JOIN res_company c ON c.id = r.company_id WHERE r.id > {int(args.after)} "
            "ORDER BY r.id",
        )
        if runs and all(run[3] in ("done", "failed") for run in runs):
            break
        time.sleep(1)
    finished = bool(runs) and all(run[3] in ("done", "failed") for run in runs)
    with open(args.log, encoding="utf-8", errors="replace") as handle:
        log = handle.read().splitlines()[args.log_from :]
    killed = [line for line in log if KILLED.search(line)]
    errors = [line for line in log if " ERROR " in line or " CRITICAL " in line]
    # one line per call of the scheduled action (18.0) or per execution (19.0)
    batches = len([line for line in log if "Customer ABC: classify customers" in line and "processed" in line]) or len(
        [line for line in log if "Customer ABC: classify customers" in line and "starting" in line]
    )
    peak_mib = max(peak.values(), default=0.0)
    report = {
        "phase": args.phase,
        "finished": finished,
        "seconds": round(time.monotonic() - started),
        "job executions": batches,
        "longest transaction (s)": round(longest_xact, 1),
        "longest step of a run (s)": max((float(run[8]) for run in runs), default=0.0),
        "peak RSS of a cron worker (MiB)": round(peak_mib),
        "cron workers seen": len(peak),
        "workers killed": killed,
        "errors": errors[:10],
        "runs": [
            {
                "company": run[1],
                "kind": run[2],
                "state": run[3],
                "steps": f"{run[4]}/{run[5]}",
                "periods": f"{run[6]}/{run[7]}",
                "customers": int(run[9] or 0),
                "history rows": int(run[10] or 0),
                "profile rows": int(run[11] or 0),
                "seconds": run[12],
                "message": run[13],
            }
            for run in runs
        ],
    }
    print(json.dumps(report, indent=2))
    ok = (
        finished
        and all(run[3] == "done" for run in runs)
        and not killed
        and not errors
        and longest_xact <= TRANSACTION_LIMIT
        and peak_mib <= MEMORY_LIMIT_MIB
    )
    print(f"prod_check {args.phase}: {'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__" and os.environ.get("PROD_CHECK_IMPORT") is None:
    main()
