#!/usr/bin/env bash
# Time the cockpit on a generated book of CUSTOMERS customers (default
# 100,000) with PERIODS months of grade history: see tools/bench_cockpit.py.
# Timed twice: right after the bulk insert, and after VACUUM ANALYZE (the
# state autovacuum leaves the tables in).  KEEP=1 keeps the database (BENCH_DB).
source "$(dirname "$0")/common.sh"
check_odoo_src
cd "$REPO"
db="${BENCH_DB:-customer_abc_bench_cockpit}"
shell() {
    odoo_bin shell -d "$db" --log-level=warn --no-http < tools/bench_cockpit.py 2>&1 | grep -v "Running as user 'root'"
}
dropdb --if-exists "$db"
odoo_bin -d "$db" -i customer_abc $WITHOUT_DEMO --stop-after-init --log-level=warn 2>&1 \
    | grep -v "Running as user 'root'" || true
PHASE=insert shell
echo "bench: timings right after the insert"
PHASE=time shell
for table in customer_abc_history customer_abc_profile res_partner; do
    psql -q -d "$db" -c "VACUUM ANALYZE $table"
done
echo "bench: timings after VACUUM ANALYZE"
PHASE=time shell
[ "${KEEP:-0}" = 1 ] || dropdb --if-exists "$db"
