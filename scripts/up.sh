#!/usr/bin/env bash
# Starts the local stack in the background: PostgreSQL, Kafka, then `dataimport migrate`,
# `dataimport topics create`, `dataimport tokens dev`, then the services. Starts only what is not running.
#
#   scripts/up.sh              everything (make up)
#   scripts/up.sh --infra      PostgreSQL + Kafka only (make infra-up)
#
# Environment:
#   SERVICES="job-api validator ingestor reporter"   services to start ("" = none; bootstrap still runs)
#   VALIDATORS=N INGESTORS=N   replicas (N>1: validator-1..N on ports 8181.., ingestor-1..N on 8281..);
#                              likewise REPORTERS (8381..) and JOB_APIS (8481..)
#   EXTERNAL_POSTGRES=1 / EXTERNAL_KAFKA=1   do not start them; use DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS
#   PGPORT (5432), KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), READY_TIMEOUT (60 s per service),
#   SERVICE_PORT_OFFSET (0: added to every service port)
#   SKIP_BOOTSTRAP=1           skip migrate / topics create / tokens dev
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

INFRA_ONLY=0
[[ "${1:-}" == "--infra" ]] && INFRA_ONLY=1

# --- infrastructure ---------------------------------------------------------------------------
if [[ "${EXTERNAL_POSTGRES:-0}" == 1 ]]; then
  log "EXTERNAL_POSTGRES=1: using $DATABASE_URL"
else
  "$ROOT/scripts/pg.sh" start
fi
if [[ "${EXTERNAL_KAFKA:-0}" == 1 ]]; then
  log "EXTERNAL_KAFKA=1: using $KAFKA_BOOTSTRAP_SERVERS"
else
  "$ROOT/scripts/kafka.sh" start
fi
((INFRA_ONLY)) && { log "infrastructure up"; exit 0; }

# --- bootstrap (idempotent CLI commands) ------------------------------------------------------
if command -v uv >/dev/null; then DATAIMPORT=(uv run dataimport); else DATAIMPORT=("$VENV/bin/dataimport"); fi
if [[ "${SKIP_BOOTSTRAP:-0}" != 1 ]]; then
  log "dataimport migrate";       "${DATAIMPORT[@]}" migrate
  log "dataimport topics create"; "${DATAIMPORT[@]}" topics create
  log "dataimport tokens dev";    "${DATAIMPORT[@]}" tokens dev --output "$DATA/dev-token"
fi

# --- services ---------------------------------------------------------------------------------
SERVICES="${SERVICES-job-api validator ingestor reporter}"
# SERVICE_PORT_OFFSET shifts every service port (a second stack beside the first, e.g. for fault tests).
o=${SERVICE_PORT_OFFSET:-0}
declare -A BASE_PORT=([job-api]=$((8080 + o)) [validator]=$((8081 + o)) [ingestor]=$((8082 + o)) [reporter]=$((8083 + o)))
declare -A REPLICA_BASE=([job-api]=$((8480 + o)) [validator]=$((8180 + o)) [ingestor]=$((8280 + o)) [reporter]=$((8380 + o)))
declare -A REPLICA_VAR=([job-api]=JOB_APIS [validator]=VALIDATORS [ingestor]=INGESTORS [reporter]=REPORTERS)

# running_instances SVC: names of the live instances of SVC (plain and numbered)
running_instances() {
  local f n
  for f in "$RUN/$1.pid" "$RUN/$1"-*.pid; do
    [[ -e "$f" ]] || continue
    n="$(basename "$f" .pid)"
    [[ "$n" == "$1" || "$n" =~ ^"$1"-[0-9]+$ ]] || continue
    is_alive "$n" "$VENV/bin/$1" && echo "$n"
  done
  return 0
}

# instances: "name port script" lines. With VALIDATORS etc. set, the running instances converge to that
# count (extra ones are stopped); unset, the current layout is kept (default: one plain instance).
instances=()
for svc in $SERVICES; do
  [[ -n "${BASE_PORT[$svc]:-}" ]] || die "unknown service '$svc'"
  var="${REPLICA_VAR[$svc]}"
  if [[ -n "${!var:-}" ]]; then
    n="${!var}"
    [[ "$n" =~ ^[0-9]+$ ]] && ((n >= 1)) || die "$var must be a positive integer"
  else
    n="$(running_instances "$svc" | sed -n "s/^$svc-\([0-9]*\)$/\1/p" | sort -n | tail -n1)"
    n="${n:-1}"
  fi
  want=()
  if ((n == 1)); then
    want+=("$svc")
    instances+=("$svc ${BASE_PORT[$svc]} $svc")
  else
    for i in $(seq 1 "$n"); do want+=("$svc-$i"); instances+=("$svc-$i $((REPLICA_BASE[$svc] + i)) $svc"); done
  fi
  for r in $(running_instances "$svc"); do
    [[ " ${want[*]} " == *" $r "* ]] || { log "stopping $r ($var=$n)"; stop_pid "$r" "${STOP_TIMEOUT:-20}"; }
  done
done
((${#instances[@]})) || { log "no services requested"; exit 0; }

if [[ ! -x "$VENV/bin/job-api" ]] && command -v uv >/dev/null; then uv sync --all-packages; fi

started=()
for inst in "${instances[@]}"; do
  read -r name port script <<<"$inst"
  exe="$VENV/bin/$script"
  [[ -x "$exe" ]] || die "$exe not found (run make install)"
  if is_alive "$name" "$exe"; then
    log "$name already running (pid $(cat "$RUN/$name.pid"), port $port)"
    continue
  fi
  log "starting $name on port $port"
  SERVICE_INSTANCE="$name" HTTP_PORT="$port" spawn "$name" "$LOGS/$name.log" "$exe"
  started+=("$inst")
done

timeout="${READY_TIMEOUT:-60}"
failed=0
for inst in "${instances[@]}"; do
  read -r name port script <<<"$inst"
  end=$((SECONDS + timeout)); ok=0
  while ((SECONDS < end)); do
    if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/readyz" 2>/dev/null; then ok=1; break; fi
    is_alive "$name" "$VENV/bin/$script" || break
    sleep 0.3
  done
  if ((ok)); then
    log "$name ready (http://127.0.0.1:$port)"
  else
    log "ERROR: $name not ready on port $port after ${timeout}s (or it exited)"
    tail_log "$LOGS/$name.log"
    failed=1
  fi
done
((failed)) && exit 1
log "stack up: API http://127.0.0.1:${BASE_PORT[job-api]}"
