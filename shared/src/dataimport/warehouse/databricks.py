"""The ``databricks`` warehouse adapter: a Databricks SQL warehouse through ``databricks-sql-connector``.

Tables live in ``[<catalog>.]import_<org_id>``. The SQL text is built in :mod:`.databricks_sql` (every identifier
backtick-quoted, tables only ever named inside the org's schema).

Connection seam: the adapter never imports a driver at call sites; it gets a ``connect(staging_dir)`` callable
returning a DB-API-like connection (``cursor()`` -> ``execute(sql)``, ``fetchall_arrow()``,
``fetchmany_arrow(n)``, ``close()``; ``close()`` on the connection). In production that is
``databricks.sql.connect(...)`` (:meth:`DatabricksWarehouse.from_settings`); the tests plug in a DuckDB-backed
engine that runs the same statements. ``staging_dir`` is the local folder the connector may upload from
(``staging_allowed_local_path``) for ``PUT ... INTO '/Volumes/...'``.

- The connector is synchronous: every call runs in a worker thread (``asyncio.to_thread``); connections are
  pooled (one connection is used by one thread at a time).
- Transient failures (HTTP 429/503, warehouse starting, connection reset, concurrent Delta commits) are retried
  with bounded exponential backoff; permanent ones raise :class:`WarehouseError` / :class:`TableNotFound` with
  the server's reason. Every statement the adapter sends is idempotent, so retrying one is safe.
- Pinned snapshot: the latest version from ``DESCRIBE HISTORY``; every later read says ``VERSION AS OF <v>``.
- Chunks: the records of the pinned version are numbered in the order (``_metadata.file_modification_time``,
  ``_metadata.file_path``, ``_metadata.row_index``); a chunk is a list of ``(data file, row-index range)``
  pieces, so a chunk read filters on the file and its row index, never sorts the table.
- Report parts: written as one Parquet file, ``PUT`` into the staging volume under a name derived from the part
  key, then ``COPY INTO`` the report table with ``FILES = ('<that name>')``. ``COPY INTO`` skips files it has
  already loaded into the table, so a redelivered part is loaded exactly once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import databricks_sql as q
from .names import check_table_name, org_schema
from .port import ROW_ID, ChunkSpec, ColumnInfo, Snapshot, TableNotFound, TransientWarehouseError, WarehouseError

if TYPE_CHECKING:
    from dataimport.settings import CommonSettings

try:  # the connector's exception classes (the dependency is declared; the seam works without it too)
    from databricks.sql import exc as dbx_exc
except ImportError:  # pragma: no cover
    dbx_exc = None  # type: ignore[assignment]

from dataimport.observability import get_logger

log = get_logger(__name__)

STAGING_FILE_ROWS = 1_000_000
"""Rows per staged Parquet file when loading a source table."""


class Cursor(Protocol):
    def execute(self, operation: str) -> Any: ...
    def fetchall_arrow(self) -> pa.Table: ...
    def fetchmany_arrow(self, size: int) -> pa.Table: ...
    def close(self) -> None: ...


class Connection(Protocol):
    def cursor(self) -> Cursor: ...
    def close(self) -> None: ...


Connect = Callable[[str], Connection]
"""``connect(staging_dir)``: a new connection allowed to upload files from ``staging_dir``."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 16.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * (2**attempt)) * random.uniform(0.5, 1.0)


# ------------------------------------------------------------------------------------------------ errors
_NOT_FOUND_MARKERS = (
    "TABLE_OR_VIEW_NOT_FOUND",
    "SCHEMA_NOT_FOUND",
    "DELTA_TABLE_NOT_FOUND",
    "NO_SUCH_CATALOG_EXCEPTION",
    "CATALOG_NOT_FOUND",
)
_TRANSIENT_MARKERS = (
    "TEMPORARILY_UNAVAILABLE",
    "RESOURCE_EXHAUSTED",
    "TOO MANY REQUESTS",
    "SERVICE UNAVAILABLE",
    "HTTP 429",
    "HTTP 503",
    " 429",
    " 503",
    "IS STARTING",
    "WAREHOUSE IS STARTING",
    "CLUSTER IS STARTING",
    "CONNECTION RESET",
    "CONNECTION ABORTED",
    "CONNECTION REFUSED",
    "TIMED OUT",
    "TIMEOUT",
    "DELTA_CONCURRENT",
    "CONCURRENTAPPENDEXCEPTION",
    "CONCURRENTMODIFICATIONEXCEPTION",
    "CONCURRENTTRANSACTIONEXCEPTION",
    "METADATACHANGEDEXCEPTION",
    "INTERNAL_ERROR_NETWORK",
)
_PERMISSION_MARKERS = ("PERMISSION_DENIED", "INSUFFICIENT_PERMISSIONS", "UNAUTHORIZED", "FORBIDDEN")


def _message(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:1000]


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: throttling, a warehouse starting, a dropped connection, a concurrent Delta commit."""
    text = _message(exc).upper()
    if any(m in text for m in _NOT_FOUND_MARKERS) or any(m in text for m in _PERMISSION_MARKERS):
        return False
    if dbx_exc is not None:
        if isinstance(exc, dbx_exc.NonRecoverableNetworkError):
            return False
        if isinstance(exc, dbx_exc.RequestError):
            code = (getattr(exc, "context", None) or {}).get("http-code")
            if code is not None and str(code).isdigit() and 400 <= int(code) < 500 and int(code) not in (408, 429):
                return False  # authentication / bad request: retrying does not help
            return True
        if isinstance(exc, dbx_exc.OperationalError):
            return True
        if isinstance(exc, (dbx_exc.ProgrammingError, dbx_exc.InterfaceError)):
            return False
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    return any(m in text for m in _TRANSIENT_MARKERS)


def _is_driver_error(exc: BaseException) -> bool:
    if dbx_exc is not None and isinstance(exc, dbx_exc.Error):
        return True
    return isinstance(exc, (ConnectionError, TimeoutError)) or type(exc).__module__.startswith(
        ("databricks.", "thrift", "urllib3", "requests")
    )


def translate_error(exc: BaseException, what: str, name: str | None = None) -> WarehouseError:
    """A readable :class:`WarehouseError` (or :class:`TableNotFound`) for a permanent driver error."""
    text = _message(exc)
    upper = text.upper()
    if name is not None and any(m in upper for m in _NOT_FOUND_MARKERS):
        return TableNotFound(f"table {name} does not exist ({text})")
    if any(m in upper for m in _PERMISSION_MARKERS):
        return WarehouseError(f"{what}: permission denied on the Databricks warehouse ({text})")
    if "DELTA_MISSING_DELTA_TABLE" in upper or "NOT A DELTA TABLE" in upper:
        return WarehouseError(f"{what}: {name or 'the table'} is not a Delta table, so it cannot be pinned ({text})")
    return WarehouseError(f"{what}: {text}")


# ------------------------------------------------------------------------------------------------ pool
class _Pool:
    def __init__(self, connect: Connect, staging_dir: str, max_idle: int = 8) -> None:
        self._connect = connect
        self._staging_dir = staging_dir
        self._idle: list[Connection] = []
        self._lock = threading.Lock()
        self._max_idle = max_idle
        self._closed = False

    def acquire(self) -> Connection:
        with self._lock:
            if self._closed:
                raise WarehouseError("the databricks warehouse adapter is closed")
            if self._idle:
                return self._idle.pop()
        return self._connect(self._staging_dir)

    def release(self, conn: Connection, broken: bool) -> None:
        with self._lock:
            if not broken and not self._closed and len(self._idle) < self._max_idle:
                self._idle.append(conn)
                return
        _close_quietly(conn)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            _close_quietly(conn)


def _close_quietly(obj: Any) -> None:
    try:
        obj.close()
    except Exception:  # noqa: BLE001 - closing a broken connection
        pass


# ------------------------------------------------------------------------------------------------ adapter
@dataclass(frozen=True)
class _Piece:
    path: str
    lo: int  # first row index (inclusive)
    hi: int  # end row index (exclusive)
    count: int


class DatabricksWarehouse:
    kind = "databricks"

    def __init__(
        self,
        connect: Connect,
        *,
        catalog: str | None = None,
        staging_volume: str | None = None,
        server_hostname: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.catalog = catalog or None
        if self.catalog is not None:
            q.quote_ident(self.catalog)
        self.staging_volume = _check_volume(staging_volume) if staging_volume else None
        self.server_hostname = _bare_host(server_hostname) if server_hostname else None
        self.retry = retry or RetryPolicy()
        self._staging_dir = tempfile.mkdtemp(prefix="dataimport-databricks-")
        self._pool = _Pool(connect, self._staging_dir)
        self._current_catalog: str | None = None
        self._plans: dict[tuple[int, str, int, int], list[ChunkSpec]] = {}
        self._report_columns: dict[tuple[int, str], list[ColumnInfo]] = {}
        self._columns_at: dict[tuple[int, str, int], list[ColumnInfo]] = {}

    @classmethod
    def from_settings(cls, settings: CommonSettings) -> DatabricksWarehouse:
        host = settings.databricks_server_hostname
        http_path = settings.databricks_http_path
        if not host or not http_path:
            raise ValueError("WAREHOUSE=databricks needs DATABRICKS_SERVER_HOSTNAME and DATABRICKS_HTTP_PATH")
        token = settings.databricks_token
        client_id, client_secret = settings.databricks_client_id, settings.databricks_client_secret
        if not token and not (client_id and client_secret):
            raise ValueError(
                "WAREHOUSE=databricks needs DATABRICKS_TOKEN, or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET "
                "(OAuth machine-to-machine)"
            )
        return cls(
            connector_connect(_bare_host(host), http_path, token=token, client_id=client_id, client_secret=client_secret),
            catalog=settings.databricks_catalog,
            staging_volume=settings.databricks_staging_volume,
            server_hostname=host,
        )

    # -------------------------------------------------------------------------------------- plumbing
    def _name(self, org_id: int, table: str) -> str:
        return q.display_name(self.catalog, org_id, check_table_name(table))

    def _run(self, what: str, work: Callable[[Cursor], Any], name: str | None = None) -> Any:
        """Run ``work(cursor)`` on a pooled connection, retrying transient failures with backoff."""
        attempt = 0
        while True:
            conn = self._acquire_retrying(what)
            broken = False
            try:
                cur = conn.cursor()
                try:
                    return work(cur)
                finally:
                    _close_quietly(cur)
            except WarehouseError:
                raise
            except Exception as exc:  # noqa: BLE001 - sorted below
                if not _is_driver_error(exc):
                    raise
                transient = is_transient(exc)
                broken = transient
                if not transient:
                    raise translate_error(exc, what, name) from exc
                attempt += 1
                if attempt >= self.retry.attempts:
                    raise TransientWarehouseError(
                        f"{what}: the Databricks warehouse kept failing after {attempt} attempts ({_message(exc)})"
                    ) from exc
                delay = self.retry.delay(attempt - 1)
                log.warning("databricks_retry", what=what, attempt=attempt, delay=round(delay, 3), error=_message(exc))
                time.sleep(delay)
            finally:
                self._pool.release(conn, broken)

    def _acquire_retrying(self, what: str) -> Connection:
        for attempt in range(self.retry.attempts):
            try:
                return self._pool.acquire()
            except WarehouseError:
                raise
            except Exception as exc:  # noqa: BLE001
                if not (_is_driver_error(exc) and is_transient(exc)):
                    raise translate_error(exc, what) from exc
                if attempt == self.retry.attempts - 1:
                    raise TransientWarehouseError(f"{what}: cannot connect to Databricks ({_message(exc)})") from exc
                time.sleep(self.retry.delay(attempt))
        raise AssertionError("unreachable")

    def _query(self, sql: str, what: str, name: str | None = None) -> pa.Table:
        def work(cur: Cursor) -> pa.Table:
            cur.execute(sql)
            return cur.fetchall_arrow()

        return self._run(what, work, name)

    def _execute(self, sql: str, what: str, name: str | None = None) -> None:
        self._run(what, lambda cur: cur.execute(sql), name)

    async def _thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    # -------------------------------------------------------------------------------------- port: metadata
    async def list_tables(self, org_id: int) -> list[str]:
        sql = q.show_tables(self.catalog, org_id)

        def run() -> list[str]:
            try:
                rows = self._query(sql, f"list tables of {org_schema(org_id)}", name=org_schema(org_id))
            except TableNotFound:
                return []  # the org's schema does not exist yet
            names = _column(rows, "tableName", "table_name", "tablename")
            temp = _column(rows, "isTemporary", "is_temporary", default=[False] * rows.num_rows)
            result = []
            for table, is_temp in zip(names, temp):
                if is_temp or not isinstance(table, str):
                    continue
                try:
                    result.append(check_table_name(table))
                except ValueError:
                    continue
            return sorted(set(result))

        return await self._thread(run)

    async def table_exists(self, org_id: int, table: str) -> bool:
        try:
            await self.schema(org_id, table)
            return True
        except TableNotFound:
            return False

    def _describe(self, org_id: int, table: str) -> list[ColumnInfo]:
        name = self._name(org_id, table)
        rows = self._query(q.describe_table(self.catalog, org_id, table), f"describe {name}", name)
        cols = []
        for col, dtype in zip(_column(rows, "col_name"), _column(rows, "data_type")):
            if not col or col.startswith("#"):
                break  # partitioning / clustering sections follow the columns
            cols.append(ColumnInfo(col, q.normalize_type_name(dtype or "")))
        return cols

    async def schema(self, org_id: int, table: str) -> list[ColumnInfo]:
        return await self._thread(self._describe, org_id, table)

    async def count(self, org_id: int, table: str) -> int:
        name = self._name(org_id, table)
        sql = q.count_rows(self.catalog, org_id, table)
        rows = await self._thread(self._query, sql, f"count records of {name}", name)
        return int(rows.column(0)[0].as_py())

    async def preview(self, org_id: int, table: str, limit: int = 50) -> pa.Table:
        name = self._name(org_id, table)

        def run() -> pa.Table:
            cols = self._describe(org_id, table)
            data = self._query(q.preview(self.catalog, org_id, table, limit), f"preview {name}", name)
            return _conform_to_columns(data, cols)

        return await self._thread(run)

    # -------------------------------------------------------------------------------------- port: jobs
    async def snapshot(self, org_id: int, table: str) -> Snapshot:
        name = self._name(org_id, table)

        def run() -> Snapshot:
            history = self._query(
                q.describe_history(self.catalog, org_id, table), f"read the history of {name}", name
            )
            versions = [v for v in _column(history, "version") if v is not None]
            if not versions:
                raise WarehouseError(f"table {name} has no Delta history, so it cannot be pinned")
            version = int(max(versions))
            rows = self._query(
                q.count_rows(self.catalog, org_id, table, version), f"count records of {name}@v{version}", name
            )
            return Snapshot(version=version, records=int(rows.column(0)[0].as_py()))

        return await self._thread(run)

    async def plan_chunks(self, org_id: int, table: str, snapshot: Snapshot, chunk_size: int) -> list[ChunkSpec]:
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        key = (org_id, check_table_name(table), snapshot.version, chunk_size)
        cached = self._plans.get(key)
        if cached is not None:
            return list(cached)
        plan = await self._thread(self._plan, org_id, table, snapshot, chunk_size)
        if len(self._plans) > 256:
            self._plans.clear()
        self._plans[key] = plan
        return list(plan)

    def _plan(self, org_id: int, table: str, snapshot: Snapshot, chunk_size: int) -> list[ChunkSpec]:
        name = self._name(org_id, table)
        version = snapshot.version
        stats = self._query(
            q.file_stats(self.catalog, org_id, table, version), f"list the data files of {name}@v{version}", name
        )
        files = sorted(
            zip(
                _column(stats, "file_path"),
                _column(stats, "file_mtime"),
                _column(stats, "n"),
                _column(stats, "min_row"),
                _column(stats, "max_row"),
            ),
            key=lambda f: (f[1], f[0]),
        )
        total = sum(int(f[2]) for f in files)
        if total != snapshot.records:
            raise WarehouseError(
                f"table {name}@v{version}: the data files hold {total} records, the snapshot counted {snapshot.records}"
            )
        by_chunk: dict[int, list[_Piece]] = {}
        start = 0
        for path, _mtime, n, min_row, max_row in files:
            n, min_row, max_row = int(n), int(min_row), int(max_row)
            if max_row - min_row + 1 == n:  # contiguous row indexes: cut points are arithmetic
                first_cut = (-start) % chunk_size
                cuts = [(k, min_row + k) for k in range(first_cut, n, chunk_size)]
            else:  # deletion vectors left gaps: ask for the row index of each chunk start in this file
                rows = self._query(
                    q.file_boundaries(self.catalog, org_id, table, version, path, start, chunk_size),
                    f"plan chunks of {name}@v{version}",
                    name,
                )
                cuts = [(int(k), int(r)) for r, k in zip(_column(rows, "row_index"), _column(rows, "k"))]
            points = [(0, min_row)] + [c for c in cuts if c[0] > 0] + [(n, max_row + 1)]
            for (k_lo, r_lo), (k_hi, r_hi) in zip(points, points[1:]):
                if k_hi > k_lo:
                    by_chunk.setdefault((start + k_lo) // chunk_size, []).append(_Piece(path, r_lo, r_hi, k_hi - k_lo))
            start += n
        chunks = []
        for chunk_no in range(len(by_chunk)):
            pieces = by_chunk[chunk_no]
            locator = json.dumps({"v": version, "p": [[p.path, p.lo, p.hi] for p in pieces]}, separators=(",", ":"))
            chunks.append(ChunkSpec(chunk_no, chunk_no * chunk_size, sum(p.count for p in pieces), locator))
        return chunks

    async def read_chunk(self, org_id: int, table: str, snapshot: Snapshot, chunk: ChunkSpec) -> pa.Table:
        name = self._name(org_id, table)
        try:
            loc = json.loads(chunk.locator)
            version = int(loc["v"])
            pieces = [(str(p), int(lo), int(hi)) for p, lo, hi in loc["p"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise WarehouseError(f"malformed chunk locator for {name}") from exc
        if version != snapshot.version:
            raise WarehouseError("chunk locator does not belong to this snapshot")
        if not pieces:
            raise WarehouseError(f"chunk {chunk.chunk_no} of {name} has no data")
        sql = q.read_pieces(self.catalog, org_id, table, version, pieces)

        def run() -> pa.Table:
            cols = self._version_columns(org_id, table, version)
            data = self._query(sql, f"read chunk {chunk.chunk_no} of {name}@v{version}", name)
            if data.num_rows != chunk.row_count:
                raise WarehouseError(
                    f"chunk {chunk.chunk_no} of {name}: expected {chunk.row_count} records, read {data.num_rows}"
                )
            order = {path: i for i, (path, _, _) in enumerate(pieces)}
            file_no = pa.array([order[p] for p in data.column(q.FILE_COL).to_pylist()], pa.int32())
            keyed = pa.table({"f": file_no, "r": data.column(q.ROW_COL).cast(pa.int64())})
            idx = pc.sort_indices(keyed, sort_keys=[("f", "ascending"), ("r", "ascending")])
            data = _conform_to_columns(data.drop_columns([q.FILE_COL, q.ROW_COL]).take(idx), cols)
            row_ids = pa.array(range(chunk.first_row_id, chunk.first_row_id + data.num_rows), pa.int64())
            return data.add_column(0, pa.field(ROW_ID, pa.int64(), nullable=False), row_ids)

        return await self._thread(run)

    def _version_columns(self, org_id: int, table: str, version: int) -> list[ColumnInfo]:
        """Column types used to normalise chunk reads (``DESCRIBE`` answers for the current version; a column
        whose type changed since the pinned version is simply left as read)."""
        key = (org_id, table, version)
        cols = self._columns_at.get(key)
        if cols is None:
            cols = self._describe(org_id, table)
            if len(self._columns_at) > 256:
                self._columns_at.clear()
            self._columns_at[key] = cols
        return cols

    # -------------------------------------------------------------------------------------- port: reports
    async def create_report_table(self, org_id: int, table: str, schema: pa.Schema) -> None:
        name = self._name(org_id, table)
        sql = q.create_table(self.catalog, org_id, table, schema)

        def run() -> None:
            try:
                self._execute(sql, f"create report table {name}", name)
            except TableNotFound as exc:
                if "SCHEMA_NOT_FOUND" not in str(exc).upper():
                    raise
                # only when the org's schema is really missing (no source table yet): needs CREATE SCHEMA
                self._execute(q.create_schema(self.catalog, org_id), f"create schema {org_schema(org_id)}")
                self._execute(sql, f"create report table {name}", name)
            if self.catalog is None and self._current_catalog is None:
                rows = self._query(q.current_catalog(), "read the current catalog")
                self._current_catalog = str(rows.column(0)[0].as_py())
            cols = self._describe(org_id, table)
            if [c.name for c in cols] != list(schema.names):
                raise WarehouseError(f"table {name} exists with other columns")
            self._report_columns[(org_id, table)] = cols

        await self._thread(run)

    async def append_report_part(self, org_id: int, table: str, part_key: str, data: pa.Table) -> None:
        name = self._name(org_id, table)
        volume = self._require_volume("write report tables")
        digest = hashlib.sha256(part_key.encode()).hexdigest()[:40]
        directory = f"{volume}/dataimport/{org_schema(org_id)}/{table}"
        file_name = f"part-{digest}.parquet"

        def run() -> None:
            cols = self._report_columns.get((org_id, table))
            if cols is None:
                cols = self._describe(org_id, table)
                self._report_columns[(org_id, table)] = cols
            try:
                rows = _conform_to_columns(data, cols, strict=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError) as exc:
                raise WarehouseError(f"report part does not fit table {name}: {exc}") from exc
            with self._staged(rows) as local:
                self._execute(q.put_file(local, f"{directory}/{file_name}"), f"stage a report part of {name}", name)
            # COPY INTO skips a file it already loaded into this table: a redelivered part loads nothing.
            self._execute(
                q.copy_into(self.catalog, org_id, table, directory, [file_name]), f"load a report part into {name}", name
            )

        await self._thread(run)

    async def read_table(self, org_id: int, table: str) -> pa.Table:
        name = self._name(org_id, table)

        def run() -> pa.Table:
            cols = self._describe(org_id, table)
            return _conform_to_columns(self._query(q.select_all(self.catalog, org_id, table), f"read {name}", name), cols)

        return await self._thread(run)

    async def read_report_rows(
        self, org_id: int, table: str, after_row_id: int, limit: int, status: str | None = None
    ) -> pa.Table:
        name = self._name(org_id, table)
        sql = q.report_page(self.catalog, org_id, table, after_row_id, limit, status)

        def run() -> pa.Table:
            cols = self._report_columns.get((org_id, table))
            if cols is None:
                cols = self._describe(org_id, table)
                self._report_columns[(org_id, table)] = cols
            names = {c.name for c in cols}
            if ROW_ID not in names or (status is not None and "_status" not in names):
                raise WarehouseError(f"table {name} is not a report table")
            return _conform_to_columns(self._query(sql, f"read a page of {name}", name), cols)

        return await self._thread(run)

    def report_link(self, org_id: int, table: str) -> str | None:
        if not self.server_hostname:
            return None
        catalog = self.catalog or self._current_catalog or "hive_metastore"
        parts = "/".join(quote(p, safe="") for p in (catalog, org_schema(org_id), check_table_name(table)))
        return f"https://{self.server_hostname}/explore/data/{parts}"

    async def close(self) -> None:
        self._pool.close()
        self._plans.clear()
        self._columns_at.clear()
        shutil.rmtree(self._staging_dir, ignore_errors=True)

    # -------------------------------------------------------------------------------------- loader helper
    async def resolve_catalog(self) -> str | None:
        """The catalog report links name: ``DATABRICKS_CATALOG``, else the session's current catalog."""
        if self.catalog:
            return self.catalog
        if self._current_catalog is None:
            rows = await self._thread(self._query, q.current_catalog(), "read the current catalog")
            self._current_catalog = str(rows.column(0)[0].as_py())
        return self._current_catalog

    def table_location(self, org_id: int, table: str) -> str:
        return self._name(org_id, table)

    async def write_table(
        self, org_id: int, table: str, data: pa.Table | pa.RecordBatchReader, mode: str = "overwrite"
    ) -> None:
        """Write a whole source table (the ``load`` command): stage Parquet files in the volume, then create (or
        replace) the table and ``COPY INTO`` it. ``mode``: overwrite / append."""
        if mode not in ("overwrite", "append"):
            raise ValueError("mode must be overwrite or append")
        name = self._name(org_id, table)
        volume = self._require_volume("load tables")
        directory = f"{volume}/dataimport/loads/{org_schema(org_id)}/{table}-{uuid.uuid4().hex}"
        reader = data.to_reader() if isinstance(data, pa.Table) else data
        schema = q.storable_schema(reader.schema)

        def run() -> None:
            staged: list[str] = []
            try:
                for i, part in enumerate(_parts(reader, schema, STAGING_FILE_ROWS)):
                    target = f"{directory}/part-{i:05d}.parquet"
                    with self._staged(part) as local:
                        self._execute(q.put_file(local, target), f"stage data for {name}", name)
                    staged.append(target)
                self._execute(q.create_schema(self.catalog, org_id), f"create schema {org_schema(org_id)}")
                create = q.create_table(self.catalog, org_id, table, schema, replace=mode == "overwrite")
                self._execute(create, f"create table {name}", name)
                if staged:
                    self._execute(q.copy_into(self.catalog, org_id, table, directory), f"load {name}", name)
            finally:
                for target in staged:
                    try:
                        self._execute(q.remove_file(target), f"remove staged file {target}")
                    except WarehouseError as exc:  # leftovers in the staging volume are harmless
                        log.warning("databricks_staging_cleanup_failed", path=target, error=str(exc))
            self._plans.clear()
            self._report_columns.pop((org_id, table), None)

        await self._thread(run)

    # -------------------------------------------------------------------------------------- helpers
    def _require_volume(self, why: str) -> str:
        if not self.staging_volume:
            raise WarehouseError(
                f"DATABRICKS_STAGING_VOLUME is not set: the databricks warehouse needs a Unity Catalog volume "
                f"(/Volumes/<catalog>/<schema>/<volume>) to {why}"
            )
        return self.staging_volume

    def _staged(self, data: pa.Table) -> _LocalParquet:
        return _LocalParquet(self._staging_dir, data)


class _LocalParquet:
    """A Parquet file in the local staging folder, deleted on exit."""

    def __init__(self, folder: str, data: pa.Table) -> None:
        self.path = os.path.join(folder, f"{uuid.uuid4().hex}.parquet")
        self.data = data

    def __enter__(self) -> str:
        pq.write_table(self.data, self.path, compression="snappy", coerce_timestamps="us")
        return self.path

    def __exit__(self, *exc: object) -> None:
        try:
            os.unlink(self.path)
        except OSError:
            pass


def _parts(reader: pa.RecordBatchReader, schema: pa.Schema, rows: int) -> Iterator[pa.Table]:
    batches: list[pa.RecordBatch] = []
    held = 0
    for batch in reader:
        if batch.num_rows == 0:
            continue
        batches.append(batch)
        held += batch.num_rows
        if held >= rows:
            yield _cast(pa.Table.from_batches(batches), schema)
            batches, held = [], 0
    if batches:
        yield _cast(pa.Table.from_batches(batches), schema)


def _cast(data: pa.Table, schema: pa.Schema) -> pa.Table:
    return data.cast(schema) if not data.schema.equals(schema) else data


def _column(rows: pa.Table, *names: str, default: list[Any] | None = None) -> list[Any]:
    lower = {n.lower(): n for n in rows.column_names}
    for name in names:
        if name.lower() in lower:
            return rows.column(lower[name.lower()]).to_pylist()
    if default is not None:
        return default
    raise WarehouseError(f"unexpected answer from the warehouse: no column {names[0]!r} in {rows.column_names}")


def _conform_to_columns(data: pa.Table, cols: list[ColumnInfo], strict: bool = False) -> pa.Table:
    """``data`` with the Arrow types the adapter promises for the Databricks types in ``cols`` (whatever
    spelling of them the connector returned, e.g. a timestamp zone name or a decimal precision).

    ``strict`` (report parts): exactly the columns of ``cols``, in order, missing ones as nulls, casts must
    succeed. Otherwise ``data``'s own columns are kept (in their order) and only those with a known type are cast
    where the cast succeeds -- a column whose type has no fixed mapping stays as the connector gave it."""
    if not strict:
        types = {c.name: q.sql_type_to_arrow(c.type) for c in cols}
        arrays, fields = [], []
        for field, arr in zip(data.schema, data.columns):
            target = types.get(field.name)
            if target is not None and not arr.type.equals(target):
                try:
                    arr = arr.cast(target)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                    pass
            arrays.append(arr)
            fields.append(pa.field(field.name, arr.type))
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    arrays, fields = [], []
    present = set(data.column_names)
    for col in cols:
        target = q.sql_type_to_arrow(col.type)
        if col.name not in present:
            if target is None:
                raise ValueError(f"column {col.name} of type {col.type} is missing")
            arrays.append(pa.nulls(data.num_rows, target))
        else:
            arr = data.column(col.name)
            arrays.append(arr.cast(target) if target is not None and not arr.type.equals(target) else arr)
        fields.append(pa.field(col.name, arrays[-1].type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


# ------------------------------------------------------------------------------------------------ settings
def _bare_host(host: str) -> str:
    host = host.strip()
    for prefix in ("https://", "http://"):
        if host.lower().startswith(prefix):
            host = host[len(prefix) :]
    return host.strip("/")


def _check_volume(path: str) -> str:
    path = path.rstrip("/")
    parts = path.split("/")
    if not path.startswith("/Volumes/") or len(parts) < 5 or any(p in ("", ".", "..") for p in parts[1:]):
        raise ValueError(
            f"DATABRICKS_STAGING_VOLUME must look like /Volumes/<catalog>/<schema>/<volume>, got {path!r}"
        )
    if "'" in path or "\\" in path:
        raise ValueError("DATABRICKS_STAGING_VOLUME must not contain quotes or backslashes")
    return path


def connector_connect(
    server_hostname: str,
    http_path: str,
    *,
    token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> Connect:
    """The production seam: ``databricks.sql.connect`` with a token or OAuth M2M (service principal)."""

    def connect(staging_dir: str) -> Connection:
        from databricks import sql

        kwargs: dict[str, Any] = {
            "server_hostname": server_hostname,
            "http_path": http_path,
            "staging_allowed_local_path": staging_dir,
            "user_agent_entry": "dataimport",
        }
        if token:
            kwargs["access_token"] = token
        else:
            from databricks.sdk.core import Config, oauth_service_principal

            def credentials_provider():  # type: ignore[no-untyped-def]
                config = Config(host=f"https://{server_hostname}", client_id=client_id, client_secret=client_secret)
                return oauth_service_principal(config)

            kwargs["credentials_provider"] = credentials_provider
        return sql.connect(**kwargs)

    return connect
