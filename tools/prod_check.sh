#!/usr/bin/env bash
# The classification as production runs it: odoo-bin with --workers=2
# --max-cron-threads=1 and Odoo's default limits (none raised), on a generated
# book of SIZE orders (default 10,000,000: a million customers; the data is
# generated once and kept as a template, as make bench does).  Two phases:
#   install  the addon installed while the server runs: its backfill of 12
#            periods of history goes to the scheduled action
#   regrade  Classify now for every company: a full regrade in the background
# Each is watched by tools/prod_check.py: finished or not, job executions,
# longest transaction of the job and of an execution's cron lock, peak RSS of
# each server process (the cron worker among them), workers killed (log).
# PROD_KEEP=1 keeps the database.  Not part of CI (about 20 minutes at 10M once the data template exists).
source "$(dirname "$0")/common.sh"
check_odoo_src
cd "$REPO"
export ODOO_SRC
SIZE="${SIZE:-10000000}"
PORT="${PROD_PORT:-18369}"
base="customer_abc_bench_${ODOO_SERIES/./}"
db="customer_abc_prod_check_$SIZE"
work="$(mktemp -d)"
log="$work/odoo.log"
# the kept data template (built by the benchmark's own generator when missing)
if ! psql -Atc "SELECT 1 FROM ir_module_module WHERE name = 'sale_loyalty' AND state = 'installed'" "$base" \
    2>/dev/null | grep -q 1; then
    dropdb --if-exists "$base"
    odoo_bin -d "$base" -i sale_management,sale_loyalty,sms $WITHOUT_DEMO --stop-after-init --log-level=warn 2>&1 \
        | grep -v "Running as user 'root'" || true
fi
PYTHONPATH="$ODOO_SRC" "$PY" tools/bench.py --base "$base" --sizes "$SIZE" --addons-path "$(addons_path)" --build-only
dropdb --if-exists "$db"
createdb -T "${base}_data_$SIZE" "$db"
server_pid=""
cleanup() {
    # the server runs in a subshell: stop the whole tree (the workers too), then its database
    if [ -n "$server_pid" ]; then
        pkill -f -- "--db-filter=.${db}[^_0-9a-z]" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    [ -n "${PROD_KEEP:-}" ] || dropdb --force --if-exists "$db" >/dev/null 2>&1 || true
}
trap cleanup EXIT
echo "prod_check: $SIZE orders, server with --workers=2 --max-cron-threads=1 and default limits (log: $log)"
odoo_bin -d "$db" --db-filter="^$db\$" --workers=2 --max-cron-threads=1 --http-port="$PORT" \
    --http-interface=127.0.0.1 --logfile="$log" --log-level=info &
server_pid=$!
sleep 15
status=0
echo "== install (the backfill of 12 periods runs in the cron worker)"
odoo_bin -d "$db" -i customer_abc --stop-after-init --log-level=warn --no-http 2>&1 | grep -v "Running as user 'root'" || true
"$PY" tools/prod_check.py --db "$db" --log "$log" --phase install --timeout 5400 --server-pid "$server_pid" || status=1
after="$(psql -d "$db" -Atc "SELECT coalesce(max(id), 0) FROM customer_abc_run")"
from="$(wc -l < "$log")"
echo "== regrade (Classify now for every company)"
odoo_bin shell -d "$db" --no-http --log-level=warn <<'EOF' 2>&1 | grep -v "Running as user 'root'" || true
for company in env["res.company"].search([]):
    env["customer.abc.classifier"]._request_run(company, "manual")
env.cr.commit()
EOF
"$PY" tools/prod_check.py --db "$db" --log "$log" --phase regrade --timeout 3600 --after "$after" \
    --log-from "$from" --server-pid "$server_pid" || status=1
exit "$status"
