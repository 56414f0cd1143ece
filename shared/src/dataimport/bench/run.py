"""``make bench`` (``scripts/bench.sh``): a messy ``BENCH_ROWS``-record upsert against 1,000,000 existing
customers, end to end through the REST API, measured against the database floor (SPEC section 10).

Steps: seed the existing customers of a fresh org (COPY) and a copy of them in a scratch table for the floor;
write the source table (vectorised generator, ``dataimport.bench.gen``) into the warehouse; run the upsert job
(validate, approve, wait for COMPLETED) while sampling each service's memory and CPU; derive the phases from the
job's timestamps and the services' logs; time the floor (COPY of the same valid rows into an unlogged staging
table + one ``INSERT ... ON CONFLICT (org_id, mobile) DO UPDATE``); write ``.data/bench/<run>.json``; print the
``BENCH ...`` line last.

Environment: ``BENCH_ROWS`` (1,000,000), ``BENCH_EXISTING`` (1,000,000), ``BENCH_PROFILE=1`` (py-spy every
service during the run: ``.data/bench/<run>-<service>.txt``, collapsed stacks), ``BENCH_KEEP=1`` (keep the
bench org's customers and the floor table), ``DATAIMPORT_API``.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from dataimport.bench.gen import existing_customers, source_reader
from dataimport.client import JobApiClient
from dataimport.commands.load import load_into
from dataimport.demo import DEMO_MAPPING
from dataimport.orgs import demo_org_config
from dataimport.settings import CommonSettings
from dataimport.warehouse.factory import make_warehouse

RUN_DIR = Path(".data/run")
LOG_DIR = Path(".data/logs")
OUT_DIR = Path(".data/bench")
TABLE = "bench_customers"
SERVICES = ("job-api", "validator", "ingestor", "reporter")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICK = os.sysconf("SC_CLK_TCK")

_CUSTOMER_COLS = [
    "org_id", "mobile", "email", "email_key", "external_id", "first_name", "last_name", "registered_on",
    "registered_store", "loyalty_type", "status_label",
]  # fmt: skip
_FLOOR_COLS = (
    "mobile text, email text, email_key text, external_id text, first_name text, last_name text, "
    "registered_on timestamptz, registered_store text, registered_till text, loyalty_type text, slab text, "
    "slab_expiry date, status_label text, custom jsonb, extended jsonb"
)
_FLOOR_EXPORT = """
SELECT COALESCE(p->>'mobile', c.mobile), p->>'email', lower(p->>'email'), p->>'external_id', p->>'first_name',
       p->>'last_name', (p->>'registered_on')::timestamptz, p->>'registered_store', p->>'registered_till',
       p->>'loyalty_type', p->>'slab', (p->>'slab_expiry')::date, p->>'status_label',
       COALESCE(p->'custom', '{}'::jsonb), COALESCE(p->'extended', '{}'::jsonb)
  FROM (SELECT row_id, target_id, payload AS p FROM dataimport.validation_records
         WHERE job_id = $1 AND cardinality(errors) = 0) v
  LEFT JOIN customer.customers c ON c.org_id = $2 AND c.user_id = v.target_id
 ORDER BY v.row_id
"""
_FLOOR_MERGE = """
INSERT INTO {target} AS t (org_id, mobile, email, email_key, external_id, first_name, last_name, registered_on,
                           registered_store, registered_till, loyalty_type, slab, slab_expiry, status_label,
                           custom, extended)
SELECT {org}, mobile, email, email_key, external_id, first_name, last_name, registered_on, registered_store,
       registered_till, loyalty_type, slab, slab_expiry, status_label, custom, extended
  FROM {staging}
ON CONFLICT (org_id, mobile) DO UPDATE SET
    first_name = COALESCE(EXCLUDED.first_name, t.first_name),
    last_name = COALESCE(EXCLUDED.last_name, t.last_name),
    registered_on = COALESCE(EXCLUDED.registered_on, t.registered_on),
    registered_store = COALESCE(EXCLUDED.registered_store, t.registered_store),
    registered_till = COALESCE(EXCLUDED.registered_till, t.registered_till),
    loyalty_type = COALESCE(EXCLUDED.loyalty_type, t.loyalty_type),
    slab = COALESCE(EXCLUDED.slab, t.slab),
    slab_expiry = COALESCE(EXCLUDED.slab_expiry, t.slab_expiry),
    status_label = COALESCE(EXCLUDED.status_label, t.status_label),
    custom = t.custom || EXCLUDED.custom,
    extended = t.extended || EXCLUDED.extended,
    updated_at = now()
"""


# ---- processes ------------------------------------------------------------------------------------------------


def _pids() -> dict[str, int]:
    out = {}
    for f in sorted(RUN_DIR.glob("*.pid")):
        try:
            pid = int(f.read_text().strip())
        except ValueError:
            continue
        if Path(f"/proc/{pid}").exists():
            out[f.stem] = pid
    return out


def _status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _cpu_seconds(pid: int, children: bool = False) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # reaped children
    return ticks / _TICK


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cpu(name: str, pid: int) -> float:
    if name == "postgres":  # the postmaster, its backends (alive) and the ones that exited
        return _cpu_seconds(pid, children=True) + sum(_cpu_seconds(c) for c in _children(pid))
    return _cpu_seconds(pid)


class Sampler(threading.Thread):
    """Samples VmRSS of every process in ``.data/run`` (and the postgres backends' total) until stopped."""

    def __init__(self, pids: dict[str, int], period: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pids, self.period = pids, period
        self.peak_rss_kb: dict[str, int] = {n: 0 for n in pids}
        self.stop_event = threading.Event()
        self.hwm_reset: dict[str, bool] = {}
        for name, pid in pids.items():
            try:  # reset the peak (VmHWM) so it covers this run only
                Path(f"/proc/{pid}/clear_refs").write_text("5")
                self.hwm_reset[name] = True
            except OSError:
                self.hwm_reset[name] = False

    def run(self) -> None:
        while not self.stop_event.is_set():
            for name, pid in self.pids.items():
                rss = _status_kb(pid, "VmRSS") or 0
                if name == "postgres":
                    rss += sum(_status_kb(c, "VmRSS") or 0 for c in _children(pid))
                self.peak_rss_kb[name] = max(self.peak_rss_kb[name], rss)
            self.stop_event.wait(self.period)

    def finish(self) -> dict[str, dict[str, Any]]:
        self.stop_event.set()
        self.join()
        return {
            name: {
                "peak_rss_mib": round(self.peak_rss_kb[name] / 1024, 1),
                "vm_hwm_mib": round((_status_kb(pid, "VmHWM") or 0) / 1024, 1),
                "hwm_reset_at_start": self.hwm_reset[name],
            }
            for name, pid in self.pids.items()
        }


# ---- logs and metrics -------------------------------------------------------------------------------------------


def _log_offsets() -> dict[Path, int]:
    return {p: p.stat().st_size for p in LOG_DIR.glob("*.log")}


def _log_events(offsets: dict[Path, int], job_id: str) -> list[dict[str, Any]]:
    events = []
    for p in LOG_DIR.glob("*.log"):
        with p.open("rb") as fh:
            fh.seek(offsets.get(p, 0))
            for line in fh:
                if job_id.encode() not in line:
                    continue
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                e["_log"] = p.stem
                events.append(e)
    return events


def _ts(value: str | None) -> float | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _scrape() -> dict[str, dict[str, float]]:
    """chunk_duration sum / count per phase, summed over the services' metrics endpoints."""
    ports = [8081, 8082, 8083, *range(8181, 8189), *range(8281, 8289), *range(8381, 8389)]
    out: dict[str, dict[str, float]] = {}
    for port in ports:
        try:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
        except httpx.HTTPError:
            continue
        for line in text.splitlines():
            if line.startswith("dataimport_chunk_duration_seconds_sum") or line.startswith(
                "dataimport_chunk_duration_seconds_count"
            ):
                name, value = line.rsplit(" ", 1)
                phase = name.split('phase="', 1)[1].split('"', 1)[0]
                kind = "sum" if "_sum" in name else "count"
                out.setdefault(phase, {"sum": 0.0, "count": 0.0})[kind] += float(value)
    return out


# ---- py-spy -----------------------------------------------------------------------------------------------------


def _py_spy() -> str:
    import shutil

    for candidate in (shutil.which("py-spy"), str(Path.home() / ".local/bin/py-spy")):
        if candidate and Path(candidate).exists():
            return candidate
    raise SystemExit("BENCH_PROFILE=1 needs py-spy: uv tool install py-spy")


def _start_profilers(pids: dict[str, int], tag: str) -> list[tuple[str, subprocess.Popen, Path]]:
    profs = []
    for name, pid in pids.items():
        if name in ("postgres", "kafka"):
            continue
        out = OUT_DIR / f"{tag}-{name}.txt"
        cmd = [_py_spy(), "record", "--pid", str(pid), "--format", "raw", "--rate", "50", "--nonblocking",
               "--output", str(out)]  # fmt: skip
        profs.append((name, subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), out))
    return profs


def _stop_profilers(profs: list[tuple[str, subprocess.Popen, Path]]) -> dict[str, Any]:
    for _, proc, _ in profs:
        proc.send_signal(signal.SIGINT)
    summary = {}
    for name, proc, out in profs:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        if out.exists():
            summary[name] = {"file": str(out), "top": top_frames(out)}
    return summary


def top_frames(path: Path, n: int = 12) -> list[dict[str, Any]]:
    """Inclusive share of the busiest frames of a collapsed-stack profile (idle/waiting frames dropped)."""
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        c = int(count)
        total += c
        for frame in dict.fromkeys(stack.split(";")):
            inclusive[frame] = inclusive.get(frame, 0) + c
    ranked = sorted(inclusive.items(), key=lambda kv: -kv[1])
    keep = [(f, c) for f, c in ranked if "dataimport" in f or "validator" in f or "ingestor" in f or "reporter" in f
            or "phonenumbers" in f or "email_validator" in f or "asyncpg" in f or "deltalake" in f or "pyarrow" in f]
    return [{"frame": f, "share": round(c / total, 3)} for f, c in keep[:n]] if total else []


# ---- database ---------------------------------------------------------------------------------------------------


def _csv(table) -> bytes:
    import pyarrow.csv as pacsv

    buf = io.BytesIO()
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return buf.getvalue()


BENCH_ORGS = (800_000_000, 899_999_999)
"""Bench org ids (a fresh one per run); leftovers of interrupted runs are removed before a run."""


async def seed(db_url: str, org_id: int, n: int) -> dict[str, float]:
    timings = {}
    conn = await asyncpg.connect(db_url)
    try:
        t = time.perf_counter()
        await conn.execute("DELETE FROM customer.customers WHERE org_id BETWEEN $1 AND $2", *BENCH_ORGS)
        # Earlier bench jobs' per-record outcomes (millions of rows each) would otherwise slow every later run.
        for table in ("validation_records", "validation_keys", "ingest_records"):
            await conn.execute(
                f"DELETE FROM dataimport.{table} WHERE job_id IN "
                "(SELECT id FROM dataimport.jobs WHERE org_id BETWEEN $1 AND $2)",
                *BENCH_ORGS,
            )
        for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'bench_floor'"):
            await conn.execute(f'DROP TABLE bench_floor."{r["tablename"]}"')
        for table in ("customer.customers", "dataimport.validation_records", "dataimport.validation_keys",
                      "dataimport.ingest_records"):
            await conn.execute(f"VACUUM ANALYZE {table}")
        timings["cleanup_previous_s"] = time.perf_counter() - t
        t = time.perf_counter()
        data = _csv(existing_customers(n, org_id))
        timings["generate_existing_s"] = time.perf_counter() - t
        t = time.perf_counter()
        await conn.copy_to_table(
            "customers", schema_name="customer", columns=_CUSTOMER_COLS, source=io.BytesIO(data), format="csv"
        )
        timings["copy_existing_s"] = time.perf_counter() - t
        t = time.perf_counter()
        await conn.execute("CREATE SCHEMA IF NOT EXISTS bench_floor")
        await conn.execute(f"DROP TABLE IF EXISTS bench_floor.customers_{org_id}")
        await conn.execute(f"CREATE TABLE bench_floor.customers_{org_id} (LIKE customer.customers INCLUDING ALL)")
        await conn.execute(
            f"INSERT INTO bench_floor.customers_{org_id} SELECT * FROM customer.customers WHERE org_id = $1", org_id
        )
        await conn.execute(f"ANALYZE bench_floor.customers_{org_id}")
        await conn.execute("ANALYZE customer.customers")
        timings["seed_floor_table_s"] = time.perf_counter() - t
    finally:
        await conn.close()
    return timings


async def floor(db_url: str, org_id: int, job_id: str) -> dict[str, Any]:
    """The same valid rows: COPY into an unlogged staging table + one INSERT ... ON CONFLICT (timed)."""
    conn = await asyncpg.connect(db_url)
    staging, target = f"bench_floor.staging_{org_id}", f"bench_floor.customers_{org_id}"
    try:
        buf = io.BytesIO()
        await conn.copy_from_query(_FLOOR_EXPORT, job_id, org_id, output=buf, format="csv")
        rows = buf.getvalue().count(b"\n")
        await conn.execute(f"DROP TABLE IF EXISTS {staging}")
        t0 = time.perf_counter()
        async with conn.transaction():
            await conn.execute(f"CREATE UNLOGGED TABLE {staging} ({_FLOOR_COLS})")
            buf.seek(0)
            await conn.copy_to_table(f"staging_{org_id}", schema_name="bench_floor", source=buf, format="csv")
            t1 = time.perf_counter()
            status = await conn.execute(_FLOOR_MERGE.format(target=target, staging=staging, org=org_id))
        t2 = time.perf_counter()
        await conn.execute(f"DROP TABLE IF EXISTS {staging}")
        return {"rows": rows, "copy_s": round(t1 - t0, 3), "merge_s": round(t2 - t1, 3),
                "seconds": round(t2 - t0, 3), "merge_status": status}  # fmt: skip
    finally:
        await conn.close()


async def cleanup(db_url: str, org_id: int) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(f"DROP TABLE IF EXISTS bench_floor.customers_{org_id}")
        await conn.execute("DELETE FROM customer.customers WHERE org_id = $1", org_id)
    finally:
        await conn.close()


async def write_source(org_id: int, rows: int, n_existing: int) -> float:
    warehouse = make_warehouse(CommonSettings())
    t = time.perf_counter()
    try:
        await load_into(warehouse, org_id, TABLE, source_reader(rows, n_existing), "overwrite")
    finally:
        await warehouse.close()
    return time.perf_counter() - t


# ---- the run ----------------------------------------------------------------------------------------------------


def _machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = _status_kb(os.getpid(), "VmRSS")
    del mem_kb
    total = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": total, "kernel": platform.release(),
            "python": platform.python_version(), "chunk_size": int(os.environ.get("CHUNK_SIZE", "10000"))}  # fmt: skip


def _wait(client: JobApiClient, org_id: int, job_id: str, statuses: tuple[str, ...], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            job = client.job(org_id, job_id)
        except httpx.TransportError:  # job-api restarting (the stack is shared): the job goes on without it
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)
            continue
        if job["status"] in statuses or job["status"] in ("VALIDATION_FAILED", "REJECTED", "FAILED"):
            return job
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still {job['status']} after {timeout:.0f}s")
        time.sleep(0.1)


def phases(job: dict, events: list[dict[str, Any]]) -> dict[str, float | None]:
    def first(event: str, **match: Any) -> float | None:
        ts = [_ts(e["timestamp"]) for e in events if e.get("event") == event
              and all(e.get(k) == v for k, v in match.items())]  # fmt: skip
        return min(ts) if ts else None

    v, i = job["validation"], job["ingest"]
    v0, v_done = _ts(v["started_at"]), first("validation_completed")
    v_rep = _ts(v["finished_at"])
    i0, i_done, i_rep = _ts(i["started_at"]), first("ingest_completed"), _ts(i["finished_at"])
    chunk_ends = [_ts(e["timestamp"]) for e in events if e.get("event") == "chunk_validated"]

    def span(a: float | None, b: float | None) -> float | None:
        return round(b - a, 3) if a is not None and b is not None else None

    return {
        "validation_s": span(v0, v_done),
        "validation_chunks_s": span(v0, max(chunk_ends) if chunk_ends else None),
        "validation_dedupe_s": span(max(chunk_ends) if chunk_ends else None, v_done),
        "validate_report_s": span(v_done, v_rep),
        "approval_s": span(v_rep, i0),
        "ingestion_s": span(i0, i_done),
        "ingest_report_s": span(i_done, i_rep),
        "server_total_s": span(v0, i_rep),
    }


def main() -> int:
    rows = int(os.environ.get("BENCH_ROWS", "1000000"))
    n_existing = int(os.environ.get("BENCH_EXISTING", "1000000"))
    profile = os.environ.get("BENCH_PROFILE") == "1"
    keep = os.environ.get("BENCH_KEEP") == "1"
    api = os.environ.get("DATAIMPORT_API", "http://127.0.0.1:8080")
    settings = CommonSettings()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    org_id = 800_000_000 + int(time.time()) % 100_000_000  # a fresh org per run
    tag = f"bench-{rows}-{time.strftime('%Y%m%d-%H%M%S')}"
    result: dict[str, Any] = {"rows": rows, "existing": n_existing, "org_id": org_id, "machine": _machine(),
                              "started_at": datetime.now().astimezone().isoformat()}  # fmt: skip
    log = lambda msg: print(msg, flush=True)  # noqa: E731

    log(f"[bench] org {org_id}: seeding {n_existing:,} existing customers (COPY) and the floor table ...")
    result["setup"] = asyncio.run(seed(settings.database_url, org_id, n_existing))
    log(f"[bench] writing source table import_{org_id}.{TABLE} ({rows:,} records) ...")
    result["setup"]["write_source_s"] = round(asyncio.run(write_source(org_id, rows, n_existing)), 3)
    log(f"[bench] setup: {json.dumps({k: round(v, 1) for k, v in result['setup'].items()})}")

    client = JobApiClient(api)
    for _ in range(120):  # job-api may be restarting (shared stack)
        try:
            client.http.get("/openapi.json")
            break
        except httpx.TransportError:
            time.sleep(1.0)
    client.put_config(org_id, demo_org_config().model_dump(mode="json"))
    job = client.create_job(org_id, {
        "name": f"bench upsert {rows}", "description": "make bench", "source": {"table": TABLE},
        "profile": "customer", "method": "upsert", "unique_id": "MOBILE",
        "mapping": [{"source_column": s, "field": f, "mandatory": m} for s, f, m in DEMO_MAPPING],
    })  # fmt: skip
    job_id = job["id"]
    pids = _pids()
    offsets = _log_offsets()
    metrics0 = _scrape()
    cpu0 = {n: _cpu(n, p) for n, p in pids.items()}
    sampler = Sampler(pids)
    sampler.start()
    profs = _start_profilers(pids, tag) if profile else []
    import atexit

    atexit.register(lambda: [p.send_signal(signal.SIGINT) for _, p, _ in profs if p.poll() is None])
    log(f"[bench] job {job_id}: validating ...")
    t0 = time.perf_counter()
    client.validate(org_id, job_id)
    job = _wait(client, org_id, job_id, ("AWAITING_APPROVAL",), timeout=7200)
    t_val = time.perf_counter()
    if job["status"] != "AWAITING_APPROVAL":
        log(f"[bench] validation ended {job['status']}: {job.get('failure_reason')}")
        sampler.finish()
        _stop_profilers(profs)
        return 1
    log(f"[bench] validated in {t_val - t0:.1f}s: {job['validation']['valid']:,} valid, "
        f"{job['validation']['invalid']:,} invalid; approving ...")  # fmt: skip
    client.approve(org_id, job_id)
    job = _wait(client, org_id, job_id, ("COMPLETED", "COMPLETED_PARTIAL"), timeout=7200)
    seconds = time.perf_counter() - t0
    memory = sampler.finish()
    cpu = {n: round(_cpu(n, p) - cpu0[n], 1) for n, p in pids.items()}
    result["profile"] = _stop_profilers(profs) if profs else None
    metrics1 = _scrape()
    log(f"[bench] job ended {job['status']} after {seconds:.1f}s; errors: "
        f"{[(e['message'], e['count']) for e in client.errors(org_id, job_id)['items']]}")  # fmt: skip
    events = _log_events(offsets, job_id)
    chunk_avg = {}
    for phase_name, m in metrics1.items():
        m0 = metrics0.get(phase_name, {"sum": 0.0, "count": 0.0})
        count = m["count"] - m0["count"]
        if count:
            chunk_avg[phase_name] = {"chunks": int(count), "avg_s": round((m["sum"] - m0["sum"]) / count, 3)}
    result.update({
        "job_id": job_id, "status": job["status"], "seconds": round(seconds, 3),
        "records_per_second": round(rows / seconds, 1), "phases": phases(job, events),
        "validation": job["validation"], "ingest": job["ingest"], "chunk_duration": chunk_avg,
        "memory": memory, "cpu_seconds": cpu,
    })  # fmt: skip
    client.close()

    log("[bench] floor: COPY of the valid rows into an unlogged staging table + INSERT ... ON CONFLICT ...")
    result["floor"] = asyncio.run(floor(settings.database_url, org_id, job_id))
    result["ratio"] = round(seconds / result["floor"]["seconds"], 2)
    if not keep:
        asyncio.run(cleanup(settings.database_url, org_id))
    out = OUT_DIR / f"{tag}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    (OUT_DIR / f"latest-{rows}.json").write_text(json.dumps(result, indent=2, default=str))
    log(f"[bench] phases: {json.dumps(result['phases'])}")
    log(f"[bench] chunk durations: {json.dumps(chunk_avg)}")
    log(f"[bench] cpu seconds: {json.dumps(cpu)}")
    log(f"[bench] memory (MiB): {json.dumps({n: m['peak_rss_mib'] for n, m in memory.items()})}")
    log(f"[bench] floor: {json.dumps(result['floor'])}")
    log(f"[bench] written {out}")
    print(
        f"BENCH rows={rows} seconds={seconds:.1f} records_per_second={rows / seconds:.0f} "
        f"floor_seconds={result['floor']['seconds']:.1f} ratio={result['ratio']:.2f}",
        flush=True,
    )
    return 0 if job["status"] in ("COMPLETED", "COMPLETED_PARTIAL") else 1


if __name__ == "__main__":
    sys.exit(main())
