"""asyncpg connection pools with JSON codecs."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import orjson

_ORJSON = orjson.OPT_NON_STR_KEYS


def _default(value):
    """Types orjson does not know: integral Decimals (PostgreSQL sums) stay numbers; anything else as text."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return str(value)


def _dumps(value) -> str:
    return orjson.dumps(value, default=_default, option=_ORJSON).decode("utf-8")


def _dumps_jsonb(value) -> bytes:
    # jsonb's binary format: a version byte, then the JSON text (orjson: one fast C call per value, which matters
    # when a chunk's 10,000 payloads are COPYed).
    return b"\x01" + orjson.dumps(value, default=_default, option=_ORJSON)


async def _init_connection(conn: asyncpg.Connection) -> None:
    # Binary codecs, so COPY (always binary in asyncpg) can carry json/jsonb columns too.
    await conn.set_type_codec(
        "jsonb",
        encoder=_dumps_jsonb,
        decoder=lambda b: orjson.loads(b[1:]),
        schema="pg_catalog",
        format="binary",
    )
    await conn.set_type_codec("json", encoder=_dumps, decoder=orjson.loads, schema="pg_catalog")


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, command_timeout=600
    )
