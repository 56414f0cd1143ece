"""Where validation results live until the reports are written and ingestion reads them (PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import asyncpg

from dataimport.chunks import processed_sums
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


async def duplicate_holders(conn: asyncpg.Connection, job_id: UUID) -> list[tuple[int, str]]:
    """(row_id, key_name) of every record sharing a (key, value) with another record of the job.

    One pass over the job's keys (found by the job_id index) with a window count over ``key_hash`` -- an integer
    sort, several times faster than sorting the text -- then the candidates are grouped again by the text itself,
    so a hash collision cannot make a duplicate. The plan does not depend on statistics (fresh bulk copies leave
    them stale). Run inside a transaction (``SET LOCAL``)."""
    await conn.execute("SET LOCAL work_mem = '64MB'")
    rows = await conn.fetch(
        """
        SELECT row_id, key_name, key_value
          FROM (SELECT row_id, key_name, key_value, count(*) OVER (PARTITION BY key_hash) AS n
                  FROM dataimport.validation_keys
                 WHERE job_id = $1) k
         WHERE n > 1
        """,
        job_id,
    )
    holders: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        holders.setdefault((r["key_name"], r["key_value"]), []).append(r["row_id"])
    return sorted((row_id, name) for (name, _), ids in holders.items() if len(ids) > 1 for row_id in ids)


async def mark_duplicates(conn: asyncpg.Connection, job_id: UUID, message: Callable[[str], str]) -> int:
    """Every record sharing a (key, value) with another record of the same job gets the key's message (in key
    name order). Decided over the whole table, whatever the chunk size or the number of validator replicas.
    Returns how many of the marked records were VALID before."""
    marks: dict[int, list[str]] = {}
    for row_id, key_name in await duplicate_holders(conn, job_id):
        marks.setdefault(row_id, []).append(message(key_name))
    if not marks:
        return 0
    rows = await conn.fetch(
        """
        UPDATE dataimport.validation_records r
           SET errors = r.errors || string_to_array(d.msgs, E'\\x1f'), action = NULL, target_id = NULL, payload = NULL
          FROM unnest($2::bigint[], $3::text[]) AS d(row_id, msgs)
         WHERE r.job_id = $1 AND r.row_id = d.row_id
        RETURNING cardinality(r.errors) = cardinality(string_to_array(d.msgs, E'\\x1f')) AS was_valid
        """,
        job_id,
        list(marks),
        ["\x1f".join(m) for m in marks.values()],
    )
    return sum(1 for r in rows if r["was_valid"])


async def validation_totals(conn: asyncpg.Connection, job_id: UUID, phase: str, invalidated: int) -> dict[str, int]:
    """The job's totals from its chunks' recorded counts, less the VALID records ``invalidated`` since (the
    duplicates marked at the end): no pass over the per-record rows."""
    row = await processed_sums(conn, job_id, phase, ("records", "valid"))
    valid = row["valid"] - invalidated
    return {"records": row["records"], "valid": valid, "invalid": row["records"] - valid}
