"""A stand-in for a Databricks SQL warehouse (plus a Unity Catalog volume), running the adapter's SQL on DuckDB.

No Databricks workspace is reachable from the test machines, so the ``databricks`` adapter is plugged (through
its ``connect(staging_dir)`` seam) into :class:`DuckDBWorkspace.connect`, whose connections/cursors behave like
``databricks-sql-connector``'s: ``execute``, ``fetchall_arrow``, ``fetchmany_arrow``, staging ``PUT``/``REMOVE``,
errors raised as ``databricks.sql.exc`` classes with Databricks error classes in the message.

Every statement is first checked the way Databricks would see it:

- ``sqlglot.parse_one(sql, read="databricks")`` must succeed (the only exceptions are the connector's staging
  commands ``PUT`` / ``REMOVE``, which sqlglot does not know: they must match the adapter's fixed grammar,
  ``databricks_sql.STAGING_COMMAND_RE``); a ``Command`` fallback is accepted only for ``SHOW TABLES IN``;
- no statement is an ``INSERT`` (report rows are loaded in bulk).

Then it is run on DuckDB: the parsed tree is translated with sqlglot (``write="duckdb"``), plus these rewrites
where the dialects differ:

1. Tables are DuckDB tables carrying three hidden columns ``__file_path``, ``__file_mtime``, ``__row_index``
   (what ``_metadata.file_path`` / ``file_modification_time`` / ``row_index`` return on Databricks); a reference
   to ``_metadata.<field>`` becomes the hidden column, and ``SELECT *`` becomes ``SELECT * EXCLUDE (hidden)``.
2. Delta versions: every commit (CREATE / CREATE OR REPLACE / COPY INTO that loaded a file / DELETE) copies the
   table to ``__v<n>__<table>``; ``<table> VERSION AS OF n`` reads that copy. ``DESCRIBE HISTORY`` answers from
   the commit list (newest first: version, timestamp, operation).
3. ``DESCRIBE TABLE`` answers ``col_name, data_type, comment`` with DuckDB types spelled as Databricks does.
4. ``SHOW TABLES IN s`` answers ``database, tableName, isTemporary`` from DuckDB's catalog (hidden copies left
   out); an unknown schema raises ``[SCHEMA_NOT_FOUND]``.
5. ``PUT 'local' INTO '/Volumes/...' OVERWRITE`` copies the file into a temp folder standing for the volume
   (refusing local files outside the connection's ``staging_allowed_local_path``, as the connector does);
   ``REMOVE`` deletes it.
6. ``COPY INTO t FROM '<dir>' FILEFORMAT = PARQUET [FILES = (...)]`` inserts each not-yet-loaded file with
   ``read_parquet(..., file_row_number = true)`` (by column name) as one new data file with a random
   ``part-<uuid>`` path and the commit's time; files already loaded into the table are skipped, as Databricks
   does.
7. ``current_catalog()`` is answered with the workspace's default catalog.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

import logging

import duckdb
import pyarrow as pa
import sqlglot
from databricks.sql import exc as dbx_exc
from sqlglot import exp

from dataimport.warehouse.databricks_sql import STAGING_COMMAND_RE, unquote_string_literal

HIDDEN = {"file_path": "__file_path", "file_modification_time": "__file_mtime", "row_index": "__row_index"}

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "falling back to parsing as a 'Command'" for SHOW TABLES


def server_error(message: str) -> dbx_exc.ServerOperationError:
    return dbx_exc.ServerOperationError(message)


class DuckDBWorkspace:
    def __init__(self, root: Path, catalog: str = "lakehouse") -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.volumes = self.root / "volumes"
        self.catalog = catalog
        self.db = duckdb.connect()
        self.db.execute(f"ATTACH ':memory:' AS \"{catalog}\"")
        self.db.execute(f'USE "{catalog}"')
        self.db.execute("SET TimeZone = 'UTC'")
        self.lock = threading.RLock()
        self.tables: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.statements: list[str] = []
        self.translated: list[str] = []
        self.failures: list[BaseException] = []
        self.clock = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
        self.connections = 0

    # ------------------------------------------------------------------ seam
    def connect(self, staging_dir: str) -> FakeConnection:
        with self.lock:
            self.connections += 1
        return FakeConnection(self, staging_dir)

    def fail_next(self, *errors: BaseException) -> None:
        """The next statements raise these errors (one each) before running: transient-failure injection."""
        self.failures.extend(errors)

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------------ dispatch
    def execute(self, sql: str, staging_dir: str) -> pa.Table | None:
        with self.lock:
            self.statements.append(sql)
            if self.failures:
                raise self.failures.pop(0)
            head = sql.lstrip().split(None, 1)[0].upper()
            if head in ("PUT", "REMOVE"):
                return self._staging(sql, staging_dir)
            tree = sqlglot.parse_one(sql, read="databricks")  # raises on anything Databricks SQL would not parse
            assert not isinstance(tree, exp.Insert), f"row-by-row INSERT emitted: {sql}"
            try:
                if isinstance(tree, exp.Command):
                    text = f"{tree.this} {tree.expression.this if tree.expression else ''}".strip()
                    match = re.fullmatch(r"SHOW TABLES IN (.+)", text, re.IGNORECASE | re.DOTALL)
                    assert match, f"only SHOW TABLES IN may fall back to a Command: {sql}"
                    return self._show_tables(exp.to_table(match.group(1), dialect="databricks"))
                if isinstance(tree, exp.Describe):
                    style = str(tree.args.get("style") or "").upper()
                    if style == "HISTORY":
                        return self._history(tree.this)
                    return self._describe(tree.this)
                if isinstance(tree, exp.Copy):
                    return self._copy(tree)
                if isinstance(tree, exp.Create) and str(tree.args.get("kind")).upper() == "TABLE":
                    return self._create_table(tree)
                if isinstance(tree, exp.Create) and str(tree.args.get("kind")).upper() == "SCHEMA":
                    return self._run(tree.sql(dialect="duckdb"))
                if isinstance(tree, exp.Drop) and str(tree.args.get("kind")).upper() == "SCHEMA":
                    return self._drop_schema(tree)
                if isinstance(tree, exp.Delete):
                    return self._delete(tree)
                if isinstance(tree, exp.Select):
                    return self._select(tree)
            except duckdb.Error as err:
                raise server_error(_duck_message(str(err))) from err
            raise AssertionError(f"statement the stand-in does not emulate: {sql}")

    def _run(self, duck_sql: str) -> pa.Table:
        self.translated.append(duck_sql)
        return self.db.sql(duck_sql).to_arrow_table() if duck_sql.lstrip().upper().startswith(
            ("SELECT", "DESCRIBE", "WITH")
        ) else self._exec(duck_sql)

    def _exec(self, duck_sql: str) -> None:
        self.db.execute(duck_sql)
        return None

    # ------------------------------------------------------------------ names
    def _key(self, table: exp.Table) -> tuple[str, str, str]:
        catalog = table.catalog or self.catalog
        if not table.db:
            raise server_error(f"[TABLE_OR_VIEW_NOT_FOUND] {table.sql('databricks')} has no schema")
        return (catalog, table.db, table.name)

    def _meta(self, table: exp.Table) -> tuple[tuple[str, str, str], dict[str, Any]]:
        key = self._key(table)
        meta = self.tables.get(key)
        if meta is None:
            raise server_error(
                f"[TABLE_OR_VIEW_NOT_FOUND] The table or view `{key[0]}`.`{key[1]}`.`{key[2]}` cannot be found. "
                "Verify the spelling and correctness of the schema and catalog. SQLSTATE: 42P01"
            )
        return key, meta

    @staticmethod
    def _q(*parts: str) -> str:
        return ".".join('"' + p.replace('"', '""') + '"' for p in parts)

    def _schema_exists(self, catalog: str, schema: str) -> bool:
        rows = self.db.execute(
            "SELECT 1 FROM information_schema.schemata WHERE catalog_name = ? AND schema_name = ?", [catalog, schema]
        ).fetchall()
        return bool(rows)

    # ------------------------------------------------------------------ commits
    def _commit(self, key: tuple[str, str, str], operation: str) -> None:
        meta = self.tables[key]
        meta["version"] += 1
        self.clock += dt.timedelta(seconds=1)
        meta["history"].append((meta["version"], self.clock, operation))
        catalog, schema, table = key
        self._exec(
            f"CREATE TABLE {self._q(catalog, schema, '__v%d__%s' % (meta['version'], table))} AS "
            f"SELECT * FROM {self._q(catalog, schema, table)}"
        )

    def _create_table(self, tree: exp.Create) -> None:
        table = tree.find(exp.Table)
        key = self._key(table)
        catalog, schema, name = key
        if not self._schema_exists(catalog, schema):
            raise server_error(f"[SCHEMA_NOT_FOUND] The schema `{catalog}`.`{schema}` cannot be found. SQLSTATE: 42704")
        exists = key in self.tables
        if exists and tree.args.get("exists"):
            return None
        if exists and not tree.args.get("replace"):
            raise server_error(f"[TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create table `{name}`")
        tree = tree.copy()
        tree.set("properties", None)  # USING DELTA
        tree.set("exists", False)
        tree.set("replace", True)
        target = tree.find(exp.Table)
        target.set("catalog", exp.to_identifier(catalog, quoted=True))
        cols = tree.this.expressions
        for hidden, dtype in zip(HIDDEN.values(), ("VARCHAR", "TIMESTAMPTZ", "BIGINT")):
            cols.append(exp.ColumnDef(this=exp.to_identifier(hidden), kind=exp.DataType.build(dtype, dialect="duckdb")))
        self._run(tree.sql(dialect="duckdb"))
        if not exists:
            self.tables[key] = {"version": -1, "history": [], "loaded": set()}
        else:
            self.tables[key]["loaded"] = set()
        self._commit(key, "CREATE OR REPLACE TABLE" if exists else "CREATE TABLE")
        return None

    def _copy(self, tree: exp.Copy) -> pa.Table:
        key, meta = self._meta(tree.this)
        (source,) = tree.args["files"]
        directory = source.this.rstrip("/")
        names: list[str] | None = None
        fmt = None
        for param in tree.args.get("params") or []:
            pname = param.this.name.upper()
            if pname == "FILES":
                value = param.expression  # a Tuple, or a Paren around a single name
                items = value.expressions if isinstance(value, exp.Tuple) else [value.unnest()]
                names = [e.this for e in items]
            elif pname == "FILEFORMAT":
                fmt = param.expression.name.upper()
        assert fmt == "PARQUET", "COPY INTO without FILEFORMAT = PARQUET"
        local_dir = self._volume_local(directory)
        if names is None:
            names = sorted(p.name for p in local_dir.glob("*.parquet")) if local_dir.is_dir() else []
        inserted = 0
        loaded_any = False
        catalog, schema, table = key
        for file_name in names:
            volume_path = f"{directory}/{file_name}"
            if volume_path in meta["loaded"]:
                continue  # COPY INTO is idempotent per file
            local = local_dir / file_name
            if not local.is_file():
                raise server_error(f"[COPY_INTO_SOURCE_FILE_NOT_FOUND] {volume_path}")
            data_file = f"s3://fake-bucket/{schema}/{table}/part-00000-{uuid.uuid4()}.c000.snappy.parquet"
            mtime = (self.clock + dt.timedelta(seconds=1)).isoformat()
            before = self.db.execute(f"SELECT COUNT(*) FROM {self._q(*key)}").fetchone()[0]
            self._run(
                f"INSERT INTO {self._q(*key)} BY NAME SELECT * EXCLUDE (file_row_number), "
                f"'{data_file}' AS __file_path, TIMESTAMPTZ '{mtime}' AS __file_mtime, "
                f"file_row_number AS __row_index FROM read_parquet('{_sql_str(str(local))}', file_row_number = true)"
            )
            inserted += self.db.execute(f"SELECT COUNT(*) FROM {self._q(*key)}").fetchone()[0] - before
            meta["loaded"].add(volume_path)
            loaded_any = True
        if loaded_any:
            self._commit(key, "COPY INTO")
        return pa.table({"num_affected_rows": [inserted], "num_inserted_rows": [inserted]})

    def _delete(self, tree: exp.Delete) -> None:
        """Not emitted by the adapter: tests use it to leave gaps in row indexes (deletion vectors)."""
        key, _ = self._meta(tree.this)
        tree = tree.copy()
        tree.this.set("catalog", exp.to_identifier(key[0], quoted=True))
        self._run(tree.sql(dialect="duckdb"))
        self._commit(key, "DELETE")

    def _drop_schema(self, tree: exp.Drop) -> None:
        table = tree.this
        catalog = table.db or self.catalog
        schema = table.name
        if self._schema_exists(catalog, schema):
            self._exec(f"DROP SCHEMA {self._q(catalog, schema)} CASCADE")
        for key in [k for k in self.tables if k[:2] == (catalog, schema)]:
            del self.tables[key]
        return None

    # ------------------------------------------------------------------ reads
    def _show_tables(self, ref: exp.Table) -> pa.Table:
        catalog = ref.db or self.catalog
        schema = ref.name
        if not self._schema_exists(catalog, schema):
            raise server_error(f"[SCHEMA_NOT_FOUND] The schema `{catalog}`.`{schema}` cannot be found. SQLSTATE: 42704")
        names = sorted(k[2] for k in self.tables if k[:2] == (catalog, schema))
        return pa.table(
            {"database": [schema] * len(names), "tableName": names, "isTemporary": [False] * len(names)}
        )

    def _history(self, table: exp.Table) -> pa.Table:
        _, meta = self._meta(table)
        rows = list(reversed(meta["history"]))
        return pa.table(
            {
                "version": pa.array([r[0] for r in rows], pa.int64()),
                "timestamp": pa.array([r[1] for r in rows], pa.timestamp("us", tz="UTC")),
                "operation": [r[2] for r in rows],
            }
        )

    def _describe(self, table: exp.Table) -> pa.Table:
        key, _ = self._meta(table)
        rows = self.db.execute(f"DESCRIBE {self._q(*key)}").fetchall()
        cols = [(r[0], duck_type_to_databricks(r[1])) for r in rows if r[0] not in HIDDEN.values()]
        return pa.table(
            {"col_name": [c[0] for c in cols], "data_type": [c[1] for c in cols], "comment": [None] * len(cols)}
        )

    def _select(self, tree: exp.Select) -> pa.Table:
        tree = tree.copy()
        for table in list(tree.find_all(exp.Table)):
            key, meta = self._meta(table)
            catalog, schema, name = key
            version = table.args.get("version")
            if version is not None:
                v = int(version.expression.this)
                if v > meta["version"] or v < 0:
                    raise server_error(f"[DELTA_VERSION_NOT_FOUND] Cannot time travel to version {v} of {name}")
                name = f"__v{v}__{name}"
                table.set("version", None)
            table.set("this", exp.to_identifier(name, quoted=True))
            table.set("db", exp.to_identifier(schema, quoted=True))
            table.set("catalog", exp.to_identifier(catalog, quoted=True))
        for col in list(tree.find_all(exp.Column)):
            if col.table == "_metadata":
                assert col.name in HIDDEN, f"unknown _metadata field {col.name}"
                col.replace(exp.column(HIDDEN[col.name]))
        for select in tree.find_all(exp.Select):
            source = select.args.get("from_") or select.args.get("from")
            if source is not None and isinstance(source.this, exp.Table):
                for star in select.expressions:
                    if isinstance(star, exp.Star):
                        star.set("except_", [exp.column(h) for h in HIDDEN.values()])
        for cur in list(tree.find_all(exp.CurrentCatalog)):
            cur.replace(exp.Literal.string(self.catalog))
        return self._run(tree.sql(dialect="duckdb"))

    # ------------------------------------------------------------------ volume
    def _volume_local(self, volume_path: str) -> Path:
        assert volume_path.startswith("/Volumes/")
        rel = volume_path[len("/Volumes/") :]
        assert ".." not in rel.split("/")
        return self.volumes / rel

    def _staging(self, sql: str, staging_dir: str) -> None:
        match = STAGING_COMMAND_RE.fullmatch(sql)
        assert match, f"staging command outside the adapter's grammar: {sql}"
        if match.group("put"):
            local = os.path.abspath(unquote_string_literal(match.group("local")))
            allowed = os.path.abspath(staging_dir)
            if os.path.commonpath([local, allowed]) != allowed:
                raise dbx_exc.ProgrammingError(
                    "Local file operations are restricted to paths within the configured staging_allowed_local_path"
                )
            target = self._volume_local(unquote_string_literal(match.group("put")))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local, target)
        else:
            target = self._volume_local(unquote_string_literal(match.group("remove")))
            if not target.exists():
                raise server_error(f"[FILE_NOT_FOUND] {match.group('remove')}")
            target.unlink()
        return None


class FakeConnection:
    def __init__(self, workspace: DuckDBWorkspace, staging_dir: str) -> None:
        self.workspace = workspace
        self.staging_dir = staging_dir
        self.closed = False

    def cursor(self) -> FakeCursor:
        if self.closed:
            raise dbx_exc.InterfaceError("connection is closed")
        return FakeCursor(self)

    def close(self) -> None:
        self.closed = True


class FakeCursor:
    def __init__(self, conn: FakeConnection) -> None:
        self.conn = conn
        self.result: pa.Table | None = None
        self.offset = 0

    def execute(self, operation: str) -> FakeCursor:
        self.result = self.conn.workspace.execute(operation, self.conn.staging_dir)
        self.offset = 0
        return self

    def fetchall_arrow(self) -> pa.Table:
        if self.result is None:
            raise dbx_exc.Error("no result set")
        rest = self.result.slice(self.offset)
        self.offset = self.result.num_rows
        return rest

    def fetchmany_arrow(self, size: int) -> pa.Table:
        if self.result is None:
            raise dbx_exc.Error("no result set")
        part = self.result.slice(self.offset, size)
        self.offset += part.num_rows
        return part

    def close(self) -> None:
        self.result = None


def _sql_str(text: str) -> str:
    return text.replace("'", "''")


def _duck_message(text: str) -> str:
    first = text.splitlines()[0] if text else text
    if "Schema with name" in first or "because schema" in first:
        return f"[SCHEMA_NOT_FOUND] {first}"
    if "Table with name" in first and "does not exist" in first:
        return f"[TABLE_OR_VIEW_NOT_FOUND] {first}"
    return first


_DUCK_SIMPLE = {
    "BIGINT": "bigint",
    "INTEGER": "int",
    "SMALLINT": "smallint",
    "TINYINT": "tinyint",
    "DOUBLE": "double",
    "FLOAT": "float",
    "BOOLEAN": "boolean",
    "VARCHAR": "string",
    "DATE": "date",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
    "TIMESTAMP": "timestamp_ntz",
    "BLOB": "binary",
}


def duck_type_to_databricks(name: str) -> str:
    name = name.strip()
    if name.endswith("[]"):
        return f"array<{duck_type_to_databricks(name[:-2])}>"
    if name in _DUCK_SIMPLE:
        return _DUCK_SIMPLE[name]
    m = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", name)
    if m:
        return f"decimal({m.group(1)},{m.group(2)})"
    return name.lower()
