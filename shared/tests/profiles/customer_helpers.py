"""Helpers of the Customer profile suite: build a chunk from per-field values and run prepare + decide."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from dataimport.orgs import OrgConfig, demo_org_config
from dataimport.profiles.base import FieldMapping, JobConfig, RecordDecision
from dataimport.profiles.customer import CustomerProfile, CustomerState

NOW = datetime(2025, 6, 15, 6, 30, tzinfo=UTC)  # 12:00 in Asia/Kolkata

VALID_CREATE: dict[str, Any] = {
    "mobile": "9876543210",
    "registered_on": "2020-01-05",
    "loyalty_type": "loyalty",
    "registered_store": "STORE001",
}


def org_with(**changes: Any) -> OrgConfig:
    data = demo_org_config().model_dump(mode="json")
    data.update(changes)
    return OrgConfig.model_validate(data)


def column_name(field: str) -> str:
    return "src_" + field.replace(".", "__")


def make_job(
    fields: Iterable[str], method: str = "insert", unique_id: str = "MOBILE", mandatory: Iterable[str] = ()
) -> JobConfig:
    marked = set(mandatory)
    return JobConfig(
        method=method,  # type: ignore[arg-type]
        unique_id=unique_id,  # type: ignore[arg-type]
        mapping=tuple(FieldMapping(column_name(f), f, f in marked) for f in fields),
    )


def make_batch(columns: dict[str, Sequence[Any] | pa.Array], n: int) -> pa.Table:
    arrays: dict[str, Any] = {"_row_id": pa.array(range(1, n + 1), pa.int64())}
    for field, values in columns.items():
        arrays[column_name(field)] = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values)
    return pa.table(arrays)


def run_records(
    records: list[dict[str, Any]],
    *,
    method: str = "insert",
    unique_id: str = "MOBILE",
    org: OrgConfig | None = None,
    existing: Sequence[CustomerState] = (),
    mandatory: Iterable[str] = (),
    fields: Sequence[str] | None = None,
) -> list[RecordDecision]:
    """Run records (field id -> raw value; a missing key is a null) through prepare + decide."""
    org = org or demo_org_config()
    if fields is None:
        fields = list(dict.fromkeys(f for r in records for f in r))
    columns = {f: [r.get(f) for r in records] for f in fields}
    return run_columns(
        columns, len(records), method=method, unique_id=unique_id, org=org, existing=existing, mandatory=mandatory
    )


def run_columns(
    columns: dict[str, Sequence[Any] | pa.Array],
    n: int,
    *,
    method: str = "insert",
    unique_id: str = "MOBILE",
    org: OrgConfig | None = None,
    existing: Sequence[CustomerState] = (),
    mandatory: Iterable[str] = (),
) -> list[RecordDecision]:
    org = org or demo_org_config()
    profile = CustomerProfile(clock=lambda: NOW)
    job = make_job(columns, method, unique_id, mandatory)
    prepared = profile.prepare(make_batch(columns, n), job, org)
    return profile.decide(prepared, list(existing))


def run_one(record: dict[str, Any], **kwargs: Any) -> RecordDecision:
    return run_records([record], **kwargs)[0]
