"""The ``delta`` warehouse adapter: Delta Lake tables (deltalake / delta-rs) under a root URI.

Layout: ``<root>/import_<org_id>/<table>``, one directory per Delta table. Every blocking deltalake / pyarrow call
runs in a worker thread (``asyncio.to_thread``). Several processes may use the same root at once: delta-rs commits
are atomic (put-if-absent of the next log entry), appends are retried on conflict, and report parts are written
exactly once per part key with Delta application transactions (``txn`` actions).

Chunking: a pinned version's data files are ordered by (commit modification time, path) -- both read from the
Delta log, so every process sees the same order -- and records are numbered 0.. in that order (``_row_id``).
A chunk's ``locator`` is a compact JSON string ``{"v": version, "p": [[file, row_offset, row_count], ...]}``;
reading a chunk opens only those files and reads only the row groups covering the requested rows.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, Transaction, WriterProperties, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError, TableNotFoundError
from deltalake.schema import ArrayType, MapType, PrimitiveType, StructType

from .names import check_table_name, org_schema
from .port import ROW_ID, ChunkSpec, ColumnInfo, Snapshot, TableNotFound, WarehouseError

_DELTA_TO_SQL = {
    "string": "string",
    "long": "bigint",
    "integer": "int",
    "short": "smallint",
    "byte": "tinyint",
    "double": "double",
    "float": "float",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp_ntz": "timestamp_ntz",
    "binary": "binary",
}

_APPEND_RETRIES = 50
_WHOLE_ROW_GROUP_ROWS = 131_072
"""Row groups spanning at most this many rows (or 4x the piece) are read whole, then sliced; larger ones are
streamed in batches so memory stays bounded by the chunk size."""
SOURCE_ROW_GROUP_SIZE = 10_000
"""Row-group size of the tables this adapter writes (the default chunk size): a chunk reads 1-2 row groups."""


def delta_type_to_sql(dtype: Any) -> str:
    """A Delta schema type in Databricks SQL spelling (lower-case)."""
    if isinstance(dtype, PrimitiveType):
        name = dtype.type
        if name.startswith("decimal"):
            return name.replace(" ", "")
        return _DELTA_TO_SQL.get(name, name)
    if isinstance(dtype, ArrayType):
        return f"array<{delta_type_to_sql(dtype.element_type)}>"
    if isinstance(dtype, MapType):
        return f"map<{delta_type_to_sql(dtype.key_type)},{delta_type_to_sql(dtype.value_type)}>"
    if isinstance(dtype, StructType):
        inner = ",".join(f"{f.name}:{delta_type_to_sql(f.type)}" for f in dtype.fields)
        return f"struct<{inner}>"
    return str(getattr(dtype, "type", dtype)).lower()


@dataclass(frozen=True)
class _FileEntry:
    path: str  # as in the add action (relative to the table root, unless absolute)
    records: int


class DeltaWarehouse:
    kind = "delta"

    def __init__(self, root_uri: str, storage_options: dict[str, str] | None = None) -> None:
        self.root_uri = str(root_uri).rstrip("/") or "/"
        self.storage_options = dict(storage_options) if storage_options else None
        parsed = urlparse(self.root_uri)
        self._local = parsed.scheme in ("", "file") or (len(parsed.scheme) == 1 and os.name == "nt")
        if self._local:
            local = unquote(parsed.path) if parsed.scheme == "file" else self.root_uri
            self._local_root: Path | None = Path(local).absolute()
        else:
            self._local_root = None
        # A pinned version never changes: its file plan and arrow schema can be cached safely.
        self._plan_cache: dict[tuple[str, int, int | None], tuple[list[_FileEntry], pa.Schema]] = {}

    # ------------------------------------------------------------------ names and paths
    def _table_uri(self, org_id: int, table: str) -> str:
        schema = org_schema(org_id)
        check_table_name(table)
        if self._local_root is not None:
            return str(self._local_root / schema / table)
        return f"{self.root_uri}/{schema}/{table}"

    @staticmethod
    def _qualified(org_id: int, table: str) -> str:
        return f"{org_schema(org_id)}.{table}"

    def _open(self, org_id: int, table: str, version: int | None = None) -> DeltaTable:
        uri = self._table_uri(org_id, table)
        try:
            if version is None:
                return DeltaTable(uri, storage_options=self.storage_options)
            return DeltaTable(uri, version=version, storage_options=self.storage_options)
        except TableNotFoundError as exc:
            raise TableNotFound(f"table {self._qualified(org_id, table)} does not exist") from exc
        except DeltaError as exc:
            if version is not None and "version" in str(exc).lower():
                raise WarehouseError(
                    f"version {version} of table {self._qualified(org_id, table)} is no longer available: {exc}"
                ) from exc
            raise WarehouseError(f"cannot read table {self._qualified(org_id, table)}: {exc}") from exc

    def _check_readable(self, dt: DeltaTable, org_id: int, table: str) -> None:
        name = self._qualified(org_id, table)
        config = dt.metadata().configuration or {}
        mode = (config.get("delta.columnMapping.mode") or "none").lower()
        protocol = dt.protocol()
        features = set(protocol.reader_features or [])
        if mode != "none":
            raise WarehouseError(
                f"table {name} uses Delta column mapping, which the delta warehouse adapter cannot read; "
                "rewrite it without column mapping"
            )
        if "deletionVectors" in features:
            try:
                has_dvs = pa.table(dt.deletion_vectors()).num_rows > 0
            except Exception:  # noqa: BLE001 - cannot tell: refuse rather than return deleted rows
                has_dvs = True
            if has_dvs:
                raise WarehouseError(
                    f"table {name} has deletion vectors, which the delta warehouse adapter cannot read; "
                    "purge them (REORG TABLE ... APPLY (PURGE)) or rewrite the table"
                )
        if dt.metadata().partition_columns:
            raise WarehouseError(
                f"table {name} is partitioned, which the delta warehouse adapter does not support as a source; "
                "rewrite it without partitioning"
            )

    def _files(self, dt: DeltaTable) -> list[_FileEntry]:
        actions = pa.table(dt.get_add_actions(flatten=False))
        paths = actions.column("path").to_pylist()
        mtimes = actions.column("modification_time").to_pylist()
        records = (
            actions.column("num_records").to_pylist() if "num_records" in actions.column_names else [None] * len(paths)
        )
        order = sorted(range(len(paths)), key=lambda i: (mtimes[i], paths[i]))
        entries = []
        for i in order:
            n = records[i]
            if n is None:  # no stats in the log: ask the parquet footer
                n = self._open_parquet(dt.table_uri, paths[i], dt).metadata.num_rows
            entries.append(_FileEntry(paths[i], int(n)))
        return entries

    def _pinned(self, org_id: int, table: str, version: int) -> tuple[list[_FileEntry], pa.Schema]:
        uri = self._table_uri(org_id, table)
        key = (uri, version, self._incarnation(uri))
        cached = self._plan_cache.get(key)
        if cached is not None:
            return cached
        dt = self._open(org_id, table, version)
        self._check_readable(dt, org_id, table)
        result = (self._files(dt), pa.schema(dt.schema().to_arrow()))
        if len(self._plan_cache) > 256:
            self._plan_cache.clear()
        self._plan_cache[key] = result
        return result

    def _incarnation(self, uri: str) -> int | None:
        """Tells a table apart from one deleted and re-created at the same place (whose versions restart at 0)."""
        if self._local_root is None:
            return None
        try:
            return os.stat(os.path.join(uri, "_delta_log", "00000000000000000000.json")).st_mtime_ns
        except OSError:
            return None

    def _file_location(self, table_uri: str, path: str) -> str:
        if "://" in path or path.startswith("/"):
            return path
        return table_uri.rstrip("/") + "/" + path

    def _open_parquet(self, table_uri: str, path: str, dt: DeltaTable | None = None, fs: Any = None) -> pq.ParquetFile:
        location = self._file_location(table_uri, path)
        parsed = urlparse(location)
        try:
            if parsed.scheme in ("", "file"):
                local = unquote(parsed.path) if parsed.scheme == "file" else location
                return pq.ParquetFile(local, coerce_int96_timestamp_unit="us")
            if fs is None:
                if dt is None:
                    raise WarehouseError("internal: remote parquet read needs the Delta table")
                fs = dt.to_pyarrow_dataset().filesystem  # delta-rs' object-store handler (storage_options)
            return pq.ParquetFile(fs.open_input_file(path), coerce_int96_timestamp_unit="us")
        except FileNotFoundError as exc:
            raise WarehouseError(f"data file {path} of the pinned table version is gone (vacuumed?): {exc}") from exc

    # ------------------------------------------------------------------ Warehouse port
    async def list_tables(self, org_id: int) -> list[str]:
        schema = org_schema(org_id)
        return await asyncio.to_thread(self._list_tables_sync, schema)

    def _list_tables_sync(self, schema: str) -> list[str]:
        if self._local_root is not None:
            base = self._local_root / schema
            if not base.is_dir():
                return []
            names = [p.name for p in base.iterdir() if p.is_dir() and (p / "_delta_log").is_dir()]
            result = []
            for name in names:
                try:
                    check_table_name(name)
                except ValueError:
                    continue
                if DeltaTable.is_deltatable(str(base / name)):
                    result.append(name)
            return sorted(result)
        # object store: list the prefix with pyarrow's filesystem
        import pyarrow.fs as pafs

        fs, prefix = pafs.FileSystem.from_uri(f"{self.root_uri}/{schema}")
        try:
            infos = fs.get_file_info(pafs.FileSelector(prefix, allow_not_found=True))
        except OSError as exc:
            raise WarehouseError(f"cannot list {schema}: {exc}") from exc
        result = []
        for info in infos:
            if info.type != pafs.FileType.Directory:
                continue
            name = info.base_name
            try:
                check_table_name(name)
            except ValueError:
                continue
            if DeltaTable.is_deltatable(f"{self.root_uri}/{schema}/{name}", self.storage_options):
                result.append(name)
        return sorted(result)

    async def table_exists(self, org_id: int, table: str) -> bool:
        uri = self._table_uri(org_id, table)
        return await asyncio.to_thread(DeltaTable.is_deltatable, uri, self.storage_options)

    async def schema(self, org_id: int, table: str) -> list[ColumnInfo]:
        def run() -> list[ColumnInfo]:
            dt = self._open(org_id, table)
            return [ColumnInfo(f.name, delta_type_to_sql(f.type)) for f in dt.schema().fields]

        return await asyncio.to_thread(run)

    async def count(self, org_id: int, table: str) -> int:
        def run() -> int:
            dt = self._open(org_id, table)
            return sum(f.records for f in self._files(dt))

        return await asyncio.to_thread(run)

    async def preview(self, org_id: int, table: str, limit: int = 50) -> pa.Table:
        def run() -> pa.Table:
            dt = self._open(org_id, table)
            self._check_readable(dt, org_id, table)
            version = dt.version()
            files, schema = self._pinned(org_id, table, version)
            pieces, left = [], max(0, int(limit))
            for entry in files:
                if left <= 0:
                    break
                take = min(left, entry.records)
                if take > 0:
                    pieces.append((entry.path, 0, take))
                    left -= take
            data = self._read_pieces(org_id, table, version, pieces, schema)
            return data

        return await asyncio.to_thread(run)

    async def snapshot(self, org_id: int, table: str) -> Snapshot:
        def run() -> Snapshot:
            dt = self._open(org_id, table)
            self._check_readable(dt, org_id, table)
            version = dt.version()
            files, _ = self._pinned(org_id, table, version)
            return Snapshot(version=version, records=sum(f.records for f in files))

        return await asyncio.to_thread(run)

    async def plan_chunks(self, org_id: int, table: str, snapshot: Snapshot, chunk_size: int) -> list[ChunkSpec]:
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")

        def run() -> list[ChunkSpec]:
            files, _ = self._pinned(org_id, table, snapshot.version)
            chunks: list[ChunkSpec] = []
            pieces: list[list[Any]] = []
            in_chunk = 0
            first = 0
            row_id = 0

            def flush() -> None:
                nonlocal pieces, in_chunk, first
                if in_chunk:
                    locator = json.dumps({"v": snapshot.version, "p": pieces}, separators=(",", ":"))
                    chunks.append(ChunkSpec(len(chunks), first, in_chunk, locator))
                pieces, in_chunk, first = [], 0, row_id

            for entry in files:
                offset = 0
                while offset < entry.records:
                    take = min(chunk_size - in_chunk, entry.records - offset)
                    pieces.append([entry.path, offset, take])
                    in_chunk += take
                    offset += take
                    row_id += take
                    if in_chunk == chunk_size:
                        flush()
            flush()
            return chunks

        return await asyncio.to_thread(run)

    async def read_chunk(self, org_id: int, table: str, snapshot: Snapshot, chunk: ChunkSpec) -> pa.Table:
        def run() -> pa.Table:
            try:
                loc = json.loads(chunk.locator)
                version, pieces = int(loc["v"]), [(str(p), int(o), int(n)) for p, o, n in loc["p"]]
            except (ValueError, KeyError, TypeError) as exc:
                raise WarehouseError(f"malformed chunk locator for {self._qualified(org_id, table)}") from exc
            if version != snapshot.version:
                raise WarehouseError("chunk locator does not belong to this snapshot")
            _, schema = self._pinned(org_id, table, version)
            data = self._read_pieces(org_id, table, version, pieces, schema)
            if data.num_rows != chunk.row_count:
                raise WarehouseError(
                    f"chunk {chunk.chunk_no} of {self._qualified(org_id, table)}: expected {chunk.row_count} "
                    f"records, read {data.num_rows}"
                )
            row_ids = pa.array(range(chunk.first_row_id, chunk.first_row_id + data.num_rows), pa.int64())
            return data.add_column(0, pa.field(ROW_ID, pa.int64(), nullable=False), row_ids)

        return await asyncio.to_thread(run)

    def _read_pieces(
        self, org_id: int, table: str, version: int, pieces: list[tuple[str, int, int]], schema: pa.Schema
    ) -> pa.Table:
        table_uri = self._table_uri(org_id, table)
        fs = None
        if not self._local:
            fs = self._open(org_id, table, version).to_pyarrow_dataset().filesystem
        parts: list[pa.Table] = []
        for path, offset, count in pieces:
            if count <= 0:
                continue
            pf = self._open_parquet(table_uri, path, fs=fs)
            meta = pf.metadata
            groups, start, skip = [], 0, None
            for rg in range(meta.num_row_groups):
                n = meta.row_group(rg).num_rows
                end = start + n
                if end > offset and start < offset + count:
                    if skip is None:
                        skip = offset - start
                    groups.append(rg)
                start = end
            if not groups:
                raise WarehouseError(f"data file {path} has fewer records than the Delta log says")
            file_columns = set(pf.schema_arrow.names)
            wanted = [f.name for f in schema if f.name in file_columns]
            skip = skip or 0
            span = sum(meta.row_group(rg).num_rows for rg in groups)
            if span <= max(4 * count, _WHOLE_ROW_GROUP_ROWS):
                raw = pf.read_row_groups(groups, columns=wanted, use_threads=False).slice(skip, count)
            else:
                # huge row groups (files written elsewhere): stream them, keeping only the wanted rows
                raw = _stream_slice(pf, groups, wanted, skip, count)
            parts.append(_conform(raw, schema))
        if not parts:
            return schema.empty_table()
        return pa.concat_tables(parts)

    async def create_report_table(self, org_id: int, table: str, schema: pa.Schema) -> None:
        uri = self._table_uri(org_id, table)

        def run() -> None:
            for attempt in range(5):
                if DeltaTable.is_deltatable(uri, self.storage_options):
                    existing = pa.schema(DeltaTable(uri, storage_options=self.storage_options).schema().to_arrow())
                    if [f.name for f in existing] != [f.name for f in schema]:
                        raise WarehouseError(f"table {self._qualified(org_id, table)} exists with other columns")
                    return
                try:
                    if self._local_root is not None:
                        Path(uri).parent.mkdir(parents=True, exist_ok=True)
                    DeltaTable.create(uri, schema=schema, mode="ignore", storage_options=self.storage_options)
                    return
                except (CommitFailedError, DeltaError):
                    if attempt == 4:
                        raise
                    time.sleep(0.05 * (attempt + 1))  # another process created it at the same moment

        await asyncio.to_thread(run)

    async def append_report_part(self, org_id: int, table: str, part_key: str, data: pa.Table) -> None:
        uri = self._table_uri(org_id, table)
        app_id = f"dataimport-part:{part_key}"

        def run() -> None:
            for attempt in range(_APPEND_RETRIES):
                try:
                    dt = DeltaTable(uri, storage_options=self.storage_options)
                except TableNotFoundError as exc:
                    raise TableNotFound(f"table {self._qualified(org_id, table)} does not exist") from exc
                if dt.transaction_version(app_id) is not None:
                    return  # this part was committed before (redelivery)
                target = pa.schema(dt.schema().to_arrow())
                try:
                    rows = _conform(data, target)
                except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
                    raise WarehouseError(
                        f"report part does not fit table {self._qualified(org_id, table)}: {exc}"
                    ) from exc
                try:
                    # No internal retries: on a conflict we re-read the log and re-check the application
                    # transaction, so a part raced by a redelivery of itself is still written once.
                    write_deltalake(
                        dt,
                        rows,
                        mode="append",
                        storage_options=self.storage_options,
                        writer_properties=WriterProperties(max_row_group_size=SOURCE_ROW_GROUP_SIZE),
                        commit_properties=CommitProperties(
                            app_transactions=[Transaction(app_id=app_id, version=1)], max_commit_retries=0
                        ),
                    )
                    return
                except CommitFailedError:
                    if attempt == _APPEND_RETRIES - 1:
                        raise
                    time.sleep(random.uniform(0.0, min(0.5, 0.01 * (attempt + 1))))

        await asyncio.to_thread(run)

    async def read_table(self, org_id: int, table: str) -> pa.Table:
        def run() -> pa.Table:
            dt = self._open(org_id, table)
            self._check_readable(dt, org_id, table)
            files, schema = self._pinned(org_id, table, dt.version())
            return self._read_pieces(org_id, table, dt.version(), [(f.path, 0, f.records) for f in files], schema)

        return await asyncio.to_thread(run)

    async def read_report_rows(
        self, org_id: int, table: str, after_row_id: int, limit: int, status: str | None = None
    ) -> pa.Table:
        def run() -> pa.Table:
            dt = self._open(org_id, table)
            self._check_readable(dt, org_id, table)
            version = dt.version()
            schema = pa.schema(dt.schema().to_arrow())
            if ROW_ID not in schema.names or (status is not None and "_status" not in schema.names):
                raise WarehouseError(f"table {self._qualified(org_id, table)} is not a report table")
            files = self._row_id_ranges(dt, org_id, table, version)
            table_uri = self._table_uri(org_id, table)
            fs = None if self._local else dt.to_pyarrow_dataset().filesystem
            condition = pc.field(ROW_ID) > after_row_id
            if status is not None:
                condition = condition & (pc.field("_status") == status)
            found: list[pa.Table] = []
            rows = 0
            # Files in order of their smallest _row_id: once `limit` rows are found, a file starting after the
            # largest of them cannot change the page.
            for path, low, high in files:
                if high is not None and high <= after_row_id:
                    continue
                if rows >= limit and low is not None:
                    top = pa.concat_tables(found).sort_by(ROW_ID).slice(0, limit)
                    found, rows = [top], top.num_rows
                    if low > top.column(ROW_ID)[-1].as_py():
                        break
                pf = self._open_parquet(table_uri, path, fs=fs)
                part = _conform(pf.read(use_threads=False), schema).filter(condition)
                if part.num_rows:
                    found.append(part)
                    rows += part.num_rows
            if not found:
                return schema.empty_table()
            return pa.concat_tables(found).sort_by(ROW_ID).slice(0, max(0, int(limit)))

        return await asyncio.to_thread(run)

    def _row_id_ranges(
        self, dt: DeltaTable, org_id: int, table: str, version: int
    ) -> list[tuple[str, int | None, int | None]]:
        """(file, min _row_id, max _row_id) of every data file of a version, by min _row_id (None: unknown)."""
        uri = self._table_uri(org_id, table)
        key = ("ranges", uri, version, self._incarnation(uri))
        cached = self._plan_cache.get(key)  # type: ignore[arg-type]
        if cached is not None:
            return cached  # type: ignore[return-value]
        actions = pa.table(dt.get_add_actions(flatten=True))
        paths = actions.column("path").to_pylist()
        lows = actions.column(f"min.{ROW_ID}").to_pylist() if f"min.{ROW_ID}" in actions.column_names else [None] * len(paths)
        highs = actions.column(f"max.{ROW_ID}").to_pylist() if f"max.{ROW_ID}" in actions.column_names else [None] * len(paths)
        ranges = sorted(zip(paths, lows, highs), key=lambda r: (r[1] is not None, r[1] if r[1] is not None else 0, r[0]))
        if len(self._plan_cache) > 256:
            self._plan_cache.clear()
        self._plan_cache[key] = ranges  # type: ignore[index,assignment]
        return ranges

    def report_link(self, org_id: int, table: str) -> str | None:
        return None

    async def close(self) -> None:
        self._plan_cache.clear()

    # ------------------------------------------------------------------ loader helper (not in the port)
    def table_location(self, org_id: int, table: str) -> str:
        return self._table_uri(org_id, table)

    async def write_table(
        self, org_id: int, table: str, data: pa.Table | pa.RecordBatchReader, mode: str = "overwrite"
    ) -> None:
        """Write a whole source table (the ``load`` and ``demo-data`` commands). ``mode``: overwrite / append."""
        if mode not in ("overwrite", "append"):
            raise ValueError("mode must be overwrite or append")
        uri = self._table_uri(org_id, table)

        def run() -> None:
            if self._local_root is not None:
                Path(uri).parent.mkdir(parents=True, exist_ok=True)
            write_deltalake(
                uri,
                data,
                mode=mode,
                schema_mode="overwrite" if mode == "overwrite" else None,
                storage_options=self.storage_options,
                writer_properties=WriterProperties(max_row_group_size=SOURCE_ROW_GROUP_SIZE),
            )

        await asyncio.to_thread(run)


def _stream_slice(pf: pq.ParquetFile, groups: list[int], columns: list[str], skip: int, count: int) -> pa.Table:
    batches: list[pa.RecordBatch] = []
    kept = 0
    for batch in pf.iter_batches(
        batch_size=min(max(count, 1024), 65_536), row_groups=groups, columns=columns, use_threads=False
    ):
        if skip >= batch.num_rows:
            skip -= batch.num_rows
            continue
        if skip:
            batch, skip = batch.slice(skip), 0
        batch = batch.slice(0, count - kept)
        batches.append(batch)
        kept += batch.num_rows
        if kept >= count:
            break
    if not batches:
        return pf.schema_arrow.empty_table().select(columns)
    return pa.Table.from_batches(batches)


def _conform(data: pa.Table, schema: pa.Schema) -> pa.Table:
    """``data`` with exactly ``schema``'s columns, in order and types (missing columns as nulls)."""
    columns = []
    names = set(data.column_names)
    for field in schema:
        if field.name in names:
            col = data.column(field.name)
            if not col.type.equals(field.type):
                col = col.cast(field.type)
        else:
            col = pa.nulls(data.num_rows, field.type)
        columns.append(col)
    return pa.Table.from_arrays(columns, schema=schema.remove_metadata()) if columns else pa.table({})
