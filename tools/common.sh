# Shared settings of the project's scripts; sourced, not run.
# ODOO_SRC names the Odoo source tree (18.0 or 19.0 Community, default /opt/odoo); the
# series found there picks the virtualenv and Odoo's pinned runtime requirements:
#   18.0 -> .venv   + requirements-odoo.txt
#   19.0 -> .venv19 + requirements-odoo19.txt
# (VENV overrides the virtualenv; the addon's own requirements.txt is the same for both.)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ODOO_SRC="${ODOO_SRC:-/opt/odoo}"
SUPPORTED_SERIES="18.0 19.0"
# extra connection options for odoo-bin, e.g. "--db_host=127.0.0.1 --db_user=odoo"
ODOO_DB_ARGS="${ODOO_DB_ARGS:-}"

odoo_series() {
    # "18.0" / "19.0" from the tree's odoo/release.py, empty when there is no Odoo tree
    [ -f "$1/odoo-bin" ] || return 0
    sed -nE 's/^version_info = \(([0-9]+), ([0-9]+),.*/\1.\2/p' "$1/odoo/release.py" 2>/dev/null | head -1
}

ODOO_SERIES="$(odoo_series "$ODOO_SRC")"
case "$ODOO_SERIES" in
    19.0) _venv_default="$REPO/.venv19"; ODOO_REQUIREMENTS="requirements-odoo19.txt" ;;
    *) _venv_default="$REPO/.venv"; ODOO_REQUIREMENTS="requirements-odoo.txt" ;;
esac
VENV="${VENV:-$_venv_default}"
# demo data: loaded by default on 18.0 (--without-demo=all turns it off), not on 19.0 (--with-demo turns it on)
case "$ODOO_SERIES" in
    19.0) WITHOUT_DEMO=""; WITH_DEMO="--with-demo" ;;
    *) WITHOUT_DEMO="--without-demo=all"; WITH_DEMO="" ;;
esac
case "$VENV" in /*) ;; *) VENV="$REPO/$VENV" ;; esac
PY="$VENV/bin/python"

check_odoo_src() {
    if [ -z "$ODOO_SERIES" ] || [[ " $SUPPORTED_SERIES " != *" $ODOO_SERIES "* ]]; then
        echo "error: ODOO_SRC=$ODOO_SRC holds no Odoo ${SUPPORTED_SERIES// / or } source tree." >&2
        echo "       Expected $ODOO_SRC/odoo-bin and $ODOO_SRC/odoo/release.py saying version 18.0 or 19.0." >&2
        echo "       Check out Odoo 18.0 or 19.0 Community there, or point ODOO_SRC at your tree." >&2
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
