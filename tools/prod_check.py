"""Watch the scheduled classification run in a production-like Odoo server
(see tools/prod_check.sh) and report how it went.

    python tools/prod_check.py --db DB --log LOG --timeout SECONDS [--phase NAME]

Polls every second until every run of the database is done or failed:
the runs (kind, state, steps, longest step), the longest open transaction
of the database seen in ``pg_stat_activity``, the peak RSS (``VmHWM``) of
each process of the Odoo server (``--server-pid``: the server and every
process it forked, the cron worker among them; without it, the processes
titled ``WorkerCron``, which needs ``setproctitle``), and, from the server
log, workers killed for time or memory and errors.

Odoo 18's scheduled actions hold a lock on their ``ir_cron`` row in a
transaction of their own for a whole execution (idle in transaction while
the job works in its own transactions): that transaction is reported apart
and bounded by ``limit_time_real_cron`` (120 s), the job's own
transactions by 60 s.

Prints a report and exits 1 when a run failed, a worker was killed, a
transaction of the job lasted over 60 s, an execution held its lock over
120 s or a process of the server peaked over 1 GiB.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

TRANSACTION_LIMIT = 60.0
EXECUTION_LIMIT = 120.0
MEMORY_LIMIT_MIB = 1024.0
KILLED = re.compile(r"(timeout after|virtual memory limit|MemoryError|killing|Killed|max age)", re.IGNORECASE)


def psql(db, query):
    out = subprocess.run(["psql", "-d", db, "-AtF", "\t", "-c", query], capture_output=True, text=True, check=True)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def cron_workers():
    """pids of Odoo's cron worker processes (their title says WorkerCron)."""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if "WorkerCron" in line]


def descendants(root):
    """``root`` and the pids of every process below it."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        # the fields after the process name (which may hold spaces) in parentheses
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


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
    parser.add_argument("--server-pid", type=int, help="the Odoo server: watch it and every process it forked")
    args = parser.parse_args()
    started = time.monotonic()
    longest_xact = 0.0
    longest_lock = 0.0
    peak = {}
    runs = []
    while time.monotonic() - started < args.timeout:
        rows = psql(
            args.db,
            "SELECT coalesce(max(extract(epoch FROM now() - xact_start)) FILTER (WHERE NOT cron_lock), 0), "
            "       coalesce(max(extract(epoch FROM now() - xact_start)) FILTER (WHERE cron_lock), 0) "
            "  FROM (SELECT xact_start, state = 'idle in transaction' AND query ILIKE '%FROM ir_cron%' "
            "               AND query ILIKE '%FOR NO KEY UPDATE%' AS cron_lock "
            f"          FROM pg_stat_activity WHERE datname = '{args.db}' AND state <> 'idle' "
            "           AND xact_start IS NOT NULL AND pid <> pg_backend_pid() "
            "           AND backend_type = 'client backend') t",
        )
        longest_xact = max(longest_xact, float(rows[0][0]))
        longest_lock = max(longest_lock, float(rows[0][1]))
        for pid in descendants(args.server_pid) if args.server_pid else cron_workers():
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
        "longest transaction of the job (s)": round(longest_xact, 1),
        "longest execution holding the cron lock (s)": round(longest_lock, 1),
        "longest step of a run (s)": max((float(run[8]) for run in runs), default=0.0),
        "peak RSS of a server process (MiB)": round(peak_mib),
        "server processes seen": len(peak),
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
        and longest_lock <= EXECUTION_LIMIT
        and peak_mib <= MEMORY_LIMIT_MIB
    )
    print(f"prod_check {args.phase}: {'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__" and os.environ.get("PROD_CHECK_IMPORT") is None:
    main()
