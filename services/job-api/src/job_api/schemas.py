"""Request and response bodies of the REST API (SPEC 6). Unknown fields are refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
SETTLED = ("VALIDATION_FAILED", "AWAITING_APPROVAL", "REJECTED", "COMPLETED", "COMPLETED_PARTIAL", "FAILED")

Text = Field(max_length=1000)


def check_text(value: str) -> str:
    """Text that PostgreSQL can store: no NUL character, no unpaired surrogate."""
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (an unpaired surrogate was found)") from None
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return check_text(value) if isinstance(value, str) else value


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
    """The fields to change; absent fields stay as they are, `null` clears one (`name` and `profile` cannot be
    cleared)."""

    name: str = Field(None, min_length=1, max_length=100)  # type: ignore[assignment]  # absent, never null
    description: str | None = Field(None, max_length=1000)
    source: Source | None = None
    profile: Literal["customer"] = Field(None)  # type: ignore[assignment]
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


class CatalogField(BaseModel):
    id: str = Field(description="The field id a mapping targets", examples=["mobile"])
    type: str = Field(description="string, integer, double, boolean, date, datetime, enum, country, language, ...")
    values: list[str] | None = Field(None, description="Allowed values, for fields that have a fixed set")


class FieldCatalog(BaseModel):
    """The profile's fields for this org, by category, and the mandatory mappings for each method and unique ID.
    ``mandatory[method][unique_id]`` is a list of groups: each group is satisfied by mapping any one of its
    fields, so ``len(groups)`` is the *m* of "n of m mandatory profile fields mapped"."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "profile": "customer",
                    "categories": {
                        "identifiers": [{"id": "mobile", "type": "mobile"}, {"id": "email", "type": "email"},
                                        {"id": "external_id", "type": "string"}, {"id": "user_id", "type": "integer"}],
                        "loyalty": [{"id": "loyalty_type", "type": "enum", "values": ["loyalty", "non_loyalty"]}],
                    },
                    "mandatory": {
                        "insert": {"MOBILE": [["mobile"], ["registered_on"], ["loyalty_type"],
                                              ["registered_store", "registered_till"]]},
                        "update": {"USER_ID": [["user_id"]]},
                    },
                }
            ]
        }
    )

    profile: str
    categories: dict[str, list[CatalogField]]
    mandatory: dict[str, dict[str, list[list[str]]]]


class Customer(BaseModel):
    """One customer of the customer database (SPEC 6)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"user_id": 17, "mobile": "919876543210", "email": "a@example.com", "external_id": "C1",
                 "first_name": "Asha", "last_name": "Rao", "registered_on": "2024-01-15T04:30:00+00:00",
                 "registered_store": "STORE001", "registered_till": None, "loyalty_type": "loyalty",
                 "slab": "Gold", "slab_expiry": "2027-03-31", "status_label": "Active",
                 "custom": {"fav_category": "shoes"}, "extended": {"gender": "Female"}}
            ]
        }
    )

    user_id: int
    mobile: str | None = None
    email: str | None = None
    external_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    registered_on: str | None = None
    registered_store: str | None = None
    registered_till: str | None = None
    loyalty_type: str | None = None
    slab: str | None = None
    slab_expiry: str | None = None
    status_label: str | None = None
    custom: dict[str, Any] = Field(default_factory=dict)
    extended: dict[str, Any] = Field(default_factory=dict)
