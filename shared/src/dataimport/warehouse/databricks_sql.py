"""SQL text for the ``databricks`` warehouse adapter: quoting, literals, types and the statements it emits.

Everything the adapter sends to a SQL warehouse is built here, from checked names only:

- identifiers are always quoted with backticks (a backtick inside is doubled), and a table is always named as
  ``[`catalog`.]`import_<org_id>`.`<table>``` -- built from :func:`names.org_schema` and
  :func:`names.check_table_name`, so no statement can reach a table outside the org's schema;
- string literals (file paths) escape ``\\`` and ``'`` the Databricks way (backslash escapes);
- numbers are formatted from ``int``.

Record order (``_row_id``): the records of a pinned version are numbered in the order
``(_metadata.file_modification_time, _metadata.file_path, _metadata.row_index)`` -- the data file's commit time,
its path, and the record's position inside that Parquet file. All three are fixed for a pinned Delta version
(data files are immutable), so every process numbers the records the same way; it is the same order the
``delta`` adapter uses (commit modification time, path, position).

Every statement here parses with ``sqlglot.parse_one(sql, read="databricks")`` (the test seam asserts it),
except the two volume staging commands ``PUT`` and ``REMOVE``, which are not SQL the warehouse executes: the
connector intercepts them and moves the file itself. Their grammar is fixed and checked by
:data:`STAGING_COMMAND_RE`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pyarrow as pa

from .names import check_table_name, org_schema

META_FILE = "_metadata.file_path"
META_MTIME = "_metadata.file_modification_time"
META_ROW = "_metadata.row_index"
ORDER_KEY = (META_MTIME, META_FILE, META_ROW)
"""The deterministic record order of a pinned version (see the module docstring)."""

FILE_COL = "__dataimport_file"
ROW_COL = "__dataimport_row"
"""Aliases of ``_metadata.file_path`` / ``_metadata.row_index`` in chunk reads (dropped before returning)."""

STAGING_COMMAND_RE = re.compile(
    r"^(?:PUT '(?P<local>(?:[^'\\]|\\.)+)' INTO '(?P<put>/Volumes/(?:[^'\\]|\\.)+)' OVERWRITE"
    r"|REMOVE '(?P<remove>/Volumes/(?:[^'\\]|\\.)+)')$"
)


# ---------------------------------------------------------------------------------------------------- quoting
def quote_ident(name: str) -> str:
    """A backtick-quoted identifier; backticks inside are doubled."""
    if not isinstance(name, str) or name == "":
        raise ValueError("identifier must be a non-empty string")
    if "\x00" in name:
        raise ValueError("identifier must not contain NUL")
    return "`" + name.replace("`", "``") + "`"


def string_literal(value: str) -> str:
    """A Databricks SQL string literal (backslash escapes are on by default in Databricks SQL)."""
    if "\x00" in value:
        raise ValueError("string literal must not contain NUL")
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def unquote_string_literal(text: str) -> str:
    """Inverse of :func:`string_literal` for the body between the quotes."""
    return re.sub(r"\\(.)", r"\1", text)


def schema_ref(catalog: str | None, org_id: int) -> str:
    schema = quote_ident(org_schema(org_id))
    return f"{quote_ident(catalog)}.{schema}" if catalog else schema


def table_ref(catalog: str | None, org_id: int, table: str) -> str:
    return f"{schema_ref(catalog, org_id)}.{quote_ident(check_table_name(table))}"


def display_name(catalog: str | None, org_id: int, table: str) -> str:
    """Unquoted, for messages."""
    base = f"{org_schema(org_id)}.{table}"
    return f"{catalog}.{base}" if catalog else base


def _version_clause(version: int | None) -> str:
    if version is None:
        return ""
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ValueError(f"bad table version {version!r}")
    return f" VERSION AS OF {int(version)}"


# ---------------------------------------------------------------------------------------------------- types
def arrow_to_sql_type(dtype: pa.DataType) -> str:
    """The Databricks column type for an Arrow type (upper-case, as written in DDL)."""
    t = pa.types
    if t.is_int64(dtype) or t.is_uint32(dtype):
        return "BIGINT"
    if t.is_int32(dtype) or t.is_uint16(dtype):
        return "INT"
    if t.is_int16(dtype) or t.is_uint8(dtype):
        return "SMALLINT"
    if t.is_int8(dtype):
        return "TINYINT"
    if t.is_uint64(dtype):
        return "DECIMAL(20,0)"
    if t.is_float64(dtype):
        return "DOUBLE"
    if t.is_float32(dtype) or t.is_float16(dtype):
        return "FLOAT"
    if t.is_boolean(dtype):
        return "BOOLEAN"
    if t.is_string(dtype) or t.is_large_string(dtype) or t.is_null(dtype) or getattr(t, "is_string_view", bool)(
        dtype
    ):
        return "STRING"
    if t.is_binary(dtype) or t.is_large_binary(dtype) or t.is_fixed_size_binary(dtype):
        return "BINARY"
    if t.is_date(dtype):
        return "DATE"
    if t.is_timestamp(dtype):
        return "TIMESTAMP" if dtype.tz is not None else "TIMESTAMP_NTZ"
    if t.is_decimal(dtype):
        if dtype.precision > 38:
            raise ValueError(f"decimal precision {dtype.precision} is above Databricks' maximum of 38")
        return f"DECIMAL({dtype.precision},{dtype.scale})"
    if t.is_list(dtype) or t.is_large_list(dtype) or t.is_fixed_size_list(dtype):
        return f"ARRAY<{arrow_to_sql_type(dtype.value_type)}>"
    if t.is_map(dtype):
        return f"MAP<{arrow_to_sql_type(dtype.key_type)}, {arrow_to_sql_type(dtype.item_type)}>"
    if t.is_struct(dtype):
        inner = ", ".join(f"{quote_ident(f.name)}: {arrow_to_sql_type(f.type)}" for f in dtype)
        return f"STRUCT<{inner}>"
    if t.is_dictionary(dtype):
        return arrow_to_sql_type(dtype.value_type)
    raise ValueError(f"no Databricks column type for Arrow type {dtype}")


def storable_arrow_type(dtype: pa.DataType) -> pa.DataType:
    """The Arrow type a Parquet file must carry so that ``COPY INTO`` loads it into :func:`arrow_to_sql_type`."""
    t = pa.types
    if t.is_uint32(dtype):
        return pa.int64()
    if t.is_uint16(dtype):
        return pa.int32()
    if t.is_uint8(dtype):
        return pa.int16()
    if t.is_uint64(dtype):
        return pa.decimal128(20, 0)
    if t.is_float16(dtype):
        return pa.float32()
    if t.is_null(dtype) or t.is_large_string(dtype) or getattr(t, "is_string_view", bool)(dtype):
        return pa.string()
    if t.is_large_binary(dtype) or t.is_fixed_size_binary(dtype):
        return pa.binary()
    if t.is_date64(dtype):
        return pa.date32()
    if t.is_timestamp(dtype):
        return pa.timestamp("us", tz="UTC" if dtype.tz is not None else None)
    if t.is_list(dtype) or t.is_large_list(dtype) or t.is_fixed_size_list(dtype):
        return pa.list_(storable_arrow_type(dtype.value_type))
    if t.is_map(dtype):
        return pa.map_(storable_arrow_type(dtype.key_type), storable_arrow_type(dtype.item_type))
    if t.is_struct(dtype):
        return pa.struct([pa.field(f.name, storable_arrow_type(f.type)) for f in dtype])
    if t.is_dictionary(dtype):
        return storable_arrow_type(dtype.value_type)
    return dtype


def storable_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, storable_arrow_type(f.type)) for f in schema])


def normalize_type_name(name: str) -> str:
    """A Databricks type name as ``DESCRIBE TABLE`` prints it, in the port's spelling: lower-case, no spaces."""
    return re.sub(r"\s+", "", name.strip().lower())


# ---------------------------------------------------------------------------------------------------- statements
def show_tables(catalog: str | None, org_id: int) -> str:
    return f"SHOW TABLES IN {schema_ref(catalog, org_id)}"


def describe_table(catalog: str | None, org_id: int, table: str) -> str:
    return f"DESCRIBE TABLE {table_ref(catalog, org_id, table)}"


def describe_history(catalog: str | None, org_id: int, table: str) -> str:
    return f"DESCRIBE HISTORY {table_ref(catalog, org_id, table)}"


def current_catalog() -> str:
    return "SELECT current_catalog() AS catalog"


def count_rows(catalog: str | None, org_id: int, table: str, version: int | None = None) -> str:
    return f"SELECT COUNT(*) AS n FROM {table_ref(catalog, org_id, table)}{_version_clause(version)}"


def preview(catalog: str | None, org_id: int, table: str, limit: int) -> str:
    order = ", ".join(ORDER_KEY)
    return f"SELECT * FROM {table_ref(catalog, org_id, table)} ORDER BY {order} LIMIT {max(0, int(limit))}"


def select_all(catalog: str | None, org_id: int, table: str, version: int | None = None) -> str:
    return f"SELECT * FROM {table_ref(catalog, org_id, table)}{_version_clause(version)}"


def report_page(
    catalog: str | None, org_id: int, table: str, after_row_id: int, limit: int, status: str | None = None
) -> str:
    """A page of a report table in ``_row_id`` order (keyset pagination)."""
    where = f"{quote_ident('_row_id')} > {int(after_row_id)}"
    if status is not None:
        where += f" AND {quote_ident('_status')} = {string_literal(str(status))}"
    return (
        f"SELECT * FROM {table_ref(catalog, org_id, table)} WHERE {where} "
        f"ORDER BY {quote_ident('_row_id')} LIMIT {max(0, int(limit))}"
    )


def file_stats(catalog: str | None, org_id: int, table: str, version: int) -> str:
    """Per data file of a pinned version: its path, commit time, live record count and row-index range."""
    return (
        f"SELECT {META_FILE} AS file_path, {META_MTIME} AS file_mtime, COUNT(*) AS n, "
        f"MIN({META_ROW}) AS min_row, MAX({META_ROW}) AS max_row "
        f"FROM {table_ref(catalog, org_id, table)}{_version_clause(version)} "
        f"GROUP BY {META_FILE}, {META_MTIME}"
    )


def file_boundaries(
    catalog: str | None, org_id: int, table: str, version: int, file_path: str, first_row_id: int, chunk_size: int
) -> str:
    """For a data file whose live rows are not one contiguous row-index range (deletion vectors): the row index
    of every live record of the file that starts a chunk, with the record's ordinal within the file."""
    return (
        f"SELECT row_index, k FROM (SELECT {META_ROW} AS row_index, "
        f"ROW_NUMBER() OVER (ORDER BY {META_ROW}) - 1 AS k "
        f"FROM {table_ref(catalog, org_id, table)}{_version_clause(version)} "
        f"WHERE {META_FILE} = {string_literal(file_path)}) AS live "
        f"WHERE (k + {int(first_row_id)}) % {int(chunk_size)} = 0 ORDER BY k"
    )


def read_pieces(
    catalog: str | None, org_id: int, table: str, version: int, pieces: Sequence[tuple[str, int, int]]
) -> str:
    """The records of a chunk: each piece is ``(file_path, first_row_index, end_row_index)`` (end exclusive)."""
    if not pieces:
        raise ValueError("a chunk has at least one piece")
    conds = " OR ".join(
        f"({META_FILE} = {string_literal(path)} AND {META_ROW} >= {int(lo)} AND {META_ROW} < {int(hi)})"
        for path, lo, hi in pieces
    )
    return (
        f"SELECT *, {META_FILE} AS {FILE_COL}, {META_ROW} AS {ROW_COL} "
        f"FROM {table_ref(catalog, org_id, table)}{_version_clause(version)} WHERE {conds}"
    )


def column_defs(schema: pa.Schema) -> str:
    if len(schema) == 0:
        raise ValueError("a table needs at least one column")
    return ", ".join(f"{quote_ident(f.name)} {arrow_to_sql_type(f.type)}" for f in schema)


def create_table(catalog: str | None, org_id: int, table: str, schema: pa.Schema, *, replace: bool = False) -> str:
    head = "CREATE OR REPLACE TABLE" if replace else "CREATE TABLE IF NOT EXISTS"
    return f"{head} {table_ref(catalog, org_id, table)} ({column_defs(schema)}) USING DELTA"


def create_schema(catalog: str | None, org_id: int) -> str:
    return f"CREATE SCHEMA IF NOT EXISTS {schema_ref(catalog, org_id)}"


def drop_schema(catalog: str | None, org_id: int) -> str:
    return f"DROP SCHEMA IF EXISTS {schema_ref(catalog, org_id)} CASCADE"


def copy_into(
    catalog: str | None, org_id: int, table: str, directory: str, files: Sequence[str] | None = None
) -> str:
    """Load staged Parquet files. ``COPY INTO`` remembers the files it loaded into a table and skips them on a
    later run, so loading a deterministically named file is exactly-once."""
    sql = f"COPY INTO {table_ref(catalog, org_id, table)} FROM {string_literal(directory)} FILEFORMAT = PARQUET"
    if files:
        for name in files:
            if "/" in name or name in ("", ".", ".."):
                raise ValueError(f"bad staged file name {name!r}")
        sql += " FILES = (" + ", ".join(string_literal(n) for n in files) + ")"
    return sql + " COPY_OPTIONS ('mergeSchema' = 'false')"


def put_file(local_path: str, volume_path: str) -> str:
    """Connector staging command: upload a local file into a Unity Catalog volume."""
    return f"PUT {string_literal(local_path)} INTO {string_literal(_volume_path(volume_path))} OVERWRITE"


def remove_file(volume_path: str) -> str:
    return f"REMOVE {string_literal(_volume_path(volume_path))}"


def _volume_path(path: str) -> str:
    if not path.startswith("/Volumes/") or "/../" in path + "/" or "/./" in path + "/":
        raise ValueError(f"staging path must be inside /Volumes/: {path!r}")
    return path


_SIMPLE_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "bigint": pa.int64(),
    "long": pa.int64(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "smallint": pa.int16(),
    "short": pa.int16(),
    "tinyint": pa.int8(),
    "byte": pa.int8(),
    "double": pa.float64(),
    "float": pa.float32(),
    "real": pa.float32(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "timestamp_ltz": pa.timestamp("us", tz="UTC"),
    "timestamp_ntz": pa.timestamp("us"),
    "binary": pa.binary(),
    "void": pa.null(),
}


def _split_top(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def sql_type_to_arrow(name: str) -> pa.DataType | None:
    """The Arrow type the adapter returns for a Databricks column type (``None``: no fixed mapping, keep what
    the connector gives)."""
    t = normalize_type_name(name)
    if t in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[t]
    if t.startswith(("varchar(", "char(")):
        return pa.string()
    m = re.fullmatch(r"(?:decimal|dec|numeric)(?:\((\d+)(?:,(\d+))?\))?", t)
    if m:
        return pa.decimal128(int(m.group(1) or 10), int(m.group(2) or 0))
    if t.startswith("array<") and t.endswith(">"):
        inner = sql_type_to_arrow(t[6:-1])
        return pa.list_(inner) if inner is not None else None
    if t.startswith("map<") and t.endswith(">"):
        parts = _split_top(t[4:-1])
        if len(parts) != 2:
            return None
        key, value = (sql_type_to_arrow(p) for p in parts)
        return pa.map_(key, value) if key is not None and value is not None else None
    if t.startswith("struct<") and t.endswith(">"):
        fields = []
        for part in _split_top(t[7:-1]):
            fname, sep, ftype = part.partition(":")
            if not sep:
                return None
            arrow = sql_type_to_arrow(ftype)
            if arrow is None:
                return None
            fields.append(pa.field(fname.strip("`"), arrow))
        return pa.struct(fields)
    return None
