#!/usr/bin/env bash
# Prints what runs: PostgreSQL, Kafka and every process with a pid file in .data/run.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rc=0
if compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
  "$ROOT/scripts/pg.sh" status || rc=1
else
  echo "postgres: not installed"; rc=1
fi
"$ROOT/scripts/kafka.sh" status || rc=1
for f in "$RUN"/*.pid; do
  [[ -e "$f" ]] || continue
  name="$(basename "$f" .pid)"
  [[ "$name" == kafka || "$name" == postgres ]] && continue
  pid="$(head -n1 "$f")"
  if is_alive "$name" "$VENV/bin/"; then echo "$name: running (pid $pid)"; else echo "$name: dead (stale pid file, pid $pid)"; rc=1; fi
done
exit $rc
