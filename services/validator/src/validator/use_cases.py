"""Validation use cases: plan a submitted job into chunks, validate one chunk, complete the phase."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg
import structlog
from faststream.kafka import KafkaBroker

from dataimport.chunks import ChunkAlreadyProcessed, complete_phase_if_done, processed_counts, record_processed
from dataimport.events import (
    ChunkRef,
    JobSubmitted,
    ValidationChunkDone,
    ValidationChunkRequested,
    ValidationCompleted,
    ValidationFailed,
)
from dataimport.kafka import publish_event, publish_events
from dataimport.observability import Metrics
from dataimport.orgs import OrgConfig
from dataimport.profiles.registry import get_plugin, job_config_of
from dataimport.warehouse.port import ChunkSpec, Snapshot, Warehouse, WarehouseError
from validator.results_repo import mark_duplicates, save_chunk_results, validation_totals

PHASE = "validate"
log = structlog.get_logger(__name__)


@dataclass
class Validator:
    pool: asyncpg.Pool
    warehouse: Warehouse
    broker: KafkaBroker
    metrics: Metrics
    worker: str
    window: int = 12

    async def plan(self, event: JobSubmitted) -> None:
        spec = event.spec
        try:
            chunks = await self.warehouse.plan_chunks(
                event.org_id,
                spec.source_table,
                Snapshot(spec.snapshot_version, spec.records_total),
                spec.chunk_size,
            )
        except WarehouseError as exc:
            await self.fail(event, f"source table import_{event.org_id}.{spec.source_table} unreadable: {exc}")
            return
        log.info("validation_planned", job_id=str(event.job_id), chunks=len(chunks))
        if not chunks:
            await self._complete(event.job_id, event.org_id, spec, 0)
            return
        await publish_events(self.broker, (_request(event, c, len(chunks)) for c in chunks[: self.window]))

    async def validate_chunk(self, event: ValidationChunkRequested) -> None:
        job_id, spec, chunk_no = event.job_id, event.spec, event.chunk.chunk_no
        counts = await processed_counts(self.pool, job_id, PHASE, chunk_no)
        if counts is None:
            started = time.perf_counter()
            counts = await self._validate(event)
            self.metrics.chunk_duration.labels(PHASE).observe(time.perf_counter() - started)
        await publish_event(
            self.broker,
            ValidationChunkDone(
                job_id=job_id, org_id=event.org_id, chunk_no=chunk_no, chunks_total=event.chunks_total, **counts
            ),
        )
        await self._request_next(event)
        await self._complete(job_id, event.org_id, spec, event.chunks_total)

    async def _request_next(self, event: ValidationChunkRequested) -> None:
        """Keep ``window`` chunks of this job in flight: the chunk ``window`` places further is requested now."""
        following = event.chunk.chunk_no + self.window
        if following >= event.chunks_total:
            return
        spec = event.spec
        chunks = await self.warehouse.plan_chunks(
            event.org_id, spec.source_table, Snapshot(spec.snapshot_version, spec.records_total), spec.chunk_size
        )
        await publish_event(self.broker, _request(event, chunks[following], event.chunks_total))

    async def _validate(self, event: ValidationChunkRequested) -> dict[str, int]:
        spec = event.spec
        plugin = get_plugin(spec.profile)
        org = OrgConfig.model_validate(spec.org_config)
        job = job_config_of(spec)
        c = event.chunk
        chunk = ChunkSpec(c.chunk_no, c.first_row_id, c.row_count, c.locator)
        batch = await self.warehouse.read_chunk(
            event.org_id, spec.source_table, Snapshot(spec.snapshot_version, spec.records_total), chunk
        )
        prepared = await asyncio.to_thread(plugin.profile.prepare, batch, job, org)
        store = plugin.store_factory(self.pool)
        existing = await store.find(event.org_id, prepared.lookup)
        decisions = await asyncio.to_thread(plugin.profile.decide, prepared, existing)
        valid = sum(1 for d in decisions if d.valid)
        counts = {"records": len(decisions), "valid": valid, "invalid": len(decisions) - valid}
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                if not await record_processed(conn, event.job_id, PHASE, c.chunk_no, counts, self.worker):
                    raise ChunkAlreadyProcessed
                await save_chunk_results(conn, event.job_id, c.chunk_no, decisions)
        except ChunkAlreadyProcessed:
            return await processed_counts(self.pool, event.job_id, PHASE, c.chunk_no)
        self.metrics.records_validated.labels("valid").inc(valid)
        self.metrics.records_validated.labels("invalid").inc(len(decisions) - valid)
        log.info("chunk_validated", job_id=str(event.job_id), chunk=c.chunk_no, **counts)
        return counts

    async def _complete(self, job_id, org_id, spec, chunks_total: int) -> None:
        profile = get_plugin(spec.profile).profile

        async def finish(conn: asyncpg.Connection) -> dict[str, int]:
            invalidated = await mark_duplicates(conn, job_id, profile.duplicate_message)
            return await validation_totals(conn, job_id, PHASE, invalidated)

        totals = await complete_phase_if_done(self.pool, job_id, PHASE, chunks_total, finish)
        if totals is None:
            return
        log.info("validation_completed", job_id=str(job_id), **totals)
        await publish_event(
            self.broker,
            ValidationCompleted(job_id=job_id, org_id=org_id, spec=spec, chunks_total=chunks_total, **totals),
        )

    async def fail(self, event, reason: str) -> None:
        log.error("validation_failed", job_id=str(event.job_id), reason=reason)
        await publish_event(self.broker, ValidationFailed(job_id=event.job_id, org_id=event.org_id, reason=reason))


def _request(event: JobSubmitted | ValidationChunkRequested, c: ChunkSpec, total: int) -> ValidationChunkRequested:
    return ValidationChunkRequested(
        job_id=event.job_id,
        org_id=event.org_id,
        spec=event.spec,
        chunk=ChunkRef(chunk_no=c.chunk_no, first_row_id=c.first_row_id, row_count=c.row_count, locator=c.locator),
        chunks_total=total,
    )
