#!/usr/bin/env bash
# Packaging checks: upgrade from the previous version with data kept, and a
# clean uninstall.  UPGRADE_FROM (a git revision) names the previous version;
# the default is the commit of release 18.0.1.0.0 (tagged v18.0.1.0.0 where
# tags are pushed), so a clone of main without tags still finds it.
source "$(dirname "$0")/common.sh"
check_odoo_src
cd "$REPO"
UPGRADE_FROM="${UPGRADE_FROM:-57407e51a58346371ee4812075832986d15b9ee8}"
if ! git cat-file -e "$UPGRADE_FROM^{commit}" 2>/dev/null; then
    if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
        echo "packaging: shallow clone, fetching the history to find $UPGRADE_FROM"
        git fetch -q --unshallow || true
    fi
fi
if ! git cat-file -e "$UPGRADE_FROM^{commit}" 2>/dev/null; then
    echo "packaging: the previous version $UPGRADE_FROM is not in this clone's history;" \
        "clone without --depth or set UPGRADE_FROM to a revision of 18.0.1.0.0" >&2
    exit 1
fi
work="$(mktemp -d)"
db="customer_abc_upgrade_$$"
trap 'dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT
core="$(addons_path)"
core="${core%,$REPO}"

echo "== upgrade from $UPGRADE_FROM"
git archive "$UPGRADE_FROM" customer_abc | tar -x -C "$work"
"$PY" "$ODOO_SRC/odoo-bin" --addons-path="$core,$work" -d "$db" -i customer_abc --without-demo=all \
    --stop-after-init --log-level=warn $ODOO_DB_ARGS 2>&1 | grep -v "Running as user 'root'" || true
"$PY" "$ODOO_SRC/odoo-bin" --addons-path="$core,$work" shell -d "$db" --no-http --log-level=warn $ODOO_DB_ARGS \
    < tools/upgrade_seed.py 2>&1 | grep -E "UPGRADE|Error|error" || true
odoo_bin -d "$db" -u customer_abc --stop-after-init --log-level=warn --logfile="$work/upgrade.log"
if grep -E " (ERROR|CRITICAL) " "$work/upgrade.log"; then
    echo "packaging: errors while upgrading (log: $work/upgrade.log)" >&2
    exit 1
fi
result="$(odoo_bin shell -d "$db" --no-http --log-level=warn < tools/upgrade_check.py 2>&1 | grep -E "^UPGRADE" || true)"
echo "$result"
[ "$result" = "UPGRADE OK" ]

echo "== uninstall"
result="$(odoo_bin shell -d "$db" --no-http --log-level=warn < tools/uninstall_check.py 2>&1 | grep -E "^UNINSTALL" || true)"
echo "$result"
[ "$result" = "UNINSTALL OK" ]
