"""Exactly-once effects on at-least-once delivery, for any chunked phase (validate, ingest).

A worker writes a chunk's effect and its processed-chunk record in one PostgreSQL transaction; a redelivered
chunk finds the record and has no second effect. When the last chunk of a phase is recorded, exactly one
worker (serialised by an advisory lock) runs the phase's completion step and records the totals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import asyncpg


async def processed_counts(conn: asyncpg.Connection | asyncpg.Pool, job_id: UUID, phase: str, chunk_no: int):
    """The counts recorded for a processed chunk, or None when it has not been processed."""
    return await conn.fetchval(
        "SELECT counts FROM dataimport.processed_chunks WHERE job_id=$1 AND phase=$2 AND chunk_no=$3",
        job_id,
        phase,
        chunk_no,
    )


async def record_processed(
    conn: asyncpg.Connection, job_id: UUID, phase: str, chunk_no: int, counts: dict[str, int], worker: str
) -> bool:
    """Inside the effect's transaction. False when another delivery of the chunk got there first (the caller
    then rolls back its effect)."""
    status = await conn.execute(
        "INSERT INTO dataimport.processed_chunks (job_id, phase, chunk_no, counts, worker) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        job_id,
        phase,
        chunk_no,
        counts,
        worker,
    )
    return status.endswith(" 1")


class ChunkAlreadyProcessed(Exception):
    """Raised inside a transaction to roll back an effect that a concurrent delivery already committed."""


async def complete_phase_if_done(
    pool: asyncpg.Pool,
    job_id: UUID,
    phase: str,
    chunks_total: int,
    finish: Callable[[asyncpg.Connection], Awaitable[dict[str, Any]]],
    ready: Callable[[asyncpg.Connection], Awaitable[bool]] | None = None,
) -> dict[str, Any] | None:
    """When every chunk of ``phase`` is processed (and ``ready``, if given, says so too), run ``finish`` once (in
    the same transaction as the completion record) and return the totals; return the recorded totals when the
    phase was already complete; None while chunks are outstanding."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"{job_id}:{phase}")
        done = await conn.fetchval(
            "SELECT totals FROM dataimport.phase_completions WHERE job_id=$1 AND phase=$2", job_id, phase
        )
        if done is not None:
            return done
        processed = await conn.fetchval(
            "SELECT count(*) FROM dataimport.processed_chunks WHERE job_id=$1 AND phase=$2", job_id, phase
        )
        if processed < chunks_total or (ready is not None and not await ready(conn)):
            return None
        totals = await finish(conn)
        await conn.execute(
            "INSERT INTO dataimport.phase_completions (job_id, phase, totals) VALUES ($1, $2, $3)",
            job_id,
            phase,
            totals,
        )
        return totals



async def phase_totals(conn: asyncpg.Connection | asyncpg.Pool, job_id: UUID, phase: str) -> dict[str, Any] | None:
    """The totals recorded when ``phase`` completed, or None while it has not."""
    return await conn.fetchval(
        "SELECT totals FROM dataimport.phase_completions WHERE job_id=$1 AND phase=$2", job_id, phase
    )


async def processed_in_range(conn: asyncpg.Connection | asyncpg.Pool, job_id: UUID, phase: str, first: int, stop: int) -> int:
    """How many of the chunks ``first`` .. ``stop - 1`` of ``phase`` are processed."""
    return await conn.fetchval(
        "SELECT count(*) FROM dataimport.processed_chunks WHERE job_id=$1 AND phase=$2 AND chunk_no >= $3 "
        "AND chunk_no < $4",
        job_id,
        phase,
        first,
        stop,
    )


async def processed_sums(
    conn: asyncpg.Connection | asyncpg.Pool, job_id: UUID, phase: str, names: tuple[str, ...]
) -> dict[str, int]:
    """The sums of the named counts recorded by the processed chunks of ``phase`` (0 when none)."""
    sums = ", ".join(f"coalesce(sum((counts->>'{n}')::bigint), 0)::bigint AS {n}" for n in names)
    row = await conn.fetchrow(
        f"SELECT {sums} FROM dataimport.processed_chunks WHERE job_id = $1 AND phase = $2", job_id, phase
    )
    return dict(row)
