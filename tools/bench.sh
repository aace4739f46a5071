#!/usr/bin/env bash
# Benchmark of the daily job: see tools/bench.py.  SIZES=10000,100000,1000000 by default.
# BENCH_TEMPLATE=<db> reuses a database where the addon is installed (make test does);
# BENCH_KEEP=1 keeps the databases for a closer look.
source "$(dirname "$0")/common.sh"
check_odoo_src
cd "$REPO"
SIZES="${SIZES:-10000,100000,1000000}"
template="${BENCH_TEMPLATE:-}"
if [ -z "$template" ]; then
    template="customer_abc_bench"
    echo "bench: template database $template (the addon installed, no demo data)" >&2
    dropdb --if-exists "$template"
    odoo_bin -d "$template" -i customer_abc --without-demo=all --stop-after-init --log-level=warn 2>&1 \
        | grep -v "Running as user 'root'" || true
fi
PYTHONPATH="$ODOO_SRC" "$PY" tools/bench.py --template "$template" --sizes "$SIZES" --addons-path "$(addons_path)"
if [ -z "${BENCH_TEMPLATE:-}" ] && [ -z "${BENCH_KEEP:-}" ]; then
    dropdb --if-exists "$template"
fi
