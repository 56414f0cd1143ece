"""The profile plug-in contract.

A profile (Customer today; Transactions, Cards, Inventory later) owns its fields, its mandatory rules, record
validation and its write plan. The pipeline (events, chunking, report tables, job API) knows nothing
profile-specific: it calls these methods and stores what they return.

Validation of one chunk is two steps around one set-based look-up, so the domain stays free of I/O:

    prepared = profile.prepare(batch, job, org)           # normalise + per-record rules (pure)
    existing = await store.find(org_id, prepared.lookup)  # adapter: one query per identifier kind
    decided  = profile.decide(prepared, existing)         # rules against the current state (pure)

Duplicates inside the whole source are decided after every chunk is validated, by the pipeline, from the
``dedupe_keys`` each record declares (SQL over all chunks), with ``profile.duplicate_message(key)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import pyarrow as pa

from dataimport.orgs import OrgConfig

Method = Literal["insert", "update", "upsert"]
UniqueId = Literal["MOBILE", "EMAIL", "EXTERNAL_ID", "USER_ID"]
Action = Literal["create", "update"]


@dataclass(frozen=True)
class FieldMapping:
    source_column: str
    field: str
    mandatory: bool = False


@dataclass(frozen=True)
class JobConfig:
    method: Method
    unique_id: UniqueId
    mapping: tuple[FieldMapping, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a job's configuration (shown to the user as a list)."""

    code: str
    detail: str
    field: str | None = None


@dataclass
class RecordDecision:
    row_id: int
    errors: list[str] = field(default_factory=list)
    action: Action | None = None
    """What ingestion will do with a VALID record: create a new one or update ``target_id``."""
    target_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    """Normalised values to write (JSON-serialisable). Ingestion writes exactly these."""
    dedupe_keys: dict[str, str] = field(default_factory=dict)
    """Identifier name -> normalised value for records that would create or match a record; two records of
    one job sharing a (name, value) are both invalid."""

    @property
    def valid(self) -> bool:
        return not self.errors


class Profile(Protocol):
    name: str

    def field_catalog(self, org: OrgConfig) -> dict[str, Any]: ...

    def mandatory_fields(self, method: Method, unique_id: UniqueId) -> list[list[str]]:
        """Each inner list is one requirement satisfied by mapping any one of its fields."""

    def check_job(self, job: JobConfig, org: OrgConfig, source_columns: list[str]) -> list[Problem]: ...

    def prepare(self, batch: pa.Table, job: JobConfig, org: OrgConfig) -> Any:
        """``batch`` has ``_row_id`` plus source columns. Returns an object with a ``lookup`` attribute:
        dict of identifier name -> list of normalised values to look up among existing records."""

    def decide(self, prepared: Any, existing: Any) -> list[RecordDecision]: ...

    def duplicate_message(self, key_name: str) -> str: ...
