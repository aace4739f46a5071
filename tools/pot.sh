#!/usr/bin/env bash
# Regenerate customer_abc/i18n/customer_abc.pot from the code on every
# supported Odoo series and merge it into every .po (new terms arrive
# untranslated; `make test` lists them).  The template is the union of what
# Odoo 18.0 ($ODOO_SRC, default /opt/odoo) and 19.0 ($ODOO19_SRC, default
# /opt/odoo19) export; a term of one series only is marked so.  Both trees
# are needed.
source "$(dirname "$0")/common.sh"
cd "$REPO"
ODOO18_SRC="${ODOO18_SRC:-$ODOO_SRC}"
[ "$(odoo_series "$ODOO18_SRC")" = 18.0 ] || ODOO18_SRC=/opt/odoo
ODOO19_SRC="${ODOO19_SRC:-/opt/odoo19}"
work="$(mktemp -d)"
dbs=()
trap 'for db in "${dbs[@]}"; do dropdb --if-exists "$db" >/dev/null 2>&1 || true; done' EXIT
templates=()
for src in "$ODOO18_SRC" "$ODOO19_SRC"; do
    # each series in its own shell: common.sh picks the virtualenv and options from ODOO_SRC
    series="$(odoo_series "$src")"
    db="customer_abc_pot_${series%%.*}_$$"
    dbs+=("$db")
    ODOO_SRC="$src" VENV="" bash -c '
        source tools/common.sh
        check_odoo_src
        tools/setup.sh
        odoo_bin -d "$1" -i customer_abc $WITHOUT_DEMO --stop-after-init --log-level=warn 2>&1 \
            | grep -v "Running as user '\''root'\''" || true
        POT_OUT="$2" odoo_bin shell -d "$1" --no-http --log-level=warn < tools/export_pot.py 2>&1 | grep -q "^POT EXPORTED" \
            || { echo "pot: the export failed on Odoo $ODOO_SERIES" >&2; exit 1; }
    ' pot "$db" "$work/$series.pot"
    templates+=("$series=$work/$series.pot")
done
"$PY" tools/i18n.py update "${templates[@]}"
"$VENV/bin/oca-checks-po" --fix customer_abc/i18n/customer_abc.pot customer_abc/i18n/zh_CN.po >/dev/null || true
