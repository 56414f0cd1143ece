"""How a stored job is shown: durations, progress and the estimate of the time remaining."""

from __future__ import annotations

from datetime import datetime, timezone

import asyncpg

from job_api.schemas import IngestInfo, JobOut, Mapping, Source, ValidationInfo


def _seconds(start: datetime | None, end: datetime | None, now: datetime) -> float | None:
    if start is None:
        return None
    return round(((end or now) - start).total_seconds(), 3)


def _eta(done: int, total: int | None, elapsed: float | None, running: bool) -> float | None:
    """Remaining time from the throughput so far; None until there is some progress to measure."""
    if not running or not total or not elapsed or done <= 0:
        return None
    remaining = max(total - done, 0)
    return round(remaining * elapsed / done, 1)


def job_out(row: asyncpg.Record, *, stalled_after_seconds: int | None = None) -> JobOut:
    now = datetime.now(timezone.utc)
    validating = row["status"] == "VALIDATING"
    importing = row["status"] == "IMPORTING"
    v_elapsed = _seconds(row["validation_started_at"], row["validation_finished_at"], now)
    i_elapsed = _seconds(row["ingest_started_at"], row["ingest_finished_at"], now)
    valid_total = row["valid"] if row["status"] in ("IMPORTING", "COMPLETED", "COMPLETED_PARTIAL", "FAILED") else None
    stalled = bool(
        stalled_after_seconds
        and (validating or importing)
        and row["last_progress_at"] is not None
        and (now - row["last_progress_at"]).total_seconds() > stalled_after_seconds
    )
    return JobOut(
        id=row["id"],
        org_id=row["org_id"],
        name=row["name"],
        description=row["description"],
        source=Source(table=row["source_table"]) if row["source_table"] else None,
        profile=row["profile"],
        method=row["method"],
        unique_id=row["unique_id"],
        mapping=[Mapping(**m) for m in row["mapping"]] if row["mapping"] is not None else None,
        status=row["status"],
        failure_reason=row["failure_reason"],
        stalled=stalled,
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        rejected_by=row["rejected_by"],
        validation=ValidationInfo(
            started_by=row["validation_started_by"],
            started_at=row["validation_started_at"],
            finished_at=row["validation_finished_at"],
            duration_seconds=v_elapsed,
            records_total=row["records_total"],
            records_validated=row["records_validated"],
            valid=row["valid"],
            invalid=row["invalid"],
            estimated_seconds_remaining=_eta(row["records_validated"], row["records_total"], v_elapsed, validating),
            report_table=row["validate_table"] if row["validation_finished_at"] else None,
            report_link=row["validate_table_link"],
        ),
        ingest=IngestInfo(
            approved_by=row["approved_by"],
            started_at=row["ingest_started_at"],
            finished_at=row["ingest_finished_at"],
            duration_seconds=i_elapsed,
            records_processed=row["records_processed"],
            records_total=valid_total,
            added=row["added"],
            updated=row["updated"],
            failed=row["failed"],
            estimated_seconds_remaining=_eta(row["records_processed"], valid_total, i_elapsed, importing),
            report_table=row["ingest_table"] if row["ingest_finished_at"] else None,
            report_link=row["ingest_table_link"],
        ),
    )
