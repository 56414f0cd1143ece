"""The outbox relay: publishes events that job-api stored in the same transaction as the job change.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` (several job-api replicas never publish the same row at the
same time), sent in one batch, and marked published in the same transaction. A crash between sending and
marking re-sends them: consumers are idempotent.
"""

from __future__ import annotations

import asyncio

import asyncpg
import structlog
from faststream.kafka import KafkaBroker

log = structlog.get_logger(__name__)


async def publish_pending(pool: asyncpg.Pool, broker: KafkaBroker, batch: int = 500) -> int:
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "SELECT id, topic, key, payload FROM dataimport.outbox WHERE published_at IS NULL "
            "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
            batch,
        )
        if not rows:
            return 0
        futures = [
            await broker.publish(r["payload"], r["topic"], key=bytes(r["key"]) if r["key"] else None, no_confirm=True)
            for r in rows
        ]
        await asyncio.gather(*futures)
        await conn.execute(
            "UPDATE dataimport.outbox SET published_at = now() WHERE id = ANY($1::bigint[])", [r["id"] for r in rows]
        )
    return len(rows)


async def run_relay(pool: asyncpg.Pool, broker: KafkaBroker, poll_seconds: float) -> None:
    """Forever: publish what is pending; wake on NOTIFY or every ``poll_seconds``."""
    wake = asyncio.Event()
    listener = await pool.acquire()
    await listener.add_listener("dataimport_outbox", lambda *_: wake.set())
    try:
        while True:
            try:
                while await publish_pending(pool, broker):
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Kafka or PostgreSQL away: keep the rows, try again shortly
                log.warning("outbox_publish_failed", error=repr(exc))
                await asyncio.sleep(1.0)
            try:
                await asyncio.wait_for(wake.wait(), timeout=poll_seconds)
            except asyncio.TimeoutError:
                pass
            wake.clear()
    finally:
        await pool.release(listener)  # releasing resets the connection, listeners included
