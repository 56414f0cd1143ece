"""A message that cannot be processed goes to the dead-letter topic with the error in its headers after bounded
retries, and its job fails with a readable reason instead of stalling (issue 6)."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from deltalake import write_deltalake
import pyarrow as pa

from dataimport.events import DEAD_LETTER_TOPIC, JobSpec, JobSubmitted, MappingItem

pytestmark = pytest.mark.integration


def test_poison_chunk_is_dead_lettered_and_fails_the_job(api, settings, org_id, warehouse_root):
    table = "poison_src"
    write_deltalake(f"{warehouse_root}/import_{org_id}/{table}", pa.table({"mobile": ["9876543210"] * 3}))
    job_id = uuid.uuid4()
    # An org configuration no validator can use (unknown country): every attempt at the chunk fails the same way.
    spec = JobSpec(name="poison", profile="customer", source_table=table, snapshot_version=0, records_total=3,
                   chunk_size=1000, method="update", unique_id="MOBILE",
                   mapping=(MappingItem(source_column="mobile", field="mobile", mandatory=True),),
                   org_config={"base_country": "XX"}, validate_table="report_customer_poison_validate_aaaaaaa",
                   ingest_table="report_customer_poison_ingest_aaaaaaa")
    event = JobSubmitted(job_id=job_id, org_id=org_id, spec=spec, started_by="test")

    async def submit() -> None:
        conn = await asyncpg.connect(settings.database_url)
        try:
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO dataimport.jobs (id, org_id, name, status, created_by, source_table, "
                    "validation_started_at, last_progress_at) "
                    "VALUES ($1, $2, 'poison', 'VALIDATING', 'test', $3, now(), now())", job_id, org_id, table)
                await conn.execute("INSERT INTO dataimport.outbox (topic, key, payload) VALUES ($1, $2, $3::jsonb)",
                                   "dataimport.job-submitted.v1", str(job_id).encode(), event.model_dump_json())
        finally:
            await conn.close()

    asyncio.run(submit())
    job = api.wait_for(org_id, str(job_id), ("VALIDATION_FAILED",), timeout=120)
    assert job["status"] == "VALIDATION_FAILED"
    assert "chunk 0 could not be validated" in job["failure_reason"]

    async def dead_letters() -> list:
        consumer = AIOKafkaConsumer(DEAD_LETTER_TOPIC, bootstrap_servers=settings.kafka_bootstrap_servers,
                                    auto_offset_reset="earliest", enable_auto_commit=False, group_id=None)
        await consumer.start()
        found = []
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not found:
                batch = await consumer.getmany(timeout_ms=1000)
                for records in batch.values():
                    found += [r for r in records if r.key == str(job_id).encode()]
        finally:
            await consumer.stop()
        return found

    found = asyncio.run(dead_letters())
    assert len(found) == 1
    headers = {k: v.decode() for k, v in found[0].headers}
    assert headers["x-original-topic"] == "dataimport.validation-chunk-requested.v1"
    assert "base_country" in headers["x-error"]
    assert int(headers["x-attempts"]) >= 2
