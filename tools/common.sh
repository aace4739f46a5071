# Shared settings of the project's scripts; sourced, not run.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ODOO_SRC="${ODOO_SRC:-/opt/odoo}"
VENV="${VENV:-$REPO/.venv}"
PY="$VENV/bin/python"
# extra connection options for odoo-bin, e.g. "--db_host=127.0.0.1 --db_user=odoo"
ODOO_DB_ARGS="${ODOO_DB_ARGS:-}"

check_odoo_src() {
    if [ ! -f "$ODOO_SRC/odoo-bin" ] || ! grep -qE "^version_info = \(18, 0," "$ODOO_SRC/odoo/release.py" 2>/dev/null; then
        echo "error: ODOO_SRC=$ODOO_SRC holds no Odoo 18.0 source tree." >&2
        echo "       Expected $ODOO_SRC/odoo-bin and $ODOO_SRC/odoo/release.py saying version 18.0." >&2
        echo "       Check out Odoo 18.0 Community there, or point ODOO_SRC at your tree." >&2
        exit 2
    fi
}

addons_path() {
    # a tree whose odoo/addons holds every module (packaged layouts), or the git layout (addons/ + odoo/addons/)
    if [ -d "$ODOO_SRC/odoo/addons/sale" ]; then
        echo "$ODOO_SRC/odoo/addons,$REPO"
    else
        echo "$ODOO_SRC/addons,$ODOO_SRC/odoo/addons,$REPO"
    fi
}

odoo_bin() {
    # shellcheck disable=SC2086
    "$PY" "$ODOO_SRC/odoo-bin" --addons-path="$(addons_path)" "$@" $ODOO_DB_ARGS
}
