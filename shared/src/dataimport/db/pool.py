"""asyncpg connection pools with JSON codecs."""

from __future__ import annotations

import json

import asyncpg


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


async def _init_connection(conn: asyncpg.Connection) -> None:
    # Binary codecs, so COPY (always binary in asyncpg) can carry json/jsonb columns too.
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda v: b"\x01" + _dumps(v).encode("utf-8"),
        decoder=lambda b: json.loads(b[1:]),
        schema="pg_catalog",
        format="binary",
    )
    await conn.set_type_codec("json", encoder=_dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, command_timeout=600
    )
