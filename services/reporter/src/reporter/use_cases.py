"""Reporter use cases: materialise the validate and ingest report tables in the warehouse.

A report is written in parts -- ``report_part_chunks`` consecutive chunks of the pinned source each, one
``ReportChunkRequested`` per part -- so every reporter replica writes a share of them, and each part is one
idempotent warehouse append (keyed by job, phase and part) followed by a processed-chunk record. Fewer, larger parts
mean fewer warehouse commits (each commit re-reads the table's log).

* Validate report: planned when validation completes (every record's outcome is final only after the duplicate
  pass), with a window of parts in flight, each written part requesting the next.
* Ingest report: written during ingestion. A part is requested as soon as all its chunks are ingested (seen from
  ``IngestChunkDone``); when ingestion completes, any part not written yet is requested again (idempotent).

The part that completes the set (for the ingest report: once ingestion has completed too) publishes
``ReportWritten``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import asyncpg
import pyarrow as pa
import structlog
from faststream.kafka import KafkaBroker

from dataimport.chunks import (
    complete_phase_if_done,
    phase_totals,
    processed_counts,
    processed_in_range,
    processed_sums,
    record_processed,
)
from dataimport.events import (
    ChunkRef,
    IngestChunkDone,
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

    async def plan_validate_report(self, event: ValidationCompleted) -> None:
        spec, org_id = event.spec, event.org_id
        parts = await self._start(event.job_id, org_id, spec, "validate", _totals(event))
        if parts is not None:
            await publish_events(
                self.broker,
                (
                    _request(event.job_id, org_id, spec, "validate", n, parts, _totals(event))
                    for n in range(min(self.window, len(parts)))
                ),
            )

    async def ingest_chunk_done(self, event: IngestChunkDone) -> None:
        """Request the ingest report part of this chunk once every chunk of that part is ingested. Whichever
        ingested chunk of a part commits last sees all of them (each looks after its own commit)."""
        spec = event.spec
        if spec is None:  # an ingestor that does not send the spec: the part is requested at IngestCompleted
            return
        per_part = self._per_part(spec)
        part_no = event.chunk_no // per_part
        first, stop = part_no * per_part, min((part_no + 1) * per_part, event.chunks_total)
        if await processed_in_range(self.pool, event.job_id, "ingest", first, stop) < stop - first:
            return
        if await processed_counts(self.pool, event.job_id, "report-ingest", part_no) is not None:
            return
        parts = _parts(await self._chunks(event.org_id, spec), per_part)
        await publish_event(self.broker, _request(event.job_id, event.org_id, spec, "ingest", part_no, parts, {}))

    async def plan_ingest_report(self, event: IngestCompleted) -> None:
        spec, org_id = event.spec, event.org_id
        parts = await self._start(event.job_id, org_id, spec, "ingest", _totals(event))
        if parts is None:
            return
        written = {
            r["chunk_no"]
            for r in await self.pool.fetch(
                "SELECT chunk_no FROM dataimport.processed_chunks WHERE job_id = $1 AND phase = 'report-ingest'",
                event.job_id,
            )
        }
        await publish_events(
            self.broker,
            (
                _request(event.job_id, org_id, spec, "ingest", n, parts, {})
                for n in range(len(parts))
                if n not in written
            ),
        )
        await self._complete(event.job_id, org_id, spec, "ingest", len(parts))

    async def _start(self, job_id, org_id: int, spec, phase: Phase, totals: dict) -> list[list[ChunkSpec]] | None:
        """Create the report table; its parts, or None when the source is empty (the table is then complete)."""
        chunks = await self._chunks(org_id, spec)
        table = _table(spec, phase)
        if not chunks:  # an empty source still gets its (empty) report table
            preview = await self.warehouse.preview(org_id, spec.source_table, 0)
            await self.warehouse.create_report_table(org_id, table, SCHEMAS[phase](preview.schema))
            await self._written(job_id, org_id, phase, table, 0, totals)
            return None
        first = await self.warehouse.read_chunk(org_id, spec.source_table, _snapshot(spec), chunks[0])
        await self.warehouse.create_report_table(org_id, table, SCHEMAS[phase](first.schema))
        return _parts(chunks, self._per_part(spec))

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
            table = _table(spec, phase)
            if not event.chained:
                # Requested during ingestion: the table may not exist yet, and this part -- even an empty one --
                # may be the one that completes the report.
                await self.warehouse.create_report_table(org_id, table, SCHEMAS[phase](source.schema))
            if part.num_rows:
                await self.warehouse.append_report_part(
                    org_id, table, f"{event.job_id}:{phase}:{event.chunk.chunk_no}", part
                )
            async with self.pool.acquire() as conn:
                await record_processed(conn, event.job_id, step, part_no, {"rows": part.num_rows}, self.worker)
            elapsed = time.perf_counter() - started
            self.metrics.chunk_duration.labels("report").observe(elapsed)
            log.info("report_part_written", job_id=str(event.job_id), phase=phase, part=part_no, rows=part.num_rows,
                     seconds=round(elapsed, 3))  # fmt: skip
        following = part_no + self.window
        if event.chained and following < event.chunks_total:
            parts = _parts(await self._chunks(org_id, spec), event.chunks_per_part)
            await publish_event(
                self.broker, _request(event.job_id, org_id, spec, phase, following, parts, event.totals)
            )
        await self._complete(event.job_id, org_id, spec, phase, event.chunks_total, event.totals)

    async def _complete(
        self, job_id, org_id: int, spec, phase: Phase, parts_total: int, totals: dict | None = None
    ) -> None:
        """Publish ReportWritten once every part is written -- for the ingest report, once ingestion has completed
        too (its totals are the ones recorded then)."""
        step = f"report-{phase}"

        async def ingest_completed(conn: asyncpg.Connection) -> bool:
            return await phase_totals(conn, job_id, "ingest") is not None

        async def finish(conn: asyncpg.Connection) -> dict[str, int]:
            return await processed_sums(conn, job_id, step, ("rows",))

        done = await complete_phase_if_done(
            self.pool, job_id, step, parts_total, finish, ready=ingest_completed if phase == "ingest" else None
        )
        if done is None:
            return
        if phase == "ingest":
            chunks_total = len(await self._chunks(org_id, spec))
            totals = {"chunks_total": chunks_total, **(await phase_totals(self.pool, job_id, "ingest"))}
        await self._written(job_id, org_id, phase, _table(spec, phase), done["rows"], totals or {})

    async def _chunks(self, org_id: int, spec) -> list[ChunkSpec]:
        return await self.warehouse.plan_chunks(org_id, spec.source_table, _snapshot(spec), spec.chunk_size)

    @staticmethod
    def _per_part(spec) -> int:
        """Chunks per report part, as frozen into the job (every replica groups alike); one for a job submitted
        by an earlier version (its parts were one chunk each)."""
        return spec.report_part_chunks or 1

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
    job_id, org_id: int, spec, phase: Phase, part_no: int, parts: list[list[ChunkSpec]], totals: dict
) -> ReportChunkRequested:
    part = parts[part_no]
    return ReportChunkRequested(
        job_id=job_id,
        org_id=org_id,
        phase=phase,
        spec=spec,
        chunk=_ref(part[0]),
        extra_chunks=[_ref(c) for c in part[1:]],
        part_no=part_no,
        chunks_per_part=len(parts[0]),
        chunks_total=len(parts),
        totals=totals,
        chained=phase == "validate",
    )


def _totals(event: ValidationCompleted | IngestCompleted) -> dict[str, int]:
    names = ("records", "valid", "invalid") if isinstance(event, ValidationCompleted) else (
        "processed", "added", "updated", "failed")
    return {"chunks_total": event.chunks_total, **{n: getattr(event, n) for n in names}}
