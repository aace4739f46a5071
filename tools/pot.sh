#!/usr/bin/env bash
# Regenerate customer_abc/i18n/customer_abc.pot from the code and merge it into
# every .po (new terms arrive untranslated; `make test` lists them).
source "$(dirname "$0")/common.sh"
check_odoo_src
cd "$REPO"
db="customer_abc_pot_$$"
work="$(mktemp -d)"
trap 'dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT
odoo_bin -d "$db" -i customer_abc --without-demo=all --stop-after-init --log-level=warn 2>&1 | grep -v "Running as user 'root'" || true
odoo_bin -d "$db" --i18n-export="$work/customer_abc.pot" --modules=customer_abc --log-level=warn 2>&1 | grep -v "Running as user 'root'" || true
"$PY" tools/i18n.py update "$work/customer_abc.pot"
"$VENV/bin/oca-checks-po" --fix customer_abc/i18n/customer_abc.pot customer_abc/i18n/zh_CN.po >/dev/null || true
