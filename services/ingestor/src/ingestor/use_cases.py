"""Ingestion use cases: fan an approved job out into chunk requests, write one chunk, complete the phase."""

from __future__ import annotations

import time
from dataclasses import dataclass

import asyncpg
import structlog
from faststream.kafka import KafkaBroker

from dataimport.chunks import ChunkAlreadyProcessed, complete_phase_if_done, processed_counts, record_processed
from dataimport.events import IngestChunkDone, IngestChunkRequested, IngestCompleted, IngestFailed, JobApproved
from dataimport.kafka import publish_event, publish_events
from dataimport.observability import Metrics
from dataimport.orgs import OrgConfig
from dataimport.profiles.registry import get_plugin

PHASE = "ingest"
log = structlog.get_logger(__name__)

_COUNTS_SQL = """
SELECT count(*) AS processed,
       count(*) FILTER (WHERE status = 'ADDED') AS added,
       count(*) FILTER (WHERE status = 'UPDATED') AS updated,
       count(*) FILTER (WHERE status = 'FAILED') AS failed
  FROM dataimport.ingest_records
 WHERE job_id = $1 {chunk_filter}
"""


@dataclass
class Ingestor:
    pool: asyncpg.Pool
    broker: KafkaBroker
    metrics: Metrics
    worker: str
    window: int = 12

    async def plan(self, event: JobApproved) -> None:
        if event.chunks_total == 0:
            await self._complete(event.job_id, event.org_id, event.spec, 0)
            return
        await publish_events(
            self.broker, (_request(event, n) for n in range(min(self.window, event.chunks_total)))
        )

    async def ingest_chunk(self, event: IngestChunkRequested) -> None:
        counts = await processed_counts(self.pool, event.job_id, PHASE, event.chunk_no)
        if counts is None:
            started = time.perf_counter()
            counts = await self._ingest(event)
            self.metrics.chunk_duration.labels(PHASE).observe(time.perf_counter() - started)
        await publish_event(
            self.broker,
            IngestChunkDone(
                job_id=event.job_id,
                org_id=event.org_id,
                chunk_no=event.chunk_no,
                chunks_total=event.chunks_total,
                spec=event.spec,
                **counts,
            ),
        )
        following = event.chunk_no + self.window  # keep `window` chunks of this job in flight
        if following < event.chunks_total:
            await publish_event(self.broker, _request(event, following))
        await self._complete(event.job_id, event.org_id, event.spec, event.chunks_total)

    async def _ingest(self, event: IngestChunkRequested) -> dict[str, int]:
        plugin = get_plugin(event.spec.profile)
        org = OrgConfig.model_validate(event.spec.org_config)
        store = plugin.store_factory(self.pool)
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                # Taken first so a concurrent delivery of the same chunk waits here, then finds the record.
                if not await record_processed(conn, event.job_id, PHASE, event.chunk_no, {}, self.worker):
                    raise ChunkAlreadyProcessed
                await store.write_chunk(conn, event.org_id, event.job_id, event.chunk_no, org.email_unique)
                row = await conn.fetchrow(_COUNTS_SQL.format(chunk_filter="AND chunk_no = $2"), event.job_id, event.chunk_no)
                counts = dict(row)
                await conn.execute(
                    "UPDATE dataimport.processed_chunks SET counts = $4 WHERE job_id=$1 AND phase=$2 AND chunk_no=$3",
                    event.job_id,
                    PHASE,
                    event.chunk_no,
                    counts,
                )
        except ChunkAlreadyProcessed:
            return await processed_counts(self.pool, event.job_id, PHASE, event.chunk_no)
        for outcome in ("added", "updated", "failed"):
            self.metrics.records_ingested.labels(outcome).inc(counts[outcome])
        log.info("chunk_ingested", job_id=str(event.job_id), chunk=event.chunk_no, **counts)
        return counts

    async def _complete(self, job_id, org_id, spec, chunks_total: int) -> None:
        async def finish(conn: asyncpg.Connection) -> dict[str, int]:
            return dict(await conn.fetchrow(_COUNTS_SQL.format(chunk_filter=""), job_id))

        totals = await complete_phase_if_done(self.pool, job_id, PHASE, chunks_total, finish)
        if totals is None:
            return
        log.info("ingest_completed", job_id=str(job_id), **totals)
        await publish_event(
            self.broker, IngestCompleted(job_id=job_id, org_id=org_id, spec=spec, chunks_total=chunks_total, **totals)
        )

    async def fail(self, event, reason: str) -> None:
        log.error("ingest_failed", job_id=str(event.job_id), reason=reason)
        await publish_event(self.broker, IngestFailed(job_id=event.job_id, org_id=event.org_id, reason=reason))


def _request(event: JobApproved | IngestChunkRequested, chunk_no: int) -> IngestChunkRequested:
    return IngestChunkRequested(
        job_id=event.job_id,
        org_id=event.org_id,
        spec=event.spec,
        chunk_no=chunk_no,
        chunks_total=event.chunks_total,
    )
