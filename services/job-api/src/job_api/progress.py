"""How job-api follows a job: worker events update the stored job. Every handler is idempotent and does not
depend on the order in which events of different topics arrive."""

from __future__ import annotations

from datetime import datetime, timezone

import asyncpg
import structlog

from dataimport.events import (
    IngestChunkDone,
    IngestFailed,
    ReportFailed,
    ReportWritten,
    ValidationChunkDone,
    ValidationFailed,
)
from job_api import jobs_repo as repo

log = structlog.get_logger(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def on_validation_chunk_done(pool: asyncpg.Pool, e: ValidationChunkDone) -> None:
    async with pool.acquire() as conn, conn.transaction():
        counts = {"records": e.records, "valid": e.valid, "invalid": e.invalid}
        if not await repo.record_chunk_progress(conn, e.job_id, "validate", e.chunk_no, counts):
            return
        sums = await repo.chunk_progress_sums(conn, e.job_id, "validate", ("records", "valid", "invalid"))
        await repo.update_job(
            conn,
            e.job_id,
            {"records_validated": sums["records"], "valid": sums["valid"], "invalid": sums["invalid"],
             "chunks_total": e.chunks_total, "last_progress_at": _now()},
            only_status=("VALIDATING",),
        )


async def on_ingest_chunk_done(pool: asyncpg.Pool, e: IngestChunkDone) -> None:
    async with pool.acquire() as conn, conn.transaction():
        counts = {"processed": e.processed, "added": e.added, "updated": e.updated, "failed": e.failed}
        if not await repo.record_chunk_progress(conn, e.job_id, "ingest", e.chunk_no, counts):
            return
        sums = await repo.chunk_progress_sums(conn, e.job_id, "ingest", ("processed", "added", "updated", "failed"))
        await repo.update_job(
            conn,
            e.job_id,
            {"records_processed": sums["processed"], "added": sums["added"], "updated": sums["updated"],
             "failed": sums["failed"], "last_progress_at": _now()},
            only_status=("IMPORTING",),
        )


async def on_report_written(pool: asyncpg.Pool, e: ReportWritten) -> None:
    t = e.totals
    async with pool.acquire() as conn, conn.transaction():
        if e.phase == "validate":
            changed = await repo.update_job(
                conn,
                e.job_id,
                {"status": "AWAITING_APPROVAL", "validation_finished_at": _now(), "records_validated": t["records"],
                 "valid": t["valid"], "invalid": t["invalid"], "chunks_total": t["chunks_total"],
                 "validate_table": e.table, "validate_table_link": e.link},
                only_status=("VALIDATING",),
            )
            action = "validation_completed"
        else:
            status = "COMPLETED_PARTIAL" if t["failed"] else "COMPLETED"
            changed = await repo.update_job(
                conn,
                e.job_id,
                {"status": status, "ingest_finished_at": _now(), "records_processed": t["processed"],
                 "added": t["added"], "updated": t["updated"], "failed": t["failed"],
                 "ingest_table": e.table, "ingest_table_link": e.link},
                only_status=("IMPORTING",),
            )
            action = "ingest_completed"
        if changed:
            await repo.add_history(conn, e.job_id, action, None, {"report_table": e.table, **t})
            log.info(action, job_id=str(e.job_id), **t)


async def _fail(pool: asyncpg.Pool, job_id, status: str, from_status: str, reason: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        finished = "validation_finished_at" if status == "VALIDATION_FAILED" else "ingest_finished_at"
        if await repo.update_job(conn, job_id, {"status": status, "failure_reason": reason[:2000], finished: _now()},
                                 only_status=(from_status,)):
            await repo.add_history(conn, job_id, status.lower(), None, {"reason": reason[:2000]})
            log.error("job_failed", job_id=str(job_id), status=status, reason=reason)


async def on_validation_failed(pool: asyncpg.Pool, e: ValidationFailed) -> None:
    await _fail(pool, e.job_id, "VALIDATION_FAILED", "VALIDATING", e.reason)


async def on_ingest_failed(pool: asyncpg.Pool, e: IngestFailed) -> None:
    await _fail(pool, e.job_id, "FAILED", "IMPORTING", e.reason)


async def on_report_failed(pool: asyncpg.Pool, e: ReportFailed) -> None:
    if e.phase == "validate":
        await _fail(pool, e.job_id, "VALIDATION_FAILED", "VALIDATING", e.reason)
    else:
        await _fail(pool, e.job_id, "FAILED", "IMPORTING", e.reason)
