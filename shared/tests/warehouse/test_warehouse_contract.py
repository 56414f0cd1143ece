"""The warehouse port's contract, run against every adapter in ``ADAPTERS``.

An adapter joins the suite by adding its name to ``ADAPTERS`` and a branch to ``_make`` and ``write_source``
(the port has no method for writing source tables: tests seed them through the adapter's own means).

``databricks`` runs here against a DuckDB-backed stand-in for a SQL warehouse (``databricks_duckdb.py``: every
statement the adapter emits is parsed as Databricks SQL, then executed on DuckDB). The same tests run against a
real workspace from ``test_databricks_live.py`` when one is configured.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import textwrap
from decimal import Decimal

import pyarrow as pa
import pytest

from dataimport.warehouse.port import ROW_ID, ChunkSpec, Snapshot, TableNotFound, Warehouse, WarehouseError

ADAPTERS = ["delta", "databricks"]
ORG = 1001

sys.path.insert(0, os.path.dirname(__file__))
_WORKSPACES: dict[str, object] = {}
"""DuckDB stand-ins for a Databricks workspace, one per test (keyed by tmp_path): every adapter made for the same
tmp_path talks to the same "workspace", like two processes talking to one SQL warehouse."""

DBX_CATALOG = "lakehouse"
DBX_VOLUME = "/Volumes/lakehouse/ops/staging"
DBX_HOST = "adb-1234567890123456.7.azuredatabricks.net"


def workspace_for(tmp_path):
    from databricks_duckdb import DuckDBWorkspace

    key = str(tmp_path)
    if key not in _WORKSPACES:
        _WORKSPACES[key] = DuckDBWorkspace(tmp_path / "databricks", catalog=DBX_CATALOG)
    return _WORKSPACES[key]


def _make(kind: str, tmp_path) -> Warehouse:
    if kind == "delta":
        from dataimport.warehouse.delta import DeltaWarehouse

        return DeltaWarehouse(str(tmp_path / "warehouse"))
    if kind == "databricks":
        from dataimport.warehouse.databricks import DatabricksWarehouse, RetryPolicy

        wh = DatabricksWarehouse(
            workspace_for(tmp_path).connect,
            catalog=DBX_CATALOG,
            staging_volume=DBX_VOLUME,
            server_hostname=DBX_HOST,
            retry=RetryPolicy(attempts=4, base_delay=0.001, max_delay=0.01),
        )
        wh._contract_clone = lambda: _make("databricks", tmp_path)  # type: ignore[attr-defined]
        return wh
    raise AssertionError(kind)


def _another(wh: Warehouse) -> Warehouse:
    """A second adapter on the same storage (what another process would use)."""
    clone = getattr(wh, "_contract_clone", None)
    if clone is not None:
        return clone()
    return _make(wh.kind, _root_of(wh))


@pytest.fixture(params=ADAPTERS)
async def warehouse(request, tmp_path):
    wh = _make(request.param, tmp_path)
    yield wh
    await wh.close()
    workspace = _WORKSPACES.pop(str(tmp_path), None)
    if workspace is not None:
        workspace.close()


async def write_source(wh: Warehouse, org_id: int, table: str, data: pa.Table, mode: str = "overwrite") -> None:
    """Seed a source table; each call is one commit (one or more data files)."""
    if wh.kind in ("delta", "databricks"):
        await wh.write_table(org_id, table, data, mode=mode)  # type: ignore[attr-defined]
        return
    raise AssertionError(wh.kind)


def typed_table(n: int = 3, start: int = 0) -> pa.Table:
    ids = list(range(start, start + n))
    return pa.table(
        {
            "big": pa.array(ids, pa.int64()),
            "small": pa.array([i % 100 for i in ids], pa.int32()),
            "mobile": pa.array([Decimal(919876543210 + i) for i in ids], pa.decimal128(12, 0)),
            "amount": pa.array([i + 0.5 for i in ids], pa.float64()),
            "flag": pa.array([i % 2 == 0 for i in ids], pa.bool_()),
            "code": pa.array([f"{i:05d}" for i in ids], pa.string()),
            "day": pa.array([dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in ids], pa.date32()),
            "ts": pa.array(
                [dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=i) for i in ids],
                pa.timestamp("us", tz="UTC"),
            ),
            "ts_ntz": pa.array([dt.datetime(2021, 1, 1) + dt.timedelta(minutes=i) for i in ids], pa.timestamp("us")),
            "tags": pa.array([["a", str(i)] for i in ids], pa.list_(pa.string())),
        }
    )


def seq_table(start: int, n: int) -> pa.Table:
    return pa.table(
        {"n": pa.array(range(start, start + n), pa.int64()), "s": [f"r{i}" for i in range(start, start + n)]}
    )


async def test_list_tables_is_live(warehouse):
    assert await warehouse.list_tables(ORG) == []
    await write_source(warehouse, ORG, "b_table", seq_table(0, 2))
    assert await warehouse.list_tables(ORG) == ["b_table"]
    await write_source(warehouse, ORG, "a_table", seq_table(0, 2))
    assert await warehouse.list_tables(ORG) == ["a_table", "b_table"]
    assert await warehouse.list_tables(ORG + 1) == []
    assert await warehouse.table_exists(ORG, "a_table")
    assert not await warehouse.table_exists(ORG, "nope")


async def test_schema_types(warehouse):
    await write_source(warehouse, ORG, "typed", typed_table())
    cols = await warehouse.schema(ORG, "typed")
    assert [(c.name, c.type) for c in cols] == [
        ("big", "bigint"),
        ("small", "int"),
        ("mobile", "decimal(12,0)"),
        ("amount", "double"),
        ("flag", "boolean"),
        ("code", "string"),
        ("day", "date"),
        ("ts", "timestamp"),
        ("ts_ntz", "timestamp_ntz"),
        ("tags", "array<string>"),
    ]


async def test_count_and_preview(warehouse):
    await write_source(warehouse, ORG, "seq", seq_table(0, 40))
    await write_source(warehouse, ORG, "seq", seq_table(40, 40), mode="append")
    assert await warehouse.count(ORG, "seq") == 80
    top = await warehouse.preview(ORG, "seq")
    assert top.num_rows == 50
    assert ROW_ID not in top.column_names
    assert top.column("n").to_pylist() == list(range(50))
    top3 = await warehouse.preview(ORG, "seq", limit=3)
    assert top3.column("n").to_pylist() == [0, 1, 2]


async def test_table_not_found(warehouse):
    for call in (
        warehouse.schema(ORG, "missing_table"),
        warehouse.count(ORG, "missing_table"),
        warehouse.snapshot(ORG, "missing_table"),
        warehouse.preview(ORG, "missing_table"),
    ):
        with pytest.raises(TableNotFound) as err:
            await call
        assert f"import_{ORG}.missing_table" in str(err.value)


async def test_bad_names_refused(warehouse):
    with pytest.raises(ValueError):
        await warehouse.count(ORG, "other.table")
    with pytest.raises(ValueError):
        await warehouse.count(ORG, "../x")


async def _read_all(wh, table, snap, chunk_size) -> tuple[list[ChunkSpec], pa.Table]:
    chunks = await wh.plan_chunks(ORG, table, snap, chunk_size)
    parts = [await wh.read_chunk(ORG, table, snap, c) for c in chunks]
    return chunks, pa.concat_tables(parts)


@pytest.mark.parametrize("chunk_size", [1, 7, 1000])
async def test_plan_covers_every_row_once(warehouse, chunk_size):
    # several commits -> several data files of different sizes
    sizes = [5, 13, 1, 9]
    start = 0
    for i, n in enumerate(sizes):
        await write_source(warehouse, ORG, "multi", seq_table(start, n), mode="overwrite" if i == 0 else "append")
        start += n
    total = sum(sizes)
    snap = await warehouse.snapshot(ORG, "multi")
    assert snap.records == total
    chunks, data = await _read_all(warehouse, "multi", snap, chunk_size)
    assert [c.chunk_no for c in chunks] == list(range(len(chunks)))
    assert all(0 < c.row_count <= chunk_size for c in chunks)
    assert sum(c.row_count for c in chunks) == total
    assert len(chunks) == -(-total // chunk_size)
    expected_first = 0
    for c in chunks:
        assert c.first_row_id == expected_first
        assert isinstance(c.locator, str)
        expected_first += c.row_count
    assert data.column_names[0] == ROW_ID
    assert data.schema.field(ROW_ID).type == pa.int64()
    assert data.column(ROW_ID).to_pylist() == list(range(total))
    assert sorted(data.column("n").to_pylist()) == list(range(total))  # every record exactly once
    # deterministic: same plan again, and from a fresh adapter (another process would see the same)
    assert await warehouse.plan_chunks(ORG, "multi", snap, chunk_size) == chunks
    other = _another(warehouse)
    assert await other.plan_chunks(ORG, "multi", snap, chunk_size) == chunks
    _, again = await _read_all(other, "multi", snap, chunk_size)
    assert again.equals(data)
    await other.close()


def _root_of(wh):
    # tmp_path used by _make: the adapter root is <tmp_path>/warehouse
    from pathlib import Path

    return Path(wh.root_uri).parent


async def test_snapshot_pins_version(warehouse):
    await write_source(warehouse, ORG, "pinned", seq_table(0, 10))
    snap = await warehouse.snapshot(ORG, "pinned")
    await write_source(warehouse, ORG, "pinned", seq_table(100, 5), mode="append")
    chunks, data = await _read_all(warehouse, "pinned", snap, 4)
    assert sum(c.row_count for c in chunks) == 10
    assert sorted(data.column("n").to_pylist()) == list(range(10))
    # even after an overwrite the pinned snapshot reads the old data
    await write_source(warehouse, ORG, "pinned", seq_table(500, 3))
    again = pa.concat_tables([await warehouse.read_chunk(ORG, "pinned", snap, c) for c in chunks])
    assert again.equals(data)
    new = await warehouse.snapshot(ORG, "pinned")
    assert new.version > snap.version and new.records == 3


async def test_read_chunk_types_match_schema(warehouse):
    await write_source(warehouse, ORG, "typed", typed_table(5))
    await write_source(warehouse, ORG, "typed", typed_table(4, start=5), mode="append")
    snap = await warehouse.snapshot(ORG, "typed")
    chunks = await warehouse.plan_chunks(ORG, "typed", snap, 3)
    schemas = set()
    for c in chunks:
        part = await warehouse.read_chunk(ORG, "typed", snap, c)
        assert part.num_rows == c.row_count
        schemas.add(part.schema.remove_metadata().to_string())
        assert part.schema.field("mobile").type == pa.decimal128(12, 0)
        assert part.schema.field("ts").type.tz is not None
        assert part.schema.field("ts_ntz").type.tz is None
        assert part.schema.field("day").type == pa.date32()
    assert len(schemas) == 1
    first = await warehouse.read_chunk(ORG, "typed", snap, chunks[0])
    assert first.column("mobile")[0].as_py() == Decimal("919876543210")
    assert str(first.column("mobile")[0].as_py()) == "919876543210"
    assert first.column("code").to_pylist() == ["00000", "00001", "00002"]
    assert first.column("tags")[1].as_py() == ["a", "1"]


async def test_read_chunk_rejects_foreign_locator(warehouse):
    await write_source(warehouse, ORG, "seq", seq_table(0, 3))
    snap = await warehouse.snapshot(ORG, "seq")
    (chunk,) = await warehouse.plan_chunks(ORG, "seq", snap, 10)
    with pytest.raises(WarehouseError):
        await warehouse.read_chunk(ORG, "seq", Snapshot(snap.version + 1, 3), chunk)


REPORT_SCHEMA = pa.schema(
    [
        pa.field(ROW_ID, pa.int64()),
        pa.field("mobile", pa.string()),
        pa.field("_status", pa.string()),
        pa.field("_errors", pa.list_(pa.string())),
        pa.field("_error_message", pa.string()),
    ]
)


def report_rows(start: int, n: int) -> pa.Table:
    return pa.table(
        {
            ROW_ID: pa.array(range(start, start + n), pa.int64()),
            "mobile": [f"9{i:09d}" for i in range(start, start + n)],
            "_status": ["INVALID"] * n,
            "_errors": [["mobile is invalid"]] * n,
            "_error_message": ["mobile is invalid"] * n,
        },
        schema=REPORT_SCHEMA,
    )


async def test_report_table_idempotent_parts(warehouse):
    table = "report_customer_job_validate_abc1234"
    await warehouse.create_report_table(ORG, table, REPORT_SCHEMA)
    await warehouse.create_report_table(ORG, table, REPORT_SCHEMA)  # no-op
    assert (await warehouse.read_table(ORG, table)).num_rows == 0
    assert [c.name for c in await warehouse.schema(ORG, table)] == REPORT_SCHEMA.names
    await warehouse.append_report_part(ORG, table, "job1:chunk0", report_rows(0, 5))
    await warehouse.append_report_part(ORG, table, "job1:chunk0", report_rows(0, 5))  # redelivery
    await warehouse.append_report_part(ORG, table, "job1:chunk1", report_rows(5, 3))
    data = await warehouse.read_table(ORG, table)
    assert sorted(data.column(ROW_ID).to_pylist()) == list(range(8))
    assert data.column("_errors")[0].as_py() == ["mobile is invalid"]
    assert await warehouse.count(ORG, table) == 8
    assert warehouse.report_link(ORG, table) is None or isinstance(warehouse.report_link(ORG, table), str)


_WORKER = textwrap.dedent(
    """
    import asyncio, sys
    import pyarrow as pa
    from dataimport.warehouse.delta import DeltaWarehouse
    sys.path.insert(0, sys.argv[4])
    from test_warehouse_contract import report_rows

    async def main(root, table, who):
        wh = DeltaWarehouse(root)
        for i in range(12):
            # own parts, plus parts both workers write (a redelivery racing the original)
            await wh.append_report_part(1001, table, f"{who}:{i}", report_rows(int(who) * 1000 + i * 10, 10))
            await wh.append_report_part(1001, table, f"shared:{i}", report_rows(50000 + i * 10, 10))

    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
    """
)


async def test_concurrent_appends_from_two_processes(warehouse, tmp_path):
    if warehouse.kind != "delta":
        pytest.skip("multi-process test drives the delta adapter directly")
    table = "report_customer_conc_validate_abc1234"
    await warehouse.create_report_table(ORG, table, REPORT_SCHEMA)
    import os

    here = os.path.dirname(__file__)
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _WORKER,
            warehouse.root_uri,
            table,
            who,
            here,
            stderr=asyncio.subprocess.PIPE,
        )
        for who in ("1", "2")
    ]
    results = [await p.communicate() for p in procs]
    for p, (_, err) in zip(procs, results):
        assert p.returncode == 0, err.decode()
    data = await warehouse.read_table(ORG, table)
    ids = sorted(data.column(ROW_ID).to_pylist())
    expected = sorted(
        [w * 1000 + i * 10 + k for w in (1, 2) for i in range(12) for k in range(10)]
        + [50000 + i * 10 + k for i in range(12) for k in range(10)]
    )
    assert ids == expected


async def test_delta_big_row_groups_are_streamed(tmp_path, monkeypatch):
    """Files written elsewhere may have row groups much larger than a chunk: read them in bounded batches."""
    from deltalake import WriterProperties, write_deltalake

    from dataimport.warehouse import delta
    from dataimport.warehouse.delta import DeltaWarehouse

    monkeypatch.setattr(delta, "_WHOLE_ROW_GROUP_ROWS", 8)
    wh = DeltaWarehouse(str(tmp_path / "wh"))
    uri = wh.table_location(ORG, "wide")
    (tmp_path / "wh" / f"import_{ORG}").mkdir(parents=True)
    write_deltalake(uri, seq_table(0, 500), writer_properties=WriterProperties(max_row_group_size=300))
    write_deltalake(uri, seq_table(500, 77), mode="append")
    snap = await wh.snapshot(ORG, "wide")
    for size in (1, 7, 64, 1000):
        chunks, data = await _read_all(wh, "wide", snap, size)
        assert data.column(ROW_ID).to_pylist() == list(range(577))
        assert sorted(data.column("n").to_pylist()) == list(range(577))


async def test_delta_written_tables_have_chunk_sized_row_groups(tmp_path):
    import pyarrow.parquet as pq

    from dataimport.warehouse.delta import SOURCE_ROW_GROUP_SIZE, DeltaWarehouse

    wh = DeltaWarehouse(str(tmp_path / "wh"))
    await wh.write_table(ORG, "big", seq_table(0, 25_000))
    files = list((tmp_path / "wh" / f"import_{ORG}" / "big").glob("*.parquet"))
    for f in files:
        meta = pq.ParquetFile(f).metadata
        assert all(meta.row_group(i).num_rows <= SOURCE_ROW_GROUP_SIZE for i in range(meta.num_row_groups))


async def test_delta_refuses_deletion_vectors(tmp_path):
    from deltalake import DeltaTable, write_deltalake

    from dataimport.warehouse.delta import DeltaWarehouse

    wh = DeltaWarehouse(str(tmp_path / "wh"))
    uri = wh.table_location(ORG, "dv")
    (tmp_path / "wh" / f"import_{ORG}").mkdir(parents=True)
    write_deltalake(uri, seq_table(0, 10), configuration={"delta.enableDeletionVectors": "true"})
    dtab = DeltaTable(uri)
    dtab.delete("n = 3")
    # delta-rs rewrites files instead of writing deletion vectors; either way the data read must be right
    try:
        snap = await wh.snapshot(ORG, "dv")
    except WarehouseError as exc:
        assert "deletion vectors" in str(exc)
        return
    _, data = await _read_all(wh, "dv", snap, 4)
    assert sorted(data.column("n").to_pylist()) == [i for i in range(10) if i != 3]


def test_factory_and_protocol(tmp_path):
    from dataimport.settings import CommonSettings
    from dataimport.warehouse.delta import DeltaWarehouse
    from dataimport.warehouse.factory import make_warehouse

    wh = make_warehouse(CommonSettings(warehouse="delta", warehouse_uri=str(tmp_path)))
    assert isinstance(wh, DeltaWarehouse) and isinstance(wh, Warehouse) and wh.kind == "delta"
