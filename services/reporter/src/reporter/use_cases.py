"""Reporter use cases: materialise the validate and ingest report tables in the warehouse.

A completed phase is fanned out into one ``ReportChunkRequested`` per part -- ``chunks_per_part`` consecutive
chunks of the pinned source, about ``report_part_rows`` rows -- with a window of them in flight, like validation
and ingestion, so every reporter replica writes a share of the parts. Each part is one idempotent warehouse append
(keyed by job, phase and part) followed by a processed-chunk record; the part that completes the set publishes
``ReportWritten``. Fewer, larger parts mean fewer warehouse commits (each commit re-reads the table's log).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import asyncpg
import pyarrow as pa
import structlog
from faststream.kafka import KafkaBroker

from dataimport.chunks import complete_phase_if_done, processed_counts, record_processed
from dataimport.events import (
    ChunkRef,
    IngestCompleted,
    ReportChunkRequested,
    ReportFailed,
    ReportWritten,
    ValidationCompleted,
)
from dataimport.kafka import publish_event, publish_events
from dataimport.observability import Metrics
from dataimport.warehouse.port import ChunkSpec, Snapshot, Warehouse
from reporter.report_rows import ingest_part, ingest_report_schema, validate_part, validate_report_schema

log = structlog.get_logger(__name__)
Phase = Literal["validate", "ingest"]
SCHEMAS = {"validate": validate_report_schema, "ingest": ingest_report_schema}


def _table(spec, phase: Phase) -> str:
    return spec.validate_table if phase == "validate" else spec.ingest_table


def _snapshot(spec) -> Snapshot:
    return Snapshot(spec.snapshot_version, spec.records_total)


@dataclass
class Reporter:
    pool: asyncpg.Pool
    warehouse: Warehouse
    broker: KafkaBroker
    metrics: Metrics
    worker: str = "reporter"
    window: int = 12
    part_rows: int = 50_000

    async def plan_validate_report(self, event: ValidationCompleted) -> None:
        await self._plan(event, "validate")

    async def plan_ingest_report(self, event: IngestCompleted) -> None:
        await self._plan(event, "ingest")

    async def _plan(self, event: ValidationCompleted | IngestCompleted, phase: Phase) -> None:
        spec, org_id = event.spec, event.org_id
        chunks = await self.warehouse.plan_chunks(org_id, spec.source_table, _snapshot(spec), spec.chunk_size)
        table = _table(spec, phase)
        totals = _totals(event)
        if not chunks:  # an empty source still gets its (empty) report table
            preview = await self.warehouse.preview(org_id, spec.source_table, 0)
            await self.warehouse.create_report_table(org_id, table, SCHEMAS[phase](preview.schema))
            await self._written(event.job_id, org_id, phase, table, 0, totals)
            return
        first = await self.warehouse.read_chunk(org_id, spec.source_table, _snapshot(spec), chunks[0])
        await self.warehouse.create_report_table(org_id, table, SCHEMAS[phase](first.schema))
        per_part = max(1, self.part_rows // max(1, spec.chunk_size))
        parts = _parts(chunks, per_part)
        await publish_events(
            self.broker,
            (
                _request(event.job_id, org_id, spec, phase, n, parts[n], per_part, len(parts), totals)
                for n in range(min(self.window, len(parts)))
            ),
        )

    async def write_part(self, event: ReportChunkRequested) -> None:
        spec, org_id, phase = event.spec, event.org_id, event.phase
        part_no = event.part_no if event.part_no is not None else event.chunk.chunk_no
        step = f"report-{phase}"
        if await processed_counts(self.pool, event.job_id, step, part_no) is None:
            started = time.perf_counter()
            refs = [event.chunk, *event.extra_chunks]
            sources = [
                await self.warehouse.read_chunk(
                    org_id, spec.source_table, _snapshot(spec),
                    ChunkSpec(c.chunk_no, c.first_row_id, c.row_count, c.locator),
                )
                for c in refs
            ]  # fmt: skip
            source = sources[0] if len(sources) == 1 else pa.concat_tables(sources)
            part = await self._part(event, [c.chunk_no for c in refs], source)
            if part.num_rows:
                await self.warehouse.append_report_part(
                    org_id, _table(spec, phase), f"{event.job_id}:{phase}:{event.chunk.chunk_no}", part
                )
            async with self.pool.acquire() as conn:
                await record_processed(conn, event.job_id, step, part_no, {"rows": part.num_rows}, self.worker)
            self.metrics.chunk_duration.labels("report").observe(time.perf_counter() - started)
        following = part_no + self.window
        if following < event.chunks_total:
            chunks = await self.warehouse.plan_chunks(org_id, spec.source_table, _snapshot(spec), spec.chunk_size)
            parts = _parts(chunks, event.chunks_per_part)
            await publish_event(
                self.broker,
                _request(
                    event.job_id, org_id, spec, phase, following, parts[following], event.chunks_per_part,
                    event.chunks_total, event.totals,
                ),
            )  # fmt: skip

        async def finish(conn: asyncpg.Connection) -> dict[str, int]:
            rows = await conn.fetchval(
                "SELECT coalesce(sum((counts->>'rows')::bigint), 0)::bigint FROM dataimport.processed_chunks "
                "WHERE job_id = $1 AND phase = $2",
                event.job_id,
                step,
            )
            return {"rows": rows}

        done = await complete_phase_if_done(self.pool, event.job_id, step, event.chunks_total, finish)
        if done is not None:
            await self._written(event.job_id, org_id, phase, _table(spec, phase), done["rows"], event.totals)

    async def _written(self, job_id, org_id: int, phase: Phase, table: str, rows: int, totals: dict) -> None:
        log.info("report_written", job_id=str(job_id), phase=phase, table=table, rows=rows)
        await publish_event(
            self.broker,
            ReportWritten(
                job_id=job_id,
                org_id=org_id,
                phase=phase,
                table=table,
                rows=rows,
                link=self.warehouse.report_link(org_id, table),
                totals=totals,
            ),
        )

    async def _part(self, event: ReportChunkRequested, chunk_nos: list[int], source: pa.Table) -> pa.Table:
        if event.phase == "validate":
            records = await self.pool.fetch(
                "SELECT row_id, errors FROM dataimport.validation_records WHERE job_id = $1 AND chunk_no = ANY($2)",
                event.job_id,
                chunk_nos,
            )
            return validate_part(source, {r["row_id"]: list(r["errors"]) for r in records})
        records = await self.pool.fetch(
            "SELECT row_id, status, error_message, user_id FROM dataimport.ingest_records "
            "WHERE job_id = $1 AND chunk_no = ANY($2)",
            event.job_id,
            chunk_nos,
        )
        return ingest_part(source, {r["row_id"]: (r["status"], r["error_message"], r["user_id"]) for r in records})

    async def fail(self, event, phase: Phase, reason: str) -> None:
        log.error("report_failed", job_id=str(event.job_id), phase=phase, reason=reason)
        await publish_event(
            self.broker, ReportFailed(job_id=event.job_id, org_id=event.org_id, phase=phase, reason=reason)
        )


def _parts(chunks: list[ChunkSpec], per_part: int) -> list[list[ChunkSpec]]:
    """Consecutive chunks grouped into report parts of ``per_part`` chunks (the last may have fewer)."""
    return [chunks[i : i + per_part] for i in range(0, len(chunks), per_part)]


def _ref(c: ChunkSpec) -> ChunkRef:
    return ChunkRef(chunk_no=c.chunk_no, first_row_id=c.first_row_id, row_count=c.row_count, locator=c.locator)


def _request(
    job_id, org_id: int, spec, phase: Phase, part_no: int, part: list[ChunkSpec], per_part: int, total: int,
    totals: dict,
) -> ReportChunkRequested:  # fmt: skip
    return ReportChunkRequested(
        job_id=job_id,
        org_id=org_id,
        phase=phase,
        spec=spec,
        chunk=_ref(part[0]),
        extra_chunks=[_ref(c) for c in part[1:]],
        part_no=part_no,
        chunks_per_part=per_part,
        chunks_total=total,
        totals=totals,
    )


def _totals(event: ValidationCompleted | IngestCompleted) -> dict[str, int]:
    names = ("records", "valid", "invalid") if isinstance(event, ValidationCompleted) else (
        "processed", "added", "updated", "failed")
    return {"chunks_total": event.chunks_total, **{n: getattr(event, n) for n in names}}
