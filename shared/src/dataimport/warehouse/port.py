"""The warehouse port: what the services need from the place source tables and report tables live.

Two adapters implement it: ``delta`` (Delta Lake tables on a local or object-store root, the embedded
default) and ``databricks`` (a Databricks SQL warehouse). Every method is async; adapters built on
synchronous clients run those calls in a worker thread so the event loop (and Kafka heartbeats) never stall.

Names: every table lives in the org's namespace ``import_<org_id>``. Table names coming from requests are
checked with :func:`dataimport.warehouse.names.check_table_name` before they reach an adapter; adapters
quote every identifier anyway and never accept a qualified name, so a table outside ``import_<org_id>``
can never be named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import pyarrow as pa

ROW_ID = "_row_id"
"""Column added to every chunk read from a source: the stable record number (0-based, int64)."""


class WarehouseError(Exception):
    """A problem the user can act on (table missing, unreadable, permission denied). ``str()`` is readable."""


class TableNotFound(WarehouseError):
    pass


class TransientWarehouseError(WarehouseError):
    """Throttling, warehouse starting, network blip: worth retrying with backoff."""


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str
    """Warehouse type in Databricks SQL spelling, lower-case: string, bigint, int, double, boolean, date,
    timestamp, timestamp_ntz, decimal(p,s), array<string>, ..."""


@dataclass(frozen=True)
class Snapshot:
    """A pinned version of a source table: reads with it see the same data whatever happens later."""

    version: int
    records: int


@dataclass(frozen=True)
class ChunkSpec:
    """One unit of work over a pinned snapshot. ``locator`` is adapter-specific and opaque to callers
    (it travels inside Kafka messages, so it is a plain string)."""

    chunk_no: int
    first_row_id: int
    row_count: int
    locator: str


@runtime_checkable
class Warehouse(Protocol):
    kind: str
    """``delta`` or ``databricks``."""

    async def list_tables(self, org_id: int) -> list[str]:
        """Tables in ``import_<org_id>``, sorted, live (no cache)."""

    async def table_exists(self, org_id: int, table: str) -> bool: ...

    async def schema(self, org_id: int, table: str) -> list[ColumnInfo]:
        """Columns in table order. Raises TableNotFound."""

    async def count(self, org_id: int, table: str) -> int: ...

    async def preview(self, org_id: int, table: str, limit: int = 50) -> pa.Table:
        """The first ``limit`` records in table order (without ``_row_id``)."""

    async def snapshot(self, org_id: int, table: str) -> Snapshot:
        """Pin the current version of a source table."""

    async def plan_chunks(
        self, org_id: int, table: str, snapshot: Snapshot, chunk_size: int
    ) -> list[ChunkSpec]:
        """Split the pinned snapshot into chunks of at most ``chunk_size`` records, numbered from 0, covering
        every record exactly once, in ``_row_id`` order. Deterministic: the same plan every call."""

    async def read_chunk(
        self, org_id: int, table: str, snapshot: Snapshot, chunk: ChunkSpec
    ) -> pa.Table:
        """The chunk's records with the source columns as stored plus ``_row_id`` (int64) first."""

    async def create_report_table(self, org_id: int, table: str, schema: pa.Schema) -> None:
        """Create an empty report table (no-op when it exists with this schema)."""

    async def append_report_part(self, org_id: int, table: str, part_key: str, data: pa.Table) -> None:
        """Append rows to a report table, in bulk, exactly once per ``part_key``: a second call with the same
        key (a redelivered message) writes nothing."""

    async def read_table(self, org_id: int, table: str) -> pa.Table:
        """Whole table (tests and small report tables only)."""

    async def read_report_rows(
        self, org_id: int, table: str, after_row_id: int, limit: int, status: str | None = None
    ) -> pa.Table:
        """One page of a report table: at most ``limit`` rows with ``_row_id > after_row_id`` (and ``_status =
        status`` when given), ordered by ``_row_id``, all columns. In SQL: ``SELECT * FROM t WHERE _row_id > ?
        [AND _status = ?] ORDER BY _row_id LIMIT ?``. Raises TableNotFound."""

    def report_link(self, org_id: int, table: str) -> str | None:
        """A link to the table in the warehouse's UI, when it has one."""

    async def close(self) -> None: ...
