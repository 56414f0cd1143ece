"""Where validation results live until the reports are written and ingestion reads them (PostgreSQL)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from dataimport.profiles.base import RecordDecision


async def save_chunk_results(
    conn: asyncpg.Connection, job_id: UUID, chunk_no: int, decisions: list[RecordDecision]
) -> None:
    await conn.copy_records_to_table(
        "validation_records",
        schema_name="dataimport",
        columns=["job_id", "row_id", "chunk_no", "errors", "action", "target_id", "payload"],
        records=[
            (
                job_id,
                d.row_id,
                chunk_no,
                d.errors,
                d.action if d.valid else None,
                d.target_id if d.valid else None,
                d.payload if d.valid else None,
            )
            for d in decisions
        ],
    )
    keys = [(job_id, name, value, d.row_id) for d in decisions for name, value in d.dedupe_keys.items()]
    if keys:
        await conn.copy_records_to_table(
            "validation_keys",
            schema_name="dataimport",
            columns=["job_id", "key_name", "key_value", "row_id"],
            records=keys,
        )


async def mark_duplicates(conn: asyncpg.Connection, job_id: UUID, messages: dict[str, str]) -> int:
    """Every record sharing a (key, value) with another record of the same job gets the key's message.
    Decided over the whole table, whatever the chunk size or the number of validator replicas.

    Two plain statements whose plans do not depend on statistics (fresh bulk copies leave them stale): one
    ordered pass over the job's keys with a window count, then primary-key updates of the marked records."""
    rows = await conn.fetch(
        """
        SELECT row_id, key_name
          FROM (SELECT row_id, key_name, count(*) OVER (PARTITION BY key_name, key_value) AS n
                  FROM dataimport.validation_keys
                 WHERE job_id = $1) k
         WHERE n > 1
        """,
        job_id,
    )
    if not rows:
        return 0
    order = {name: i for i, name in enumerate(messages)}
    marks: dict[int, list[str]] = {}
    for r in sorted(rows, key=lambda r: (r["row_id"], order.get(r["key_name"], len(order)))):
        marks.setdefault(r["row_id"], []).append(messages[r["key_name"]])
    await conn.execute(
        """
        UPDATE dataimport.validation_records r
           SET errors = r.errors || string_to_array(d.msgs, E'\\x1f'), action = NULL, target_id = NULL, payload = NULL
          FROM unnest($2::bigint[], $3::text[]) AS d(row_id, msgs)
         WHERE r.job_id = $1 AND r.row_id = d.row_id
        """,
        job_id,
        list(marks),
        ["\x1f".join(m) for m in marks.values()],
    )
    return len(marks)


async def validation_totals(conn: asyncpg.Connection, job_id: UUID) -> dict[str, int]:
    row = await conn.fetchrow(
        "SELECT count(*) AS records, count(*) FILTER (WHERE cardinality(errors) = 0) AS valid "
        "FROM dataimport.validation_records WHERE job_id = $1",
        job_id,
    )
    return {"records": row["records"], "valid": row["valid"], "invalid": row["records"] - row["valid"]}
