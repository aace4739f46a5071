#!/usr/bin/env bash
# Build (or refresh) the virtualenv of the Odoo series at $ODOO_SRC with the pinned dependencies.
source "$(dirname "$0")/common.sh"
check_odoo_src
cd "$REPO"
if [ ! -x "$PY" ]; then
    echo "setup: creating virtualenv $VENV (Odoo $ODOO_SERIES)"
    python3 -m venv "$VENV"
fi
pip_install() {
    # this machine's pip.conf names local indexes that may be absent: hide those warnings, keep pip's status
    "$PY" -m pip install --quiet --disable-pip-version-check "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }
    return "${PIPESTATUS[0]}"
}
stamp="$VENV/.customer_abc-requirements"
wanted="$(cat "$ODOO_REQUIREMENTS" requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "setup: installing pinned requirements into $VENV"
    pip_install -r "$ODOO_REQUIREMENTS" -r requirements.txt -r requirements-dev.txt
    "$PY" -c "import pandas, pyarrow, xlsxwriter, phonenumbers, websocket, psycopg2" || { echo "setup: dependencies missing" >&2; exit 1; }
    echo "$wanted" > "$stamp"
fi
if ! command -v chromium >/dev/null && ! command -v google-chrome >/dev/null && ! command -v chromium-browser >/dev/null; then
    echo "setup: warning: no chromium on PATH; browser tests cannot run (Debian: apt-get install chromium)" >&2
fi
