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


async def mark_duplicates(conn: asyncpg.Connection, job_id: UUID, messages: dict[str, str]) -> None:
    """Every record sharing a (key, value) with another record of the same job gets the key's message.
    Decided over the whole table, whatever the chunk size or the number of validator replicas."""
    names = list(messages)
    await conn.execute(
        """
        UPDATE dataimport.validation_records r
           SET errors = r.errors || d.msgs, action = NULL, target_id = NULL, payload = NULL
          FROM (
                SELECT k.row_id, array_agg(m.message ORDER BY m.ord) AS msgs
                  FROM dataimport.validation_keys k
                  JOIN (SELECT key_name, key_value
                          FROM dataimport.validation_keys
                         WHERE job_id = $1
                      GROUP BY key_name, key_value
                        HAVING count(*) > 1) dup USING (key_name, key_value)
                  JOIN unnest($2::text[], $3::text[]) WITH ORDINALITY AS m(key_name, message, ord) USING (key_name)
                 WHERE k.job_id = $1
              GROUP BY k.row_id
               ) d
         WHERE r.job_id = $1 AND r.row_id = d.row_id
        """,
        job_id,
        names,
        [messages[n] for n in names],
    )


async def validation_totals(conn: asyncpg.Connection, job_id: UUID) -> dict[str, int]:
    row = await conn.fetchrow(
        "SELECT count(*) AS records, count(*) FILTER (WHERE cardinality(errors) = 0) AS valid "
        "FROM dataimport.validation_records WHERE job_id = $1",
        job_id,
    )
    return {"records": row["records"], "valid": row["valid"], "invalid": row["records"] - row["valid"]}
