#!/usr/bin/env bash
# A demo database from scratch: Odoo's and the addon's demo data (a customer
# book with two years of confirmed orders), Simplified Chinese loaded, the
# classification run and summarised, then Odoo served on localhost.
source "$(dirname "$0")/common.sh"
check_odoo_src
cd "$REPO"
# one demo database per Odoo series, so that an 18.0 and a 19.0 demo can sit side by side
case "$ODOO_SERIES" in
    19.0) DEMO_DB="${DEMO_DB:-customer_abc19_demo}" ;;
    *) DEMO_DB="${DEMO_DB:-customer_abc_demo}" ;;
esac
PORT="${PORT:-8069}"
SERVE="${SERVE:-1}"

started=$(date +%s)
echo "demo: creating database $DEMO_DB on Odoo $ODOO_SERIES (drops an existing one)"
dropdb --if-exists "$DEMO_DB"
odoo_bin -d "$DEMO_DB" -i customer_abc $WITH_DEMO --load-language=en_US,zh_CN --stop-after-init --log-level=warn \
    --http-port="$PORT" 2>&1 | grep -v "Running as user 'root'" || true
if ! psql -d "$DEMO_DB" -Atc "SELECT 1 FROM ir_module_module WHERE name = 'customer_abc' AND state = 'installed'" | grep -q 1; then
    echo "demo: customer_abc did not install" >&2
    exit 1
fi
echo "demo: classifying"
odoo_bin shell -d "$DEMO_DB" --log-level=warn --no-http < tools/demo_summary.py 2>&1 | grep -v "Running as user 'root'"
echo "demo: ready in $(( $(date +%s) - started )) s"
if [ "$SERVE" = 1 ]; then
    echo "demo: serving http://localhost:$PORT  (log in as admin / admin; Sales > Customer ABC)"
    exec "$PY" "$ODOO_SRC/odoo-bin" --addons-path="$(addons_path)" -d "$DEMO_DB" --http-port="$PORT" \
        --db-filter="^$DEMO_DB\$" $ODOO_DB_ARGS
fi
