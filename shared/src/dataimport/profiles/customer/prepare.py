"""Step 1 of validating a chunk: normalise every mapped column (column by column, each distinct value once) and
collect the identifier values to look up among existing customers.

A column of a plain type (text, integers, booleans, dates, timestamps, binary) is dictionary-encoded: the field's
rule runs once per *distinct* value and the answers are spread back over the rows with one numpy ``take``. Before
that, the field's columnar fast path (``fastpath.py``) may answer some distinct values at once; it only accepts
values whose answer under the rule is certain, the rule answers every other one. Other types (floats, decimals,
nested values) take the per-row loop ``_apply`` (one rule call per distinct value too, via a cache)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

import pyarrow as pa
import pyarrow.compute as pc

from dataimport.orgs import OrgConfig
from dataimport.profiles.base import JobConfig
from dataimport.profiles.customer.fastpath import (
    date_fast,
    email_fast,
    mobile_fast,
    registered_on_fast,
    text_fast,
    trim_edges,
)
from dataimport.profiles.customer.fields import CREATE_IDENTIFIERS, CUSTOM_PREFIX, UNIQUE_ID_FIELD, field_type
from dataimport.profiles.customer.normalise import INVALID
from dataimport.profiles.customer.rules import MAX_EXTERNAL_ID, MAX_NAME, MAX_SLAB_EXPIRY, Rule, rule_for

FastPath = Callable[[pa.Array], tuple[np.ndarray, list[Any]]]

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


def _encodable(typ: pa.DataType) -> bool:
    """Types whose Arrow equality is Python equality of the values ``to_pylist`` gives (so one rule call per
    dictionary entry answers exactly what ``_apply``'s per-value cache answers). Floats (NaN, -0.0), decimals
    and nested types stay on ``_apply``."""
    return (
        pa.types.is_string(typ)
        or pa.types.is_large_string(typ)
        or pa.types.is_binary(typ)
        or pa.types.is_large_binary(typ)
        or pa.types.is_integer(typ)
        or pa.types.is_boolean(typ)
        or pa.types.is_date(typ)
        or pa.types.is_timestamp(typ)
    )


def _distinct(column: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, np.ndarray] | None:
    """``(distinct values, per-row index into them)``, nulls indexing one past the end; None when the column's
    type is not :func:`_encodable`."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    typ = column.type
    if not _encodable(typ):
        return None
    if pa.types.is_timestamp(typ) and typ.unit == "ns":
        column = pc.cast(column, pa.timestamp("us", typ.tz), safe=False)  # as _column_values does
    encoded = pc.dictionary_encode(column)
    distinct = encoded.dictionary
    index = pc.fill_null(encoded.indices, len(distinct)).to_numpy(zero_copy_only=False)
    return distinct, index


def _apply_distinct(rule: Rule, distinct: pa.Array, index: np.ndarray, fast: FastPath | None) -> list[Any]:
    """``rule`` once per distinct value the fast path does not accept; answers spread over the rows."""
    k = len(distinct)
    answers = np.empty(k + 1, dtype=object)  # answers[k] stays None: the rows whose value is null
    accepted = None
    if fast is not None and k:
        accepted, fast_values = fast(distinct)
        if accepted.any():
            given = np.empty(k, dtype=object)
            given[:] = fast_values  # str / None: numpy stores each as one object
            answers[:k][accepted] = given[accepted]
        rest = np.flatnonzero(~accepted)
    else:
        rest = np.arange(k)
    if len(rest):
        raw = (distinct if len(rest) == k else distinct.take(pa.array(rest))).to_pylist()
        for j, value in zip(rest.tolist(), raw):
            answers[j] = None if value is None else rule(value)
    return answers[index].tolist()


def fast_path_for(field_id: str, org: OrgConfig, now: datetime) -> FastPath | None:
    """The columnar fast path of a field, or None (low-cardinality fields: the rule per distinct value is
    cheap)."""
    zone = org.zone
    today = now.astimezone(zone).date()
    match field_id:
        case "mobile":
            base, allowed = org.base_country, org.allowed_countries
            return lambda d: mobile_fast(trim_edges(d), base, allowed)
        case "email":
            return lambda d: email_fast(trim_edges(d))
        case "external_id":
            return lambda d: text_fast(d, MAX_EXTERNAL_ID)
        case "first_name" | "last_name":
            return lambda d: text_fast(d, MAX_NAME)
        case "registered_on":
            min_date = org.min_registration_date
            return lambda d: registered_on_fast(d, zone, now, today, min_date)
        case "slab_expiry":
            return lambda d: date_fast(d, after=today, until=MAX_SLAB_EXPIRY)
    kind = field_type(field_id, org)
    if kind == "date":  # custom and extended dates
        return date_fast
    if kind == "string" and (field_id.startswith(CUSTOM_PREFIX) or field_id.startswith("extended.")):
        return text_fast
    return None


def lookup_fields(job: JobConfig, org: OrgConfig) -> list[str]:
    """Identifiers whose values must be looked up for this job."""
    uid = UNIQUE_ID_FIELD.get(job.unique_id)
    wanted = [uid] if uid else []
    if job.method in ("insert", "upsert"):
        for f in CREATE_IDENTIFIERS:
            if f != uid and (f != "email" or org.email_unique):
                wanted.append(f)
    return wanted


def prepare(
    batch: pa.Table,
    job: JobConfig,
    org: OrgConfig,
    now: datetime | None = None,
    *,
    fast: bool = True,
    encode: bool = True,
) -> PreparedChunk:
    """``fast=False`` is the reference: every value through its field's rule (one call per distinct value), no
    dictionary encoding and no fast path. ``encode=False`` is the previous path (the per-row loop with only the
    mobile and email fast paths), kept for ``dataimport.bench.profile_micro``. The tests compare all three."""
    now = now or datetime.now(UTC)
    row_ids = batch.column(ROW_ID).to_pylist() if ROW_ID in batch.column_names else list(range(batch.num_rows))
    n = len(row_ids)
    values: dict[str, list[Any]] = {}
    for m in job.mapping:
        if m.field in values or field_type(m.field, org) is None:
            continue  # refused by check_job; never reached in a started job
        if m.source_column in batch.column_names:
            column = batch.column(m.source_column)
            rule = rule_for(m.field, org, now)
            encoded = _distinct(column) if fast and encode else None
            if encoded is not None:
                values[m.field] = _apply_distinct(rule, *encoded, fast_path_for(m.field, org, now))
                continue
            raw = _column_values(column)
            known = answers = None
            if fast and m.field == "mobile":
                accepted, answers = mobile_fast(column, org.base_country, org.allowed_countries)
                known = accepted.tolist()
            elif fast and m.field == "email":
                accepted, answers = email_fast(column)
                known = accepted.tolist()
            values[m.field] = _apply(rule, raw, known, answers)
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
