"""``CustomerProfile``: the Customer plug-in of the ``Profile`` protocol."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from dataimport.orgs import OrgConfig
from dataimport.profiles.base import JobConfig, Method, Problem, RecordDecision, UniqueId
from dataimport.profiles.customer import decide as _decide
from dataimport.profiles.customer import fields as _fields
from dataimport.profiles.customer import job_checks as _job_checks
from dataimport.profiles.customer import prepare as _prepare


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CustomerProfile:
    name = "customer"

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._clock = clock

    def field_catalog(self, org: OrgConfig) -> dict[str, Any]:
        return _fields.field_catalog(org)

    def mandatory_fields(self, method: Method, unique_id: UniqueId) -> list[list[str]]:
        return _fields.mandatory_fields(method, unique_id)

    def check_job(self, job: JobConfig, org: OrgConfig, source_columns: list[str]) -> list[Problem]:
        return _job_checks.check_job(job, org, source_columns)

    def prepare(self, batch: pa.Table, job: JobConfig, org: OrgConfig) -> _prepare.PreparedChunk:
        return _prepare.prepare(batch, job, org, now=self._clock())

    def decide(self, prepared: _prepare.PreparedChunk, existing: Any) -> list[RecordDecision]:
        return _decide.decide(prepared, existing)

    def duplicate_message(self, key_name: str) -> str:
        return f"duplicate {key_name} in source"
