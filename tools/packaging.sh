#!/usr/bin/env bash
# Packaging checks: upgrade from the previous version with data kept, and a
# clean uninstall.  UPGRADE_FROM (a git revision, default: the tag of the
# previous release) names the previous version.
source "$(dirname "$0")/common.sh"
check_odoo_src
cd "$REPO"
UPGRADE_FROM="${UPGRADE_FROM:-v18.0.1.0.0}"
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
