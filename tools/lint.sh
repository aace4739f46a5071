#!/usr/bin/env bash
# The ecosystem's linters: ruff (lint + format), pylint-odoo, oca-checks-odoo-module, oca-checks-po.
source "$(dirname "$0")/common.sh"
cd "$REPO"
status=0
run() {
    echo "lint: $*"
    "$@" || status=1
}
run "$VENV/bin/ruff" check .
run "$VENV/bin/ruff" format --check .
run env PYTHONPATH="$ODOO_SRC" "$VENV/bin/pylint" --rcfile=.pylintrc customer_abc
run "$VENV/bin/oca-checks-odoo-module" customer_abc
run "$VENV/bin/oca-checks-po" customer_abc/i18n/customer_abc.pot customer_abc/i18n/zh_CN.po
if [ "$status" != 0 ]; then
    echo "lint: FAILED" >&2
fi
exit "$status"
