"""Reporter use cases: materialise the validate and ingest report tables in the warehouse, chunk by chunk."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import asyncpg
import pyarrow as pa
import structlog
from faststream.kafka import KafkaBroker

from dataimport.events import IngestCompleted, ReportFailed, ReportWritten, ValidationCompleted
from dataimport.kafka import publish_event
from dataimport.observability import Metrics
from dataimport.warehouse.port import Snapshot, Warehouse
from reporter.report_rows import ingest_part, ingest_report_schema, validate_part, validate_report_schema

log = structlog.get_logger(__name__)
Phase = Literal["validate", "ingest"]


@dataclass
class Reporter:
    pool: asyncpg.Pool
    warehouse: Warehouse
    broker: KafkaBroker
    metrics: Metrics

    async def write_validate_report(self, event: ValidationCompleted) -> None:
        await self._write(event, "validate", event.spec.validate_table)

    async def write_ingest_report(self, event: IngestCompleted) -> None:
        await self._write(event, "ingest", event.spec.ingest_table)

    async def _write(self, event: ValidationCompleted | IngestCompleted, phase: Phase, table: str) -> None:
        spec, org_id = event.spec, event.org_id
        snapshot = Snapshot(spec.snapshot_version, spec.records_total)
        chunks = await self.warehouse.plan_chunks(org_id, spec.source_table, snapshot, spec.chunk_size)
        make_schema = validate_report_schema if phase == "validate" else ingest_report_schema
        rows = 0
        created = False
        for chunk in chunks:
            started = time.perf_counter()
            source = await self.warehouse.read_chunk(org_id, spec.source_table, snapshot, chunk)
            if not created:
                await self.warehouse.create_report_table(org_id, table, make_schema(source.schema))
                created = True
            part = await self._part(event, phase, chunk.chunk_no, source)
            if part.num_rows:
                await self.warehouse.append_report_part(org_id, table, f"{event.job_id}:{phase}:{chunk.chunk_no}", part)
            rows += part.num_rows
            self.metrics.chunk_duration.labels("report").observe(time.perf_counter() - started)
        if not created:  # an empty source still gets its (empty) report table
            preview = await self.warehouse.preview(org_id, spec.source_table, 0)
            await self.warehouse.create_report_table(org_id, table, make_schema(preview.schema))
        log.info("report_written", job_id=str(event.job_id), phase=phase, table=table, rows=rows)
        await publish_event(
            self.broker,
            ReportWritten(
                job_id=event.job_id,
                org_id=org_id,
                phase=phase,
                table=table,
                rows=rows,
                link=self.warehouse.report_link(org_id, table),
                totals=_totals(event),
            ),
        )

    async def _part(self, event, phase: Phase, chunk_no: int, source: pa.Table) -> pa.Table:
        if phase == "validate":
            records = await self.pool.fetch(
                "SELECT row_id, errors FROM dataimport.validation_records WHERE job_id = $1 AND chunk_no = $2",
                event.job_id,
                chunk_no,
            )
            return validate_part(source, {r["row_id"]: list(r["errors"]) for r in records})
        records = await self.pool.fetch(
            "SELECT row_id, status, error_message, user_id FROM dataimport.ingest_records "
            "WHERE job_id = $1 AND chunk_no = $2",
            event.job_id,
            chunk_no,
        )
        return ingest_part(source, {r["row_id"]: (r["status"], r["error_message"], r["user_id"]) for r in records})

    async def fail(self, event, phase: Phase, reason: str) -> None:
        log.error("report_failed", job_id=str(event.job_id), phase=phase, reason=reason)
        await publish_event(
            self.broker, ReportFailed(job_id=event.job_id, org_id=event.org_id, phase=phase, reason=reason)
        )


def _totals(event: ValidationCompleted | IngestCompleted) -> dict[str, int]:
    names = ("records", "valid", "invalid") if isinstance(event, ValidationCompleted) else (
        "processed", "added", "updated", "failed")
    return {"chunks_total": event.chunks_total, **{n: getattr(event, n) for n in names}}
