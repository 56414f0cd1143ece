"""SPEC 9 / issue 6: any process may die at any moment, replicas share the work, delivery is at-least-once —
and every job still finishes with exact counts, complete report tables and no customer written twice.

Each scenario runs the same 30,000-record upsert job (the seeded demo table: ~5% messy records, duplicates
inside the file) in a fresh org, injects one fault mid-phase, and compares everything with a reference run
of the same job without faults: counts, every report row's status and errors, the ingest outcomes, and the
number of customers written. These tests stop and start services, so they run last (tests/faults).
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable

import asyncpg
import httpx
import pytest
from deltalake import DeltaTable

from dataimport.client import JobApiClient
from dataimport.demo import demo_job_body
from dataimport.demo_data import generate_customer_registrations
from dataimport.events import ChunkRef, IngestChunkRequested, JobSpec, ValidationChunkRequested, key_of, topic_of
from dataimport.orgs import demo_org_config
from dataimport.warehouse.delta import DeltaWarehouse
from dataimport.warehouse.port import Snapshot
from tests.faults import stack

pytestmark = pytest.mark.integration

ROWS = 30_000
CHUNK = 1_000
TABLE = "faults_30k"
STACK_ENV = {"CHUNK_SIZE": str(CHUNK), "REPORT_PART_ROWS": str(3 * CHUNK)}


@pytest.fixture(scope="module")
def source():
    return generate_customer_registrations(ROWS, seed=606)


@pytest.fixture(scope="module", autouse=True)
def small_chunks():
    """job-api freezes the chunk size and the report part size into each job when validation starts: run it with
    1,000-record chunks (30 chunks per job) and 3-chunk report parts (10 per report) for these tests, and put it
    back afterwards."""
    for name in ("job-api", *stack.instances("reporter")):
        stack.kill(name, signal.SIGTERM)
    # one instance of each worker ("validator", not "validator-1"), whatever the stack was started with
    stack.make("up", VALIDATORS="1", INGESTORS="1", REPORTERS="1", **STACK_ENV)
    yield
    for name in ("job-api", *stack.instances("reporter")):
        stack.kill(name, signal.SIGTERM)
    stack.make("up", VALIDATORS="1", INGESTORS="1", REPORTERS="1")


def _prepare_org(api: JobApiClient, warehouse_root, source) -> int:
    import random

    from deltalake import write_deltalake

    org_id = random.randint(10_000_000, 2_000_000_000)
    write_deltalake(f"{warehouse_root}/import_{org_id}/{TABLE}", source, mode="overwrite")
    api.put_config(org_id, demo_org_config().model_dump(mode="json"))
    return org_id


def _poll(api: JobApiClient, org_id: int, job_id: str, until: tuple[str, ...], hook: Callable[[dict], None] | None,
          timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            job = api.job(org_id, job_id)
        except (httpx.TransportError, OSError):  # job-api is down on purpose
            time.sleep(0.2)
            continue
        if hook:
            hook(job)
        if job["status"] in until:
            return job
        assert job["status"] not in ("VALIDATION_FAILED", "FAILED", "REJECTED"), job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not reach {until} in {timeout}s: {job}")


def run_job(api, warehouse_root, source, *, during_validation=None, during_ingest=None):
    org_id = _prepare_org(api, warehouse_root, source)
    body = demo_job_body("faults")
    body.update(source={"table": TABLE}, method="upsert")
    job = api.create_job(org_id, body)
    api.validate(org_id, job["id"])
    job = _poll(api, org_id, job["id"], ("AWAITING_APPROVAL",), during_validation)
    api.approve(org_id, job["id"])
    job = _poll(api, org_id, job["id"], ("COMPLETED", "COMPLETED_PARTIAL"), during_ingest)
    return org_id, job


def outcome(warehouse_root, settings, org_id: int, job: dict) -> dict:
    v, i = job["validation"], job["ingest"]
    vrows = DeltaTable(f"{warehouse_root}/import_{org_id}/{v['report_table']}").to_pyarrow_table(
        columns=["_row_id", "_status", "_errors"]).to_pylist()
    irows = DeltaTable(f"{warehouse_root}/import_{org_id}/{i['report_table']}").to_pyarrow_table(
        columns=["_row_id", "_status", "_error_message"]).to_pylist()

    async def customers() -> int:
        conn = await asyncpg.connect(settings.database_url)
        try:
            return await conn.fetchval("SELECT count(*) FROM customer.customers WHERE org_id = $1", org_id)
        finally:
            await conn.close()

    return {
        "counts": (v["records_validated"], v["valid"], v["invalid"], i["records_processed"], i["added"],
                   i["updated"], i["failed"]),
        "validate_rows": len(vrows),
        "validate_row_ids": len({r["_row_id"] for r in vrows}),
        "validate": {r["_row_id"]: (r["_status"], tuple(r["_errors"])) for r in vrows},
        "ingest_rows": len(irows),
        "ingest": {r["_row_id"]: (r["_status"], r["_error_message"]) for r in irows},
        "customers": asyncio.run(customers()),
    }


@pytest.fixture(scope="module")
def reference(api, warehouse_root, settings, source):
    org_id, job = run_job(api, warehouse_root, source)
    result = outcome(warehouse_root, settings, org_id, job)
    # Sanity of the reference itself, from the spec: one report row per record, invalid records not written.
    assert result["counts"][0] == ROWS and result["validate_rows"] == ROWS == result["validate_row_ids"]
    assert result["counts"][1] + result["counts"][2] == ROWS
    assert result["ingest_rows"] == result["counts"][1] == result["counts"][3]
    assert result["customers"] == result["counts"][4]  # upsert into an empty org: every valid record is ADDED
    assert result["counts"][2] > 0 and result["counts"][4] > 0
    return result


def assert_same(result: dict, reference: dict) -> None:
    assert result["counts"] == reference["counts"]
    assert result["validate_rows"] == result["validate_row_ids"] == ROWS  # complete, no duplicate _row_id
    assert result["validate"] == reference["validate"]
    assert result["ingest_rows"] == len(result["ingest"])  # no duplicate _row_id
    assert result["ingest"] == reference["ingest"]
    assert result["customers"] == reference["customers"]  # nobody written twice


class Once:
    """Fire ``action`` the first time ``condition(job)`` holds; remember that it fired."""

    def __init__(self, condition: Callable[[dict], bool], action: Callable[[], None]):
        self.condition, self.action, self.fired = condition, action, False

    def __call__(self, job: dict) -> None:
        if not self.fired and self.condition(job):
            self.fired = True
            self.action()


def mid_validation(job: dict) -> bool:
    v = job["validation"]
    return job["status"] == "VALIDATING" and 0 < v["records_validated"] < ROWS


def mid_validate_report(job: dict) -> bool:
    return job["status"] == "VALIDATING" and job["validation"]["records_validated"] == ROWS


def mid_ingest(job: dict) -> bool:
    i = job["ingest"]
    return job["status"] == "IMPORTING" and 0 < i["records_processed"] < (job["validation"]["valid"] or 0)


def crash_and_restart(name: str) -> Callable[[], None]:
    def action() -> None:
        stack.kill(name, signal.SIGKILL)
        stack.make("up", **STACK_ENV)

    return action


@pytest.mark.parametrize(
    ("service", "phase"),
    [("validator", "validation"), ("job-api", "validation"), ("reporter", "validate-report"), ("ingestor", "ingest")],
)
def test_kill_minus_nine_mid_phase(api, warehouse_root, settings, source, reference, service, phase):
    condition = {"validation": mid_validation, "validate-report": mid_validate_report, "ingest": mid_ingest}[phase]
    hook = Once(condition, crash_and_restart(service))
    kwargs = {"during_ingest" if phase == "ingest" else "during_validation": hook}
    org_id, job = run_job(api, warehouse_root, source, **kwargs)
    assert hook.fired, f"the job finished before {service} could be killed mid-{phase}"
    assert_same(outcome(warehouse_root, settings, org_id, job), reference)


def test_broker_restart_mid_validation(api, warehouse_root, settings, source, reference):
    def restart_kafka() -> None:
        stack.script("scripts/kafka.sh", "stop")
        stack.make("up", **STACK_ENV)

    hook = Once(mid_validation, restart_kafka)
    org_id, job = run_job(api, warehouse_root, source, during_validation=hook)
    assert hook.fired
    assert_same(outcome(warehouse_root, settings, org_id, job), reference)


def test_database_restart_mid_ingest(api, warehouse_root, settings, source, reference):
    def restart_postgres() -> None:
        stack.script("scripts/pg.sh", "stop")
        stack.make("up", **STACK_ENV)

    hook = Once(mid_ingest, restart_postgres)
    org_id, job = run_job(api, warehouse_root, source, during_ingest=hook)
    assert hook.fired
    assert_same(outcome(warehouse_root, settings, org_id, job), reference)


def test_sigterm_is_graceful_and_the_job_finishes(api, warehouse_root, settings, source, reference):
    exit_seconds: list[float] = []

    def terminate() -> None:
        exit_seconds.append(stack.kill("validator", signal.SIGTERM, wait=30))
        stack.make("up", **STACK_ENV)

    hook = Once(mid_validation, terminate)
    org_id, job = run_job(api, warehouse_root, source, during_validation=hook)
    assert hook.fired and exit_seconds[0] < 30  # within a Kubernetes grace period
    assert_same(outcome(warehouse_root, settings, org_id, job), reference)


async def _worker_counts(dsn: str, job_id: str) -> dict[str, set[str]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT phase, worker FROM dataimport.processed_chunks WHERE job_id = $1::uuid", job_id)
    finally:
        await conn.close()
    workers: dict[str, set[str]] = {}
    for r in rows:
        workers.setdefault(r["phase"], set()).add(r["worker"])
    return workers


def test_three_validators_and_two_ingestors_share_one_job(api, warehouse_root, settings, source, reference):
    stack.make("up", VALIDATORS="3", INGESTORS="2", REPORTERS="2", **STACK_ENV)
    try:
        assert len(stack.instances("validator")) == 3 and len(stack.instances("ingestor")) == 2
        org_id, job = run_job(api, warehouse_root, source)
        workers = asyncio.run(_worker_counts(settings.database_url, job["id"]))
        assert workers["validate"] == {"validator-1", "validator-2", "validator-3"}
        assert workers["ingest"] == {"ingestor-1", "ingestor-2"}
        assert workers["report-validate"] | workers["report-ingest"] == {"reporter-1", "reporter-2"}
        assert_same(outcome(warehouse_root, settings, org_id, job), reference)
    finally:
        stack.make("up", VALIDATORS="1", INGESTORS="1", REPORTERS="1", **STACK_ENV)


def test_a_chunk_delivered_twice_has_no_second_effect(api, warehouse_root, settings, source, reference):
    org_id, job = run_job(api, warehouse_root, source)
    before = outcome(warehouse_root, settings, org_id, job)

    async def redeliver() -> None:
        from aiokafka import AIOKafkaProducer

        conn = await asyncpg.connect(settings.database_url)
        try:
            spec = JobSpec.model_validate_json(
                await conn.fetchval("SELECT spec::text FROM dataimport.jobs WHERE id = $1::uuid", job["id"]))
        finally:
            await conn.close()
        warehouse = DeltaWarehouse(str(warehouse_root))
        chunks = await warehouse.plan_chunks(org_id, spec.source_table, Snapshot(spec.snapshot_version,
                                             spec.records_total), spec.chunk_size)
        c = chunks[3]
        events = [
            ValidationChunkRequested(job_id=job["id"], org_id=org_id, spec=spec, chunks_total=len(chunks),
                                     chunk=ChunkRef(chunk_no=c.chunk_no, first_row_id=c.first_row_id,
                                                    row_count=c.row_count, locator=c.locator)),
            IngestChunkRequested(job_id=job["id"], org_id=org_id, spec=spec, chunk_no=5, chunks_total=len(chunks)),
        ]
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
        await producer.start()
        try:
            for e in events:
                await producer.send_and_wait(topic_of(e), e.model_dump_json().encode(), key=key_of(e))
        finally:
            await producer.stop()
        await _wait_consumed(settings)

    asyncio.run(redeliver())
    after = outcome(warehouse_root, settings, org_id, job | api.job(org_id, job["id"]))
    assert after == before
    assert_same(after, reference)


async def _wait_consumed(settings, timeout: float = 60) -> None:
    """Until the validator and ingestor groups have no lag left."""
    from aiokafka import AIOKafkaConsumer
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    probe = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await probe.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lag = 0
            for group in ("dataimport-validator", "dataimport-ingestor", "dataimport-reporter", "dataimport-job-api"):
                offsets = await admin.list_consumer_group_offsets(group)
                ends = await probe.end_offsets(list(offsets))
                lag += sum(max(ends[tp] - meta.offset, 0) for tp, meta in offsets.items())
            if lag == 0:
                await asyncio.sleep(1.0)  # let the last handlers' effects settle
                return
            await asyncio.sleep(0.2)
        raise AssertionError("consumers did not catch up")
    finally:
        await probe.stop()
        await admin.close()


def test_a_small_job_is_not_queued_behind_a_large_one(api, warehouse_root, source):
    """Chunk requests are windowed per job: a small job submitted while a large one validates interleaves its
    chunks with the large job's and finishes validation first."""
    import pyarrow as pa

    large_org = _prepare_org(api, warehouse_root, pa.concat_tables([source, source]))  # 60 chunks
    small_org = _prepare_org(api, warehouse_root, source.slice(0, 50))
    bodies = {}
    for org in (large_org, small_org):
        body = demo_job_body("interleave")
        body["source"] = {"table": TABLE}
        bodies[org] = api.create_job(org, body)["id"]
    api.validate(large_org, bodies[large_org])
    deadline = time.monotonic() + 120
    while api.job(large_org, bodies[large_org])["validation"]["records_validated"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    api.validate(small_org, bodies[small_org])
    small = _poll(api, small_org, bodies[small_org], ("AWAITING_APPROVAL",), None)
    large = api.job(large_org, bodies[large_org])
    assert large["status"] == "VALIDATING", "the large job finished first: nothing to compare"
    assert large["validation"]["records_validated"] < 2 * ROWS
    assert small["validation"]["records_validated"] == 50
    _poll(api, large_org, bodies[large_org], ("AWAITING_APPROVAL",), None)
