#!/usr/bin/env bash
# Benchmark of the daily job: see tools/bench.py.  SIZES=10000,100000,1000000 by default
# (orders; 10000000 for the million-customer book).
#   default: a base database with Odoo's modules (customer_abc_bench_<series>, kept), and per
#            size a kept data template generated once (<base>_data_<size>); BENCH_REBUILD=1
#            regenerates them
#   BENCH_TEMPLATE=<db>: a database where the addon is installed (make test's smoke run);
#            the data is generated into each copy
# BENCH_KEEP=1 keeps the databases of the runs for a closer look.
source "$(dirname "$0")/common.sh"
check_odoo_src
cd "$REPO"
export ODOO_SRC
SIZES="${SIZES:-10000,100000,1000000}"
if [ -n "${BENCH_TEMPLATE:-}" ]; then
    source_args=(--template "$BENCH_TEMPLATE")
else
    base="customer_abc_bench_${ODOO_SERIES/./}"
    if ! psql -Atc "SELECT 1 FROM ir_module_module WHERE name = 'sale_loyalty' AND state = 'installed'" "$base" \
        2>/dev/null | grep -q 1; then
        echo "bench: base database $base (Odoo's sale, loyalty and sms modules; kept for later runs)" >&2
        dropdb --if-exists "$base"
        odoo_bin -d "$base" -i sale_management,sale_loyalty,sms $WITHOUT_DEMO --stop-after-init --log-level=warn 2>&1 \
            | grep -v "Running as user 'root'" || true
    fi
    source_args=(--base "$base")
    [ -n "${BENCH_REBUILD:-}" ] && source_args+=(--rebuild)
fi
PYTHONPATH="$ODOO_SRC" "$PY" tools/bench.py "${source_args[@]}" --sizes "$SIZES" --addons-path "$(addons_path)"
