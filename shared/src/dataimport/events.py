"""Event contracts: the pydantic models carried on Kafka (and so documented in AsyncAPI).

Topics are ``dataimport.<event>.v1``; every message is keyed by job id, except per-chunk work requests which
are keyed by ``<job id>:<chunk>`` so that the chunks of one job spread over partitions and every replica of
a service takes its share. Evolution is add-only: new optional fields, never a rename or a removed field.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    job_id: UUID
    org_id: int
    occurred_at: datetime = Field(default_factory=utcnow)


class MappingItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    source_column: str
    field: str
    mandatory: bool = False


class JobSpec(BaseModel):
    """Everything a worker needs to process any chunk of a job, frozen when validation starts."""

    model_config = ConfigDict(frozen=True)

    name: str
    profile: str
    source_table: str
    snapshot_version: int
    records_total: int
    chunk_size: int
    method: Literal["insert", "update", "upsert"]
    unique_id: Literal["MOBILE", "EMAIL", "EXTERNAL_ID", "USER_ID"]
    mapping: tuple[MappingItem, ...]
    org_config: dict[str, Any]
    validate_table: str
    ingest_table: str
    report_part_chunks: int | None = None
    """Consecutive chunks per report part (absent, from an earlier version: one chunk per part)."""


class ChunkRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    chunk_no: int
    first_row_id: int
    row_count: int
    locator: str


# --- job-api -> workers ---------------------------------------------------------------------------------


class JobSubmitted(Event):
    """Validation was started for a job (emitted by job-api through its outbox)."""

    spec: JobSpec
    started_by: str


class JobApproved(Event):
    spec: JobSpec
    approved_by: str
    chunks_total: int


class JobRejected(Event):
    rejected_by: str


# --- validator ------------------------------------------------------------------------------------------


class ValidationChunkRequested(Event):
    spec: JobSpec
    chunk: ChunkRef
    chunks_total: int


class ValidationChunkDone(Event):
    chunk_no: int
    chunks_total: int
    records: int
    valid: int
    invalid: int


class ValidationCompleted(Event):
    spec: JobSpec
    chunks_total: int
    records: int
    valid: int
    invalid: int


class ValidationFailed(Event):
    reason: str


# --- ingestor -------------------------------------------------------------------------------------------


class IngestChunkRequested(Event):
    spec: JobSpec
    chunk_no: int
    chunks_total: int


class IngestChunkDone(Event):
    chunk_no: int
    chunks_total: int
    processed: int
    added: int
    updated: int
    failed: int
    spec: JobSpec | None = None
    """The job's frozen spec: lets the reporter write the ingest report part of finished chunks during ingestion."""


class IngestCompleted(Event):
    spec: JobSpec
    chunks_total: int
    processed: int
    added: int
    updated: int
    failed: int


class IngestFailed(Event):
    reason: str


# --- reporter -------------------------------------------------------------------------------------------


class ReportChunkRequested(Event):
    """One part of a report table to write (every reporter replica takes a share of a job's parts). A part covers
    ``chunks_per_part`` consecutive chunks of the pinned source: ``chunk`` and ``extra_chunks``."""

    phase: Literal["validate", "ingest"]
    spec: JobSpec
    chunk: ChunkRef
    chunks_total: int
    """The number of parts of this report (one per chunk when ``chunks_per_part`` is 1)."""
    totals: dict[str, int] = Field(default_factory=dict)
    """The phase's totals, handed on to ReportWritten."""
    part_no: int | None = None
    """This part's number, 0..chunks_total-1 (absent: the number of ``chunk``, one chunk per part)."""
    chunks_per_part: int = 1
    """How many source chunks each part of this report covers (the last part may cover fewer)."""
    extra_chunks: list[ChunkRef] = Field(default_factory=list)
    """The chunks after ``chunk`` that this part covers."""
    chained: bool = True
    """Whether writing this part requests the part ``window`` places further (a report planned at the end of its
    phase). False for ingest report parts requested as their chunks finish ingesting."""


class ReportWritten(Event):
    phase: Literal["validate", "ingest"]
    table: str
    rows: int
    link: str | None = None
    totals: dict[str, int] = Field(default_factory=dict)
    """The phase's totals (records/valid/invalid or processed/added/updated/failed) and chunks_total."""


class ReportFailed(Event):
    phase: Literal["validate", "ingest"]
    reason: str


def topic(name: str) -> str:
    return f"dataimport.{name}.v1"


TOPICS: dict[type[Event], str] = {
    JobSubmitted: topic("job-submitted"),
    JobApproved: topic("job-approved"),
    JobRejected: topic("job-rejected"),
    ValidationChunkRequested: topic("validation-chunk-requested"),
    ValidationChunkDone: topic("validation-chunk-done"),
    ValidationCompleted: topic("validation-completed"),
    ValidationFailed: topic("validation-failed"),
    IngestChunkRequested: topic("ingest-chunk-requested"),
    IngestChunkDone: topic("ingest-chunk-done"),
    IngestCompleted: topic("ingest-completed"),
    IngestFailed: topic("ingest-failed"),
    ReportChunkRequested: topic("report-chunk-requested"),
    ReportWritten: topic("report-written"),
    ReportFailed: topic("report-failed"),
}
DEAD_LETTER_TOPIC = topic("dead-letter")
ALL_TOPICS = [*TOPICS.values(), DEAD_LETTER_TOPIC]


def topic_of(event: Event | type[Event]) -> str:
    cls = event if isinstance(event, type) else type(event)
    return TOPICS[cls]


def key_of(event: Event) -> bytes:
    """Per-chunk requests spread over partitions; everything else stays ordered per job."""
    if isinstance(event, (ValidationChunkRequested, IngestChunkRequested)):
        chunk_no = event.chunk.chunk_no if isinstance(event, ValidationChunkRequested) else event.chunk_no
        return f"{event.job_id}:{chunk_no}".encode()
    if isinstance(event, ReportChunkRequested):
        return f"{event.job_id}:{event.phase}:{event.chunk.chunk_no}".encode()
    return str(event.job_id).encode()
