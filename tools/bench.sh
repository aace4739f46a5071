#!/usr/bin/env bash
# Benchmark of the daily job: see tools/bench.py.  SIZES=10000,100000,1000000 by default.
source "$(dirname "$0")/common.sh"
check_odoo_src
cd "$REPO"
SIZES="${SIZES:-10000,100000,1000000}"
template="customer_abc_bench"
echo "bench: template database $template (addon installed, two companies: USD and EUR)" >&2
dropdb --if-exists "$template"
odoo_bin -d "$template" -i customer_abc --without-demo=all --stop-after-init --log-level=warn 2>&1 \
    | grep -v "Running as user 'root'" || true
odoo_bin shell -d "$template" --log-level=warn --no-http 2>&1 >/dev/null <<'PY' | grep -v "Running as user 'root'" || true
eur = env.ref("base.EUR")
eur.active = True
env["res.company"].create({"name": "Bench Europe", "currency_id": eur.id})
env.cr.commit()
PY
PYTHONPATH="$ODOO_SRC" "$PY" tools/bench.py --template "$template" --sizes "$SIZES" --addons-path "$(addons_path)"
dropdb --if-exists "$template"
