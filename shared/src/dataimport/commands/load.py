"""``dataimport load``: load a CSV or Parquet file into ``import_<org_id>.<table>`` of the configured warehouse.

CSV columns are all read as text (no type sniffing: ``00123`` stays ``00123``, an empty field stays an empty
string); Parquet columns keep their types. The file is streamed in batches, never held whole in memory.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dataimport.settings import CommonSettings
from dataimport.warehouse.factory import make_warehouse
from dataimport.warehouse.names import InvalidName, check_table_name, org_schema
from dataimport.warehouse.port import Warehouse, WarehouseError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("load", help="load a CSV or Parquet file into import_<org>.<table>")
    p.add_argument("--org", type=int, required=True, help="org id")
    p.add_argument("--table", required=True, help="table name (letters, digits, _)")
    p.add_argument("path", help="a .csv or .parquet file")
    p.add_argument("--mode", choices=["overwrite", "append"], default="overwrite")
    p.add_argument("--delimiter", default=",", help="CSV field delimiter (default ,)")
    p.set_defaults(func=run)


def csv_reader(path: str | Path, delimiter: str = ",", block_size: int = 16 << 20) -> pa.RecordBatchReader:
    """A streaming reader over a CSV file with every column as ``string`` (header row = column names)."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        try:
            header = next(csv.reader(fh, delimiter=delimiter))
        except StopIteration:
            raise ValueError(f"{path}: empty file (no header row)") from None
    names = [h.strip() for h in header]
    if any(not n for n in names):
        raise ValueError(f"{path}: the header has an empty column name")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"{path}: duplicate column names in the header: {', '.join(dupes)}")
    return pacsv.open_csv(
        str(path),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=block_size),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def parquet_reader(path: str | Path, batch_size: int = 64_000) -> pa.RecordBatchReader:
    pf = pq.ParquetFile(str(path))
    return pa.RecordBatchReader.from_batches(pf.schema_arrow, pf.iter_batches(batch_size=batch_size))


def open_source(path: str | Path, delimiter: str = ",") -> pa.RecordBatchReader:
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return csv_reader(path, "\t" if suffix == ".tsv" and delimiter == "," else delimiter)
    if suffix in (".parquet", ".pq"):
        return parquet_reader(path)
    raise ValueError(f"{path}: expected a .csv or .parquet file")


class _Counting:
    """Wraps a reader, counting the rows that pass through."""

    def __init__(self, reader: pa.RecordBatchReader) -> None:
        self.reader, self.rows = reader, 0

    def _batches(self) -> Iterator[pa.RecordBatch]:
        for batch in self.reader:
            self.rows += batch.num_rows
            yield batch

    def stream(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self.reader.schema, self._batches())


async def load_into(
    warehouse: Warehouse, org_id: int, table: str, data: pa.Table | pa.RecordBatchReader, mode: str = "overwrite"
) -> int:
    """Write ``data`` as the source table ``import_<org_id>.<table>``; returns the rows written.

    Adapters that can hold source tables expose ``write_table(org_id, table, data, mode)`` (not part of the
    port: the services never write source tables)."""
    check_table_name(table)
    org_schema(org_id)
    writer = getattr(warehouse, "write_table", None)
    if writer is None:
        raise WarehouseError(f"the {warehouse.kind} warehouse cannot load files with this command")
    if isinstance(data, pa.Table):
        await writer(org_id, table, data, mode=mode)
        return data.num_rows
    counting = _Counting(data)
    await writer(org_id, table, counting.stream(), mode=mode)
    return counting.rows


def _location(warehouse: Warehouse, org_id: int, table: str) -> str:
    locate = getattr(warehouse, "table_location", None)
    where = f"{org_schema(org_id)}.{table}"
    return f"{where} ({locate(org_id, table)})" if locate else where


async def run(args: argparse.Namespace) -> int:
    try:
        check_table_name(args.table)
        org_schema(args.org)
        source = open_source(args.path, args.delimiter)
    except (InvalidName, ValueError, OSError, pa.ArrowException) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    warehouse = make_warehouse(CommonSettings())
    try:
        rows = await load_into(warehouse, args.org, args.table, source, mode=args.mode)
    except (WarehouseError, ValueError, OSError, pa.ArrowException) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # deltalake errors (schema mismatch on append, bad column names, ...)
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        await warehouse.close()
    print(f"loaded {rows} rows into {_location(warehouse, args.org, args.table)} ({args.mode})")
    return 0
