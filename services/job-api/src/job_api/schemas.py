"""Request and response bodies of the REST API (SPEC 6). Unknown fields are refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

JobStatus = Literal[
    "DRAFT",
    "VALIDATING",
    "VALIDATION_FAILED",
    "AWAITING_APPROVAL",
    "REJECTED",
    "IMPORTING",
    "COMPLETED",
    "COMPLETED_PARTIAL",
    "FAILED",
]
RUNNING = ("VALIDATING", "IMPORTING")
SETTLED = ("VALIDATION_FAILED", "AWAITING_APPROVAL", "REJECTED", "COMPLETED", "COMPLETED_PARTIAL", "FAILED")

Text = Field(max_length=1000)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(Strict):
    table: str = Field(min_length=1, max_length=128, examples=["customer_registration_10k"])


class Mapping(Strict):
    source_column: str = Field(min_length=1, max_length=255, examples=["mobile_no"])
    field: str = Field(min_length=1, max_length=255, examples=["mobile"])
    mandatory: bool = False


class JobCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "testing",
                    "description": None,
                    "source": {"table": "customer_registration_10k"},
                    "profile": "customer",
                    "method": "insert",
                    "unique_id": "MOBILE",
                    "mapping": [{"source_column": "mobile_no", "field": "mobile", "mandatory": True}],
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(None, max_length=1000)
    source: Source | None = None
    profile: Literal["customer"] = "customer"
    method: Literal["insert", "update", "upsert"] | None = None
    unique_id: Literal["MOBILE", "EMAIL", "EXTERNAL_ID", "USER_ID"] | None = None
    mapping: list[Mapping] | None = Field(None, max_length=500)


class JobPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=1000)
    source: Source | None = None
    profile: Literal["customer"] | None = None
    method: Literal["insert", "update", "upsert"] | None = None
    unique_id: Literal["MOBILE", "EMAIL", "EXTERNAL_ID", "USER_ID"] | None = None
    mapping: list[Mapping] | None = Field(None, max_length=500)


class ValidationInfo(BaseModel):
    started_by: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_seconds: float | None = None
    records_total: int | None = None
    records_validated: int = 0
    valid: int | None = None
    invalid: int | None = None
    estimated_seconds_remaining: float | None = None
    report_table: str | None = None
    report_link: str | None = None


class IngestInfo(BaseModel):
    approved_by: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_seconds: float | None = None
    records_processed: int = 0
    records_total: int | None = None
    added: int | None = None
    updated: int | None = None
    failed: int | None = None
    estimated_seconds_remaining: float | None = None
    report_table: str | None = None
    report_link: str | None = None


class JobOut(BaseModel):
    id: UUID
    org_id: int
    name: str
    description: str | None
    source: Source | None
    profile: str
    method: str | None
    unique_id: str | None
    mapping: list[Mapping] | None
    status: JobStatus
    failure_reason: str | None = None
    stalled: bool = False
    created_by: str
    created_at: datetime
    updated_at: datetime
    rejected_by: str | None = None
    validation: ValidationInfo
    ingest: IngestInfo


class JobList(BaseModel):
    items: list[JobOut]


class TableList(BaseModel):
    tables: list[str]


class FieldInfo(BaseModel):
    name: str
    type: str


class Preview(BaseModel):
    table: str
    total_records: int
    fields: list[FieldInfo]
    rows: list[dict[str, Any]]


class ErrorCount(BaseModel):
    message: str
    count: int


class ErrorSummary(BaseModel):
    phase: Literal["validate", "ingest"]
    items: list[ErrorCount]


class RecordsPage(BaseModel):
    items: list[dict[str, Any]]
    next: str | None


class HistoryItem(BaseModel):
    action: str
    actor: str | None
    at: datetime
    detail: dict[str, Any] | None = None


class History(BaseModel):
    items: list[HistoryItem]
