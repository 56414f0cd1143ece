"""Step 1 of validating a chunk: normalise every mapped column (column by column, each distinct value once) and
collect the identifier values to look up among existing customers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from dataimport.orgs import OrgConfig
from dataimport.profiles.base import JobConfig
from dataimport.profiles.customer.fastpath import email_fast, mobile_fast
from dataimport.profiles.customer.fields import CREATE_IDENTIFIERS, UNIQUE_ID_FIELD, field_type
from dataimport.profiles.customer.normalise import INVALID
from dataimport.profiles.customer.rules import Rule, rule_for

ROW_ID = "_row_id"


@dataclass
class PreparedChunk:
    job: JobConfig
    org: OrgConfig
    row_ids: list[int]
    values: dict[str, list[Any]]
    """Mapped field id -> per-record normalised value, ``None`` (missing) or ``INVALID``."""
    lookup: dict[str, list[Any]] = field(default_factory=dict)
    """Identifier name -> distinct normalised values to look up among existing customers."""


def _column_values(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    typ = column.type
    if pa.types.is_timestamp(typ) and typ.unit == "ns":
        column = pc.cast(column, pa.timestamp("us", typ.tz), safe=False)
    return column.to_pylist()


def _apply(rule: Rule, raw: list[Any], known: list[bool] | None = None, fast: list[Any] | None = None) -> list[Any]:
    """Run ``rule`` once per distinct value; where ``known[i]`` the answer is ``fast[i]`` (a fast path's)."""
    cache: dict[tuple[type, Any], Any] = {}
    out: list[Any] = []
    append = out.append
    for i, value in enumerate(raw):
        if value is None:
            append(None)
            continue
        if known is not None and known[i]:
            append(fast[i])  # type: ignore[index]
            continue
        key = (type(value), value)
        try:
            got = cache[key]
        except KeyError:
            got = cache[key] = rule(value)
        except TypeError:  # unhashable (list / struct columns)
            got = rule(value)
        append(got)
    return out


def lookup_fields(job: JobConfig, org: OrgConfig) -> list[str]:
    """Identifiers whose values must be looked up for this job."""
    uid = UNIQUE_ID_FIELD.get(job.unique_id)
    wanted = [uid] if uid else []
    if job.method in ("insert", "upsert"):
        for f in CREATE_IDENTIFIERS:
            if f != uid and (f != "email" or org.email_unique):
                wanted.append(f)
    return wanted


def prepare(batch: pa.Table, job: JobConfig, org: OrgConfig, now: datetime | None = None) -> PreparedChunk:
    now = now or datetime.now(UTC)
    row_ids = batch.column(ROW_ID).to_pylist() if ROW_ID in batch.column_names else list(range(batch.num_rows))
    n = len(row_ids)
    values: dict[str, list[Any]] = {}
    for m in job.mapping:
        if m.field in values or field_type(m.field, org) is None:
            continue  # refused by check_job; never reached in a started job
        if m.source_column in batch.column_names:
            column = batch.column(m.source_column)
            raw = _column_values(column)
            known = fast = None
            if m.field == "mobile":
                accepted, fast = mobile_fast(column, org.base_country, org.allowed_countries)
                known = accepted.tolist()
            elif m.field == "email":
                accepted, fast = email_fast(column)
                known = accepted.tolist()
            values[m.field] = _apply(rule_for(m.field, org, now), raw, known, fast)
        else:
            values[m.field] = [None] * n
    lookup: dict[str, list[Any]] = {}
    for f in lookup_fields(job, org):
        col = values.get(f)
        if col is None:
            continue
        distinct = [v for v in dict.fromkeys(col) if v is not None and v is not INVALID]
        if distinct:
            lookup[f] = distinct
    return PreparedChunk(job=job, org=org, row_ids=row_ids, values=values, lookup=lookup)
