#!/usr/bin/env bash
# Stops the local stack: every service with a pid file in .data/run (SIGTERM, up to $STOP_TIMEOUT=20 s,
# then SIGKILL), then Kafka, then PostgreSQL (pg_ctl stop -m fast).  scripts/down.sh --services: services only.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

timeout="${STOP_TIMEOUT:-20}"
pids=(); names=()
for f in "$RUN"/*.pid; do
  [[ -e "$f" ]] || continue
  name="$(basename "$f" .pid)"
  [[ "$name" == kafka || "$name" == postgres ]] && continue
  pid="$(head -n1 "$f" 2>/dev/null || true)"
  if is_alive "$name" "$VENV/bin/"; then   # alive and really one of our console scripts
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid"); names+=("$name")
  else
    rm -f "$f"
  fi
done
end=$((SECONDS + timeout))
for i in "${!pids[@]}"; do
  while proc_live "${pids[$i]}" && ((SECONDS < end)); do sleep 0.2; done
  if proc_live "${pids[$i]}"; then
    log "${names[$i]} (pid ${pids[$i]}) still running after ${timeout}s: SIGKILL"
    kill -KILL "${pids[$i]}" 2>/dev/null || true
  fi
  log "stopped ${names[$i]} (pid ${pids[$i]})"
  rm -f "$RUN/${names[$i]}.pid"
done

[[ "${1:-}" == "--services" ]] && exit 0
[[ "${EXTERNAL_KAFKA:-0}" == 1 ]] || "$ROOT/scripts/kafka.sh" stop
if [[ "${EXTERNAL_POSTGRES:-0}" != 1 ]] && compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
  "$ROOT/scripts/pg.sh" stop
fi
