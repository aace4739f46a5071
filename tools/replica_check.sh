#!/usr/bin/env bash
# Odoo on a PostgreSQL streaming replica, proved: a hot standby of this
# machine's PostgreSQL (pg_basebackup -R into a scratch directory, started on
# its own port by this script, stopped and removed at the end), Odoo with
# --workers=2 and --db_replica_host/--db_replica_port, then
# tools/replica_check.py opens every screen as a salesman and as a manager and
# proves from both servers' statistics that the reads ran on the standby and
# the writes on the primary (and reached the standby); finally the nightly
# classification's big read runs on the standby (the primary does not scan
# the orders for it).
#   DEMO_DB    database to use (default: a fresh demo database, made by tools/demo.sh)
#   REPLICA_PORT (5433), HTTP_PORT (18769)
# Needs root (the standby runs as the postgres user) and adds, when missing,
# "replication" lines with trust for local connections to pg_hba.conf.
source "$(dirname "$0")/common.sh"
check_odoo_src
cd "$REPO"
REPLICA_PORT="${REPLICA_PORT:-5433}"
HTTP_PORT="${HTTP_PORT:-18769}"
PG_BIN="$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)"
[ -x "$PG_BIN/pg_ctl" ] || PG_BIN="/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -n | tail -1)/bin"
hba="$(psql -Atc 'SHOW hba_file')"
work="$(mktemp -d)"
standby="$work/standby"
log="$work/odoo.log"
server_pid=""
started=$(date +%s)
cleanup() {
    local status=$?
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    if [ -f "$standby/postmaster.pid" ]; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$standby" -m fast stop >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
chmod 755 "$work"
chown postgres: "$work"  # the standby writes its log and socket there

if ! grep -Eq '^(local|host)[[:space:]]+replication' "$hba"; then
    echo "replica_check: allowing local replication connections in $hba"
    printf 'local replication all trust\nhost replication all 127.0.0.1/32 trust\n' >> "$hba"
    psql -qc "SELECT pg_reload_conf()" >/dev/null
fi

if [ -z "${DEMO_DB:-}" ]; then
    DEMO_DB="customer_abc_replica_demo"
    echo "replica_check: demo database $DEMO_DB"
    DEMO_DB="$DEMO_DB" SERVE=0 PORT="$HTTP_PORT" tools/demo.sh >/dev/null
fi

echo "replica_check: standby of the cluster on port $REPLICA_PORT ($standby)"
mkdir -p "$standby" && chown postgres: "$standby" && chmod 700 "$standby"
t0=$(date +%s)
runuser -u postgres -- pg_basebackup -D "$standby" -R -X stream -c fast -p 5432 -h /var/run/postgresql
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' > "$standby/pg_hba.conf"
: > "$standby/postgresql.conf"
chown postgres: "$standby/pg_hba.conf" "$standby/postgresql.conf"
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$standby" -l "$work/standby.log" -w -o \
    "-p $REPLICA_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work -c hot_standby=on \
     -c hba_file=$standby/pg_hba.conf -c max_connections=100 -c shared_buffers=256MB" start >/dev/null
echo "replica_check: standby ready in $(( $(date +%s) - t0 )) s"

# odoo-bin itself in the background (not a shell function), so that the cleanup stops it
# shellcheck disable=SC2086
"$PY" "$ODOO_SRC/odoo-bin" --addons-path="$(addons_path)" $ODOO_DB_ARGS -d "$DEMO_DB" --db-filter="^$DEMO_DB\$" --workers=2 --max-cron-threads=0 --http-port="$HTTP_PORT" \
    --http-interface=127.0.0.1 --db_replica_host=127.0.0.1 --db_replica_port="$REPLICA_PORT" \
    --logfile="$log" --log-level=info &
server_pid=$!
for _ in $(seq 60); do
    curl -sf "http://127.0.0.1:$HTTP_PORT/web/login" >/dev/null && break
    sleep 1
done
status=0
"$PY" tools/replica_check.py --url "http://127.0.0.1:$HTTP_PORT" --db "$DEMO_DB" --standby-port "$REPLICA_PORT" \
    --log "$log" || status=1

echo "== the nightly classification's big read on the standby"
# rows of the orders read, as each server counts them: the order aggregate reads every
# order; what stays on the primary is bounded by the open follow-ups (their outcome is
# measured by the statement that writes it) and the customers followed up (salesperson)
order_reads="SELECT sum(seq_tup_read + coalesce(idx_tup_fetch, 0)) FROM pg_stat_user_tables WHERE relname = 'sale_order'"
orders="$(psql -Atc "SELECT count(*) FROM sale_order" -d "$DEMO_DB")"
sleep 11  # PostgreSQL 15 flushes an idle backend's statistics within 10 s
before_primary="$(psql -Atc "$order_reads" -d "$DEMO_DB")"
before_standby="$(psql -h 127.0.0.1 -p "$REPLICA_PORT" -Atc "$order_reads" -d "$DEMO_DB")"
odoo_bin shell -d "$DEMO_DB" --no-http --log-level=warn --db_replica_host=127.0.0.1 --db_replica_port="$REPLICA_PORT" \
    <<'PYEOF' 2>&1 | grep -E "^REPLICA" || true
import time
for company in env["res.company"].search([]):
    started = time.perf_counter()
    env["customer.abc.classifier"]._classify_company(company, kind="manual", commit=True)
    run = env["customer.abc.run"].search([("company_id", "=", company.id)], limit=1)
    print(f"REPLICA run {company.name}: read from {run.read_from}, {run.customers} customers, "
          f"{time.perf_counter() - started:.1f} s, aggregate {run.phase_seconds.get('aggregate', 0):.1f} s")
PYEOF
sleep 11
on_primary=$(( $(psql -Atc "$order_reads" -d "$DEMO_DB") - before_primary ))
on_standby=$(( $(psql -h 127.0.0.1 -p "$REPLICA_PORT" -Atc "$order_reads" -d "$DEMO_DB") - before_standby ))
echo "replica_check: order rows read by the classification ($orders orders): standby $on_standby, primary $on_primary"
if [ "$on_standby" -lt "$orders" ] || [ "$(( on_primary * 10 ))" -gt "$orders" ]; then
    echo "replica_check: the order aggregate did not run on the standby (or the primary read more than a tenth of the orders)" >&2
    status=1
fi

echo "== a lagging standby is not read"
# replay paused on the standby, a write on the primary, 2 s of lag allowed: the run reads the primary
standby_sql() { psql -h 127.0.0.1 -p "$REPLICA_PORT" -d "$DEMO_DB" -Atqc "$1" >/dev/null; }
psql -d "$DEMO_DB" -Atqc "INSERT INTO ir_config_parameter (key, value, create_date, write_date)
    VALUES ('customer_abc.replica_max_lag', '2', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
    ON CONFLICT (key) DO UPDATE SET value = '2'" >/dev/null
sleep 1
standby_sql "SELECT pg_wal_replay_pause()"
psql -d "$DEMO_DB" -Atqc "UPDATE res_partner SET write_date = write_date WHERE id = (SELECT min(id) FROM res_partner)"
sleep 4
lagging="$(odoo_bin shell -d "$DEMO_DB" --no-http --log-level=warn --db_replica_host=127.0.0.1 \
    --db_replica_port="$REPLICA_PORT" <<'PYEOF' 2>&1 | grep -E "^REPLICA|lags" || true
company = env["res.company"].search([], limit=1)
env["customer.abc.classifier"]._classify_company(company, kind="manual", commit=True)
run = env["customer.abc.run"].search([("company_id", "=", company.id)], limit=1)
print(f"REPLICA lagging standby: read from {run.read_from}")
PYEOF
)"
standby_sql "SELECT pg_wal_replay_resume()"
psql -d "$DEMO_DB" -Atqc "DELETE FROM ir_config_parameter WHERE key = 'customer_abc.replica_max_lag'" >/dev/null
echo "$lagging" | sed -E 's/^.*WARNING [^ ]+ [^ ]+: //'
if ! echo "$lagging" | grep -q "REPLICA lagging standby: read from primary" || ! echo "$lagging" | grep -q "lags"; then
    echo "replica_check: a lagging standby was read, or the job did not say why it read the primary" >&2
    status=1
fi
echo "replica_check: $([ "$status" = 0 ] && echo OK || echo FAILED) in $(( $(date +%s) - started )) s"
exit "$status"
