#!/usr/bin/env bash
# Common helpers for the local stack scripts (sourced, not executed).
# Layout (all under the repo's .data/, git-ignored):
#   .data/run/<name>.pid    pid of each process
#   .data/logs/<name>.log   its log (appended)
#   .data/postgres/         PostgreSQL cluster (data/, socket/, postgres.log)
#   .data/kafka/            Kafka jars (libs/), config, KRaft data (data/)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$ROOT/.data"
RUN="$DATA/run"
LOGS="$DATA/logs"
VENV="$ROOT/.venv"

PGPORT="${PGPORT:-5432}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
export KAFKA_BOOTSTRAP_SERVERS="${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:$KAFKA_PORT}"
export DATABASE_URL="${DATABASE_URL:-postgresql://dataimport:dataimport@127.0.0.1:$PGPORT/dataimport}"

mkdir -p "$RUN" "$LOGS"

log()  { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { log "ERROR: $*"; exit 1; }

pidfile() { echo "$RUN/$1.pid"; }

# proc_live PID: the process exists and is not a zombie (pid 1 here may reap orphans only after a while).
proc_live() {
  kill -0 "$1" 2>/dev/null || return 1
  [[ -r "/proc/$1/stat" ]] || return 0
  local st; st="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)"
  [[ -n "$st" && "$st" != Z ]]
}

# is_alive NAME MARKER: the pid file exists, the process lives, and its command line contains MARKER.
is_alive() {
  local f pid
  f="$(pidfile "$1")"
  [[ -s "$f" ]] || return 1
  pid="$(head -n1 "$f" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  proc_live "$pid" || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 0   # no /proc: trust kill -0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2"
}

# spawn NAME LOGFILE CMD...: run CMD detached (own session, no stdin), append output to LOGFILE,
# and write its pid (the pid of CMD itself, via exec) to .data/run/NAME.pid.
spawn() {
  local name="$1" logf="$2"; shift 2
  local f; f="$(pidfile "$name")"
  rm -f "$f"
  printf '\n===== %s starting %s =====\n' "$(date -Is)" "$name" >>"$logf"
  nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$f" "$@" >>"$logf" 2>&1 </dev/null &
  local i
  for i in $(seq 1 50); do [[ -s "$f" ]] && return 0; sleep 0.1; done
  die "$name: no pid file after spawn"
}

# stop_pid NAME TIMEOUT_S: SIGTERM, wait up to TIMEOUT_S, then SIGKILL. Removes the pid file.
stop_pid() {
  local name="$1" timeout="${2:-20}" f pid
  f="$(pidfile "$name")"
  [[ -s "$f" ]] || { rm -f "$f"; return 0; }
  pid="$(head -n1 "$f")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && proc_live "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    local end=$((SECONDS + timeout))
    while proc_live "$pid" && ((SECONDS < end)); do sleep 0.2; done
    if proc_live "$pid"; then
      log "$name (pid $pid) did not stop in ${timeout}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$f"
}

tail_log() { local f="$1"; [[ -e "$f" ]] && { echo "----- last lines of $f -----" >&2; tail -n "${2:-40}" "$f" >&2; echo "-----" >&2; }; return 0; }

# Python with aiokafka for readiness checks: the project's venv if present, else `uv run python`.
py() {
  if [[ -x "$VENV/bin/python" ]]; then "$VENV/bin/python" "$@"; else (cd "$ROOT" && uv run python "$@"); fi
}
