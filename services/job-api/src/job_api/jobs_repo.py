"""SQL over the job tables (dataimport.jobs, job_history, outbox, org_configs)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from dataimport.events import Event, key_of, topic_of

Conn = asyncpg.Connection | asyncpg.Pool


async def get_job(conn: Conn, org_id: int, job_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    sql = "SELECT * FROM dataimport.jobs WHERE id = $1 AND org_id = $2" + (" FOR UPDATE" if for_update else "")
    return await conn.fetchrow(sql, job_id, org_id)


async def list_jobs(conn: Conn, org_id: int, status: str | None, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM dataimport.jobs WHERE org_id = $1 AND ($2::text IS NULL OR status = $2) "
        "ORDER BY created_at DESC, id LIMIT $3",
        org_id,
        status,
        limit,
    )


async def insert_job(conn: Conn, values: dict[str, Any]) -> None:
    cols = list(values)
    await conn.execute(
        f"INSERT INTO dataimport.jobs ({', '.join(cols)}) VALUES ({', '.join(f'${i + 1}' for i in range(len(cols)))})",
        *values.values(),
    )


async def update_job(conn: Conn, job_id: UUID, values: dict[str, Any], *, only_status: tuple[str, ...] = ()) -> bool:
    """Update columns (names are ours, never from requests); with ``only_status`` only while the job is in one of
    those states. Returns whether a row changed."""
    cols = list(values)
    sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(cols))
    sql = f"UPDATE dataimport.jobs SET {sets}, updated_at = now() WHERE id = $1"
    args: list[Any] = [job_id, *values.values()]
    if only_status:
        sql += f" AND status = ANY(${len(args) + 1}::text[])"
        args.append(list(only_status))
    status = await conn.execute(sql, *args)
    return status.endswith(" 1")


async def add_history(conn: Conn, job_id: UUID, action: str, actor: str | None, detail: dict | None = None) -> None:
    await conn.execute(
        "INSERT INTO dataimport.job_history (job_id, action, actor, detail) VALUES ($1, $2, $3, $4)",
        job_id,
        action,
        actor,
        detail,
    )


async def history(conn: Conn, job_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT action, actor, at, detail FROM dataimport.job_history WHERE job_id = $1 ORDER BY id", job_id
    )


async def enqueue(conn: asyncpg.Connection, event: Event) -> None:
    """Store an event in the outbox, in the caller's transaction: the job change and its event commit together."""
    await conn.execute(
        "INSERT INTO dataimport.outbox (topic, key, payload) VALUES ($1, $2, $3)",
        topic_of(event),
        key_of(event),
        event.model_dump(mode="json"),
    )
    await conn.execute("NOTIFY dataimport_outbox")


async def get_org_config(conn: Conn, org_id: int) -> dict | None:
    return await conn.fetchval("SELECT config FROM dataimport.org_configs WHERE org_id = $1", org_id)


async def put_org_config(conn: Conn, org_id: int, config: dict, user: str) -> None:
    await conn.execute(
        "INSERT INTO dataimport.org_configs (org_id, config, updated_by) VALUES ($1, $2, $3) "
        "ON CONFLICT (org_id) DO UPDATE SET config = EXCLUDED.config, updated_at = now(), updated_by = EXCLUDED.updated_by",
        org_id,
        config,
        user,
    )


async def record_chunk_progress(conn: Conn, job_id: UUID, phase: str, chunk_no: int, counts: dict) -> bool:
    status = await conn.execute(
        "INSERT INTO dataimport.job_chunk_progress (job_id, phase, chunk_no, counts) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT DO NOTHING",
        job_id,
        phase,
        chunk_no,
        counts,
    )
    return status.endswith(" 1")


async def chunk_progress_sums(conn: Conn, job_id: UUID, phase: str, names: tuple[str, ...]) -> dict[str, int]:
    exprs = ", ".join(f"coalesce(sum((counts->>'{n}')::bigint), 0) AS {n}" for n in names)
    row = await conn.fetchrow(
        f"SELECT {exprs} FROM dataimport.job_chunk_progress WHERE job_id = $1 AND phase = $2", job_id, phase
    )
    return dict(row)
