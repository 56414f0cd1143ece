"""Building report table parts (SPEC 5) from a source chunk and the stored per-record outcomes. Pure Arrow."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from dataimport.warehouse.port import ROW_ID

ERRORS_TYPE = pa.list_(pa.string())


def validate_report_schema(source: pa.Schema) -> pa.Schema:
    fields = [pa.field(ROW_ID, pa.int64())] + [f for f in source if f.name != ROW_ID]
    return pa.schema(
        fields
        + [
            pa.field("_status", pa.string()),
            pa.field("_errors", ERRORS_TYPE),
            pa.field("_error_message", pa.string()),
        ]
    )


def ingest_report_schema(source: pa.Schema) -> pa.Schema:
    fields = [pa.field(ROW_ID, pa.int64())] + [f for f in source if f.name != ROW_ID]
    return pa.schema(
        fields
        + [
            pa.field("_status", pa.string()),
            pa.field("_error_message", pa.string()),
            pa.field("_user_id", pa.int64()),
        ]
    )


def validate_part(source: pa.Table, errors_by_row: dict[int, list[str]]) -> pa.Table:
    """Every source record of the chunk, with its status and errors. A record without a stored outcome is a bug
    upstream and fails loudly rather than being reported VALID."""
    row_ids = source.column(ROW_ID).to_pylist()
    errors = [errors_by_row[r] for r in row_ids]
    status = ["INVALID" if e else "VALID" for e in errors]
    message = ["; ".join(e) if e else None for e in errors]
    out = source
    out = out.append_column("_status", pa.array(status, pa.string()))
    out = out.append_column("_errors", pa.array(errors, ERRORS_TYPE))
    out = out.append_column("_error_message", pa.array(message, pa.string()))
    return out.cast(validate_report_schema(source.schema))


def ingest_part(source: pa.Table, outcomes: dict[int, tuple[str, str | None, int | None]]) -> pa.Table:
    """The source records that ingestion attempted, with ADDED / UPDATED / FAILED, the error and the user id."""
    attempted = source.filter(pc.is_in(source.column(ROW_ID), value_set=pa.array(list(outcomes), pa.int64())))
    rows = [outcomes[r] for r in attempted.column(ROW_ID).to_pylist()]
    out = attempted
    out = out.append_column("_status", pa.array([r[0] for r in rows], pa.string()))
    out = out.append_column("_error_message", pa.array([r[1] for r in rows], pa.string()))
    out = out.append_column("_user_id", pa.array([r[2] for r in rows], pa.int64()))
    return out.cast(ingest_report_schema(source.schema))
