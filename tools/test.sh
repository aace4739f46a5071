#!/usr/bin/env bash
# Everything CI runs: linters, the engine tests, the addon's Odoo tests on a
# fresh database (browser tours in headless Chromium), the i18n check, the
# upgrade and uninstall checks, and a benchmark smoke run.
# Fails on any failure, error, warning of the addon or skipped test.
source "$(dirname "$0")/common.sh"
check_odoo_src
cd "$REPO"
MIN_TESTS="${MIN_TESTS:-60}"
TEST_HTTP_PORT="${TEST_HTTP_PORT:-18069}"

for browser in chromium google-chrome chromium-browser google-chrome-stable; do
    command -v "$browser" >/dev/null && break
    browser=""
done
if [ -z "$browser" ] || ! "$PY" -c "import websocket" 2>/dev/null; then
    echo "test: Chromium and websocket-client are required, or Odoo would skip the browser tests." >&2
    echo "      Debian: apt-get install chromium; then make setup." >&2
    exit 1
fi

echo "== Odoo $ODOO_SERIES at $ODOO_SRC, virtualenv $VENV"
echo "== lint"
tools/lint.sh

echo "== engine tests (no database)"
PYTHONPATH="$ODOO_SRC" "$PY" tools/run_engine_tests.py

echo "== Odoo tests on a fresh database"
db="customer_abc_test_$$"
work="$(mktemp -d)"
log="$work/odoo-test.log"
cleanup() { dropdb --if-exists "$db" >/dev/null 2>&1 || true; }
trap cleanup EXIT
set +e
odoo_bin -d "$db" -i customer_abc $WITHOUT_DEMO --test-tags /customer_abc \
    --stop-after-init --http-interface=127.0.0.1 --http-port="$TEST_HTTP_PORT" --log-level=info --logfile="$log"
rc=$?
set -e
grep -E " (ERROR|WARNING|CRITICAL) |odoo\.tests\.result|: skipped |FAIL:|ERROR:" "$log" | grep -v "Running as user 'root'" || true
echo "odoo-bin exited with $rc (full log: $log)"
"$PY" tools/check_test_log.py "$log" --min-tests "$MIN_TESTS"
[ "$rc" = 0 ]

echo "== translations"
POT_OUT="$work/customer_abc.pot" odoo_bin shell -d "$db" --no-http --log-level=warn < tools/export_pot.py 2>&1 \
    | grep -q "^POT EXPORTED" || { echo "test: the translation export failed" >&2; exit 1; }
"$PY" tools/i18n.py check "$ODOO_SERIES" "$work/customer_abc.pot"

echo "== packaging: upgrade from the previous version, uninstall"
tools/packaging.sh

echo "== benchmark smoke run (10,000 orders; figures, no timing assertion)"
BENCH_TEMPLATE="$db" SIZES=10000 tools/bench.sh

echo "== all checks passed on Odoo $ODOO_SERIES"
