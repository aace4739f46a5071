#!/usr/bin/env bash
# The pure engine tests (no database), with the virtualenv of the series at $ODOO_SRC.
source "$(dirname "$0")/common.sh"
check_odoo_src
cd "$REPO"
PYTHONPATH="$ODOO_SRC" "$PY" tools/run_engine_tests.py
