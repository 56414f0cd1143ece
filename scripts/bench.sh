#!/usr/bin/env bash
# make bench: a BENCH_ROWS-record (default 1,000,000) messy upsert against 1,000,000 existing customers, end to
# end through the REST API, against the database floor (SPEC 10). Needs the stack (make up). Output: progress,
# then the figures; JSON under .data/bench/; the last line is
#   BENCH rows=<n> seconds=<t> records_per_second=<r> floor_seconds=<b> ratio=<t/b>
# BENCH_PROFILE=1 also records a py-spy profile of every service; BENCH_KEEP=1 keeps the bench org's data.
set -euo pipefail
cd "$(dirname "$0")/.."
UV="${UV:-uv}"
for _ in $(seq 60); do scripts/status.sh >/dev/null 2>&1 && break; sleep 2; done
if ! scripts/status.sh >/dev/null 2>&1; then
  echo "[bench] the stack is not (fully) running: make up first" >&2
  scripts/status.sh >&2 || true
  exit 1
fi
exec "$UV" run python -m dataimport.bench
