#!/usr/bin/env bash
# Local PostgreSQL for development and tests: scripts/pg.sh start|stop|status|destroy|psql [args]
#
# The cluster lives in .data/postgres/data and is run by the `postgres` user when invoked as root
# (PostgreSQL refuses to run as root). If the `postgres` user cannot reach .data (e.g. the repo sits in
# a 0700 mktemp directory or under /root), the cluster is placed in a postgres-owned directory
# (~postgres/dataimport/<hash of repo path>) and .data/postgres is a symlink to it.
# Port: $PGPORT (default 5432), listening on 127.0.0.1 only; unix socket in .data/postgres/socket.
# Role `dataimport` / password `dataimport` owns database `dataimport`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PGBIN="${PGBIN:-}"
if [[ -z "$PGBIN" ]]; then
  PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
fi
[[ -x "$PGBIN/postgres" ]] || die "PostgreSQL server binaries not found (install the Debian package 'postgresql', or set PGBIN)"

if [[ "$(id -u)" == 0 ]]; then
  id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user"
  as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
  as_pg() { (cd / && "$@"); }
fi

PGLINK="$DATA/postgres"

# Decide where the cluster lives (only matters the first time; afterwards .data/postgres exists).
resolve_pgroot() {
  if [[ -L "$PGLINK" ]]; then PGROOT="$(readlink -f "$PGLINK")"; return; fi
  if [[ -d "$PGLINK" ]]; then PGROOT="$PGLINK"; return; fi
  if [[ "$(id -u)" != 0 ]] || as_pg test -x "$DATA" -a -r "$DATA"; then
    mkdir -p "$PGLINK"
    PGROOT="$PGLINK"
  else
    local home hash
    home="$(getent passwd postgres | cut -d: -f6)"; [[ -d "$home" ]] || home=/var/lib/postgresql
    hash="$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
    PGROOT="$home/dataimport/$hash"
    mkdir -p "$PGROOT"
    chown postgres: "$home/dataimport" 2>/dev/null || true
    ln -sfn "$PGROOT" "$PGLINK"
    log "postgres user cannot reach $DATA: cluster placed in $PGROOT (symlinked from .data/postgres)"
  fi
  [[ "$(id -u)" == 0 ]] && chown postgres: "$PGROOT"
  return 0
}
if [[ ! -e "$PGLINK" && ( "${1:-}" == stop || "${1:-}" == status || "${1:-}" == destroy ) ]]; then
  [[ "${1:-}" == status ]] && { echo "postgres: not initialised"; exit 3; }
  rm -f "$RUN/postgres.pid"; exit 0
fi
resolve_pgroot
PGDATA="$PGROOT/data"
SOCKDIR="$PGROOT/socket"
# unix socket paths are limited to ~107 bytes
if (( ${#SOCKDIR} > 90 )); then SOCKDIR="/tmp/dataimport-pg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"; fi
PGLOG="$PGROOT/postgres.log"

postmaster_pid() { head -n1 "$PGDATA/postmaster.pid" 2>/dev/null || true; }
pg_running() {
  local pid; pid="$(postmaster_pid)"
  [[ "$pid" =~ ^[0-9]+$ ]] && proc_live "$pid" && as_pg "$PGBIN/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1
}
# After a crash (kill -9) the dead postmaster may linger as a zombie and its backends a moment longer:
# wait for them to go before starting again (PostgreSQL refuses while they hold the shared memory).
wait_stale() {
  local pid i; pid="$(postmaster_pid)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  for i in $(seq 1 75); do
    [[ -e "/proc/$pid" ]] || break
    sleep 0.2
  done
  if [[ -e "/proc/$pid" ]] && ! proc_live "$pid"; then
    log "postmaster $pid is a zombie: removing its stale postmaster.pid"; rm -f "$PGDATA/postmaster.pid"
  fi
}

write_conf() {
  # Regenerated at every start so PGPORT etc. can change without re-initialising.
  local conf="$PGDATA/dataimport.conf"
  cat >"$conf" <<CONF
# Written by scripts/pg.sh at each start: do not edit (edit scripts/pg.sh).
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$SOCKDIR'
max_connections = 200
shared_buffers = 1GB
synchronous_commit = off
# Bulk loads: checkpoints by time, not every GB of WAL (fewer full-page images), compressed WAL, and no JIT
# compilation of the per-chunk statements (it cost 50-170 ms per statement and saves nothing at this size).
max_wal_size = 8GB
checkpoint_timeout = 15min
wal_compression = lz4
jit = off
maintenance_work_mem = 256MB
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
fsync = on
full_page_writes = on
log_min_messages = warning
log_line_prefix = '%m [%p] %u@%d '
log_timezone = 'UTC'
timezone = 'UTC'
CONF
  [[ "$(id -u)" == 0 ]] && chown postgres: "$conf"
  return 0
}

init_cluster() {
  [[ -s "$PGDATA/PG_VERSION" ]] && return 0
  log "initdb $PGDATA"
  mkdir -p "$PGDATA"; [[ "$(id -u)" == 0 ]] && chown postgres: "$PGDATA"
  as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --no-locale \
      --auth-local=trust --auth-host=scram-sha-256 >>"$LOGS/postgres-initdb.log" 2>&1 \
    || { tail_log "$LOGS/postgres-initdb.log"; die "initdb failed"; }
  echo "include_if_exists = 'dataimport.conf'" >>"$PGDATA/postgresql.conf"
}

psql_admin() { as_pg "$PGBIN/psql" -h "$SOCKDIR" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

ensure_db() {
  psql_admin -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dataimport') THEN
        CREATE ROLE dataimport LOGIN CREATEDB PASSWORD 'dataimport';
      END IF; END \$\$;" >/dev/null
  if [[ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'dataimport'")" != 1 ]]; then
    psql_admin -c "CREATE DATABASE dataimport OWNER dataimport" >/dev/null
    log "created database dataimport"
  fi
}

start() {
  mkdir -p "$SOCKDIR"; [[ "$(id -u)" == 0 ]] && chown postgres: "$SOCKDIR"
  [[ -e "$PGLOG" ]] || { touch "$PGLOG"; [[ "$(id -u)" == 0 ]] && chown postgres: "$PGLOG"; }
  ln -sfn "$PGLOG" "$LOGS/postgres.log"
  init_cluster
  if pg_running; then
    log "postgres already running (port $PGPORT)"
  else
    write_conf
    wait_stale
    log "starting postgres on 127.0.0.1:$PGPORT"
    # pg_ctl -w returns once the server accepts connections; the server detaches into its own session.
    local try
    for try in 1 2 3 4; do
      as_pg setsid "$PGBIN/pg_ctl" start -D "$PGDATA" -l "$PGLOG" -w -t 60 -s </dev/null && break
      ((try < 4)) || { tail_log "$PGLOG"; die "postgres did not start (is port $PGPORT already used by another server?)"; }
      log "postgres did not start (try $try): retrying in 2 s"; sleep 2
    done
  fi
  head -n1 "$PGDATA/postmaster.pid" >"$RUN/postgres.pid"
  local i
  for i in $(seq 1 100); do "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" && break; sleep 0.2; done
  "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" || { tail_log "$PGLOG"; die "postgres not ready"; }
  ensure_db
}

stop() {
  if [[ -s "$PGDATA/PG_VERSION" ]] && pg_running; then
    as_pg "$PGBIN/pg_ctl" stop -D "$PGDATA" -m fast -w -t 60 -s || as_pg "$PGBIN/pg_ctl" stop -D "$PGDATA" -m immediate -w -s
    log "stopped postgres"
  fi
  rm -f "$RUN/postgres.pid"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if pg_running; then echo "postgres: running (pid $(postmaster_pid), 127.0.0.1:$PGPORT)"; else echo "postgres: stopped"; exit 3; fi ;;
  destroy)
    stop
    if [[ -L "$PGLINK" ]]; then rm -rf "$(readlink -f "$PGLINK")"; rm -f "$PGLINK"; else rm -rf "$PGLINK"; fi
    [[ "$SOCKDIR" == /tmp/dataimport-pg-* ]] && rm -rf "$SOCKDIR"
    rm -f "$LOGS/postgres.log"
    log "removed the postgres cluster" ;;
  psql) shift; as_pg "$PGBIN/psql" -h "$SOCKDIR" -p "$PGPORT" -U postgres -d dataimport "$@" ;;
  *) echo "usage: $0 start|stop|status|destroy|psql [args]" >&2; exit 2 ;;
esac
