#!/usr/bin/env bash
# Packaging checks: upgrade from the previous version with data kept, and a
# clean uninstall.  UPGRADE_FROM (a git revision) names the previous version.
# Its default depends on the Odoo series at $ODOO_SRC:
#   18.0: the commit of release 18.0.1.0.0 (tagged v18.0.1.0.0 where tags are
#         pushed), so a clone of main without tags still finds it;
#   19.0: the first commit whose manifest version carries no series ("1.2.0",
#         which each Odoo completes to its own series): the first that installs
#         on 19.0 (18.0.x manifests are not installable there).
source "$(dirname "$0")/common.sh"
check_odoo_src
cd "$REPO"
first_series_free_commit() {
    git log --reverse --format=%H -G'"version": "[0-9]+[.][0-9]+[.][0-9]+"' -- customer_abc/__manifest__.py | sed -n 1p
}
if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
    echo "packaging: shallow clone, fetching the history to find the previous version"
    git fetch -q --unshallow || true
fi
if [ -z "${UPGRADE_FROM:-}" ]; then
    case "$ODOO_SERIES" in
        19.0) UPGRADE_FROM="$(first_series_free_commit)" ;;
        *) UPGRADE_FROM="57407e51a58346371ee4812075832986d15b9ee8" ;;
    esac
fi
if [ -z "$UPGRADE_FROM" ] || ! git cat-file -e "$UPGRADE_FROM^{commit}" 2>/dev/null; then
    echo "packaging: the previous version ${UPGRADE_FROM:-(none found)} is not in this clone's history;" \
        "clone without --depth or set UPGRADE_FROM to a revision that installs on Odoo $ODOO_SERIES" >&2
    exit 1
fi
work="$(mktemp -d)"
db="customer_abc_upgrade_$$"
trap 'dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT
core="$(addons_path)"
core="${core%,$REPO}"

echo "== upgrade from $UPGRADE_FROM ($(git log -1 --format=%s "$UPGRADE_FROM" | cut -c1-60)) on Odoo $ODOO_SERIES"
git archive "$UPGRADE_FROM" customer_abc | tar -x -C "$work"
"$PY" "$ODOO_SRC/odoo-bin" --addons-path="$core,$work" -d "$db" -i customer_abc $WITHOUT_DEMO \
    --stop-after-init --log-level=warn $ODOO_DB_ARGS 2>&1 | grep -v "Running as user 'root'" || true
# Odoo exits 0 on a module it finds not installable: look at the state
if ! psql -d "$db" -Atc "SELECT 1 FROM ir_module_module WHERE name = 'customer_abc' AND state = 'installed'" | grep -q 1; then
    echo "packaging: $UPGRADE_FROM did not install on Odoo $ODOO_SERIES" >&2
    exit 1
fi
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
