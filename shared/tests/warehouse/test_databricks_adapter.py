"""Databricks-only behaviour of the ``databricks`` adapter, on the DuckDB stand-in (see ``databricks_duckdb.py``).

The port's contract itself is checked in ``test_warehouse_contract.py`` (parametrised over both adapters)."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time

import pyarrow as pa
import pytest
import sqlglot
from databricks.sql import exc as dbx_exc

from dataimport.warehouse import databricks_sql as q
from dataimport.warehouse.databricks import DatabricksWarehouse, RetryPolicy, is_transient
from dataimport.warehouse.port import ROW_ID, TableNotFound, TransientWarehouseError, WarehouseError

sys.path.insert(0, os.path.dirname(__file__))
from databricks_duckdb import DuckDBWorkspace  # noqa: E402
from test_warehouse_contract import (  # noqa: E402
    DBX_CATALOG,
    DBX_HOST,
    DBX_VOLUME,
    ORG,
    REPORT_SCHEMA,
    report_rows,
    seq_table,
    typed_table,
)


@pytest.fixture
def workspace(tmp_path):
    ws = DuckDBWorkspace(tmp_path / "dbx", catalog=DBX_CATALOG)
    yield ws
    ws.close()


def make(ws: DuckDBWorkspace, **kwargs) -> DatabricksWarehouse:
    kwargs.setdefault("catalog", DBX_CATALOG)
    kwargs.setdefault("staging_volume", DBX_VOLUME)
    kwargs.setdefault("server_hostname", DBX_HOST)
    kwargs.setdefault("retry", RetryPolicy(attempts=4, base_delay=0.001, max_delay=0.01))
    return DatabricksWarehouse(ws.connect, **kwargs)


@pytest.fixture
async def wh(workspace):
    adapter = make(workspace)
    yield adapter
    await adapter.close()


async def test_every_statement_is_databricks_sql_and_quoted(wh, workspace):
    await wh.write_table(ORG, "typed", typed_table(5))
    snap = await wh.snapshot(ORG, "typed")
    for chunk in await wh.plan_chunks(ORG, "typed", snap, 2):
        await wh.read_chunk(ORG, "typed", snap, chunk)
    await wh.preview(ORG, "typed")
    await wh.list_tables(ORG)
    await wh.create_report_table(ORG, "report_x", REPORT_SCHEMA)
    await wh.append_report_part(ORG, "report_x", "k", report_rows(0, 3))
    assert workspace.statements
    for sql in workspace.statements:
        if sql.startswith(("PUT ", "REMOVE ")):
            assert q.STAGING_COMMAND_RE.fullmatch(sql), sql
            continue
        sqlglot.parse_one(sql, read="databricks")
        if "import_" in sql:  # every table reference is quoted and inside the org's schema
            assert f"`{DBX_CATALOG}`.`import_{ORG}`" in sql, sql
            assert f" import_{ORG}" not in sql and f".import_{ORG}" not in sql, sql


async def test_report_part_is_one_put_and_one_copy(wh, workspace):
    await wh.create_report_table(ORG, "report_bulk", REPORT_SCHEMA)
    before = len(workspace.statements)
    await wh.append_report_part(ORG, "report_bulk", "job:validate:0", report_rows(0, 5000))
    emitted = workspace.statements[before:]
    assert [s.split()[0] for s in emitted] == ["PUT", "COPY"]
    assert not any(s.upper().startswith("INSERT") for s in workspace.statements)
    assert await wh.count(ORG, "report_bulk") == 5000


async def test_redelivered_part_from_another_process_loads_once(wh, workspace):
    await wh.create_report_table(ORG, "report_twice", REPORT_SCHEMA)
    other = make(workspace)
    await asyncio.gather(
        wh.append_report_part(ORG, "report_twice", "job:validate:0", report_rows(0, 10)),
        other.append_report_part(ORG, "report_twice", "job:validate:0", report_rows(0, 10)),
        other.append_report_part(ORG, "report_twice", "job:validate:1", report_rows(10, 10)),
    )
    await other.append_report_part(ORG, "report_twice", "job:validate:0", report_rows(0, 10))
    data = await wh.read_table(ORG, "report_twice")
    assert sorted(data.column(ROW_ID).to_pylist()) == list(range(20))
    await other.close()


async def test_hostile_column_and_table_names(wh, workspace):
    data = pa.table({"we`ird col": [1, 2], "a'b\\c": ["x", "y"], "_row_id_src": [3, 4]})
    await wh.write_table(ORG, "hostile", data)
    cols = [c.name for c in await wh.schema(ORG, "hostile")]
    assert cols == ["we`ird col", "a'b\\c", "_row_id_src"]
    assert (await wh.read_table(ORG, "hostile")).column("we`ird col").to_pylist() == [1, 2]
    for bad in ("x`; DROP TABLE y; --", "a.b", "import_2.t", "t'"):
        with pytest.raises(ValueError):
            await wh.count(ORG, bad)
    with pytest.raises(ValueError):
        await wh.count(0, "t")
    assert q.quote_ident("a`b") == "`a``b`"
    assert q.string_literal("it's a \\ path") == "'it\\'s a \\\\ path'"


async def test_mobile_decimal_keeps_no_fraction(wh):
    await wh.write_table(ORG, "typed", typed_table(3))
    preview = await wh.preview(ORG, "typed")
    assert [str(v) for v in preview.column("mobile").to_pylist()] == ["919876543210", "919876543211", "919876543212"]
    assert preview.schema.field("tags").type == pa.list_(pa.string())
    assert preview.schema.field("ts_ntz").type == pa.timestamp("us")


async def test_deleted_rows_leave_row_index_gaps(wh, workspace):
    """Deletion vectors: live rows of a file are not one contiguous row-index range."""
    await wh.write_table(ORG, "gaps", seq_table(0, 20))
    await wh.write_table(ORG, "gaps", seq_table(20, 15), mode="append")
    conn = workspace.connect("/nonexistent")
    conn.cursor().execute(f"DELETE FROM `{DBX_CATALOG}`.`import_{ORG}`.`gaps` WHERE n % 3 = 1 OR n = 20")
    snap = await wh.snapshot(ORG, "gaps")
    alive = [n for n in range(35) if n % 3 != 1 and n != 20]
    assert snap.records == len(alive)
    for size in (1, 4, 7, 100):
        chunks = await wh.plan_chunks(ORG, "gaps", snap, size)
        assert [c.row_count for c in chunks[:-1]] == [size] * (len(chunks) - 1)
        parts = [await wh.read_chunk(ORG, "gaps", snap, c) for c in chunks]
        data = pa.concat_tables(parts)
        assert data.column(ROW_ID).to_pylist() == list(range(len(alive)))
        assert data.column("n").to_pylist() == alive  # file order, then row order
    assert any("ROW_NUMBER() OVER" in s for s in workspace.statements)  # gap files were planned by query


async def test_transient_errors_are_retried(wh, workspace):
    await wh.write_table(ORG, "seq", seq_table(0, 5))
    workspace.fail_next(
        dbx_exc.RequestError("Error during request to server: 429 Too Many Requests", context={"http-code": 429}),
        dbx_exc.OperationalError("Connection reset by peer"),
        dbx_exc.ServerOperationError("[TEMPORARILY_UNAVAILABLE] The SQL warehouse is starting"),
    )
    connections = workspace.connections
    assert await wh.count(ORG, "seq") == 5
    assert workspace.connections > connections  # broken connections were replaced


async def test_retries_are_bounded(wh, workspace):
    workspace.fail_next(*[dbx_exc.RequestError("HTTP 503 Service Unavailable", context={"http-code": 503})] * 10)
    with pytest.raises(TransientWarehouseError) as err:
        await wh.count(ORG, "seq")
    assert "4 attempts" in str(err.value)
    workspace.failures.clear()


async def test_permanent_errors_are_readable(wh, workspace):
    await wh.write_table(ORG, "seq", seq_table(0, 5))
    workspace.fail_next(
        dbx_exc.ServerOperationError("[INSUFFICIENT_PERMISSIONS] User does not have SELECT on Table 'x'")
    )
    with pytest.raises(WarehouseError) as err:
        await wh.count(ORG, "seq")
    assert "permission denied" in str(err.value) and "SELECT" in str(err.value)
    assert len(workspace.failures) == 0
    with pytest.raises(TableNotFound) as missing:
        await wh.snapshot(ORG, "nope")
    assert f"{DBX_CATALOG}.import_{ORG}.nope" in str(missing.value)
    assert not is_transient(dbx_exc.RequestError("401 Unauthorized", context={"http-code": 401}))
    assert is_transient(dbx_exc.ServerOperationError("[DELTA_CONCURRENT_APPEND] ConcurrentAppendException"))


async def test_calls_run_off_the_event_loop(workspace, tmp_path):
    """The connector blocks; the loop must keep running (Kafka heartbeats) while a statement is in flight."""

    def slow_connect(staging_dir):
        conn = workspace.connect(staging_dir)
        real_cursor = conn.cursor

        def cursor():
            cur = real_cursor()
            real_execute = cur.execute

            def execute(sql):
                time.sleep(0.3)
                return real_execute(sql)

            cur.execute = execute
            return cur

        conn.cursor = cursor
        return conn

    adapter = DatabricksWarehouse(slow_connect, catalog=DBX_CATALOG, staging_volume=DBX_VOLUME)
    ticks = 0

    async def heartbeat():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    beat = asyncio.create_task(heartbeat())
    assert await adapter.list_tables(ORG) == []
    beat.cancel()
    assert ticks >= 10
    assert threading.main_thread().is_alive()
    await adapter.close()


async def test_staging_volume_required_for_writes(workspace):
    adapter = make(workspace, staging_volume=None)
    await adapter.create_report_table(ORG, "report_nv", REPORT_SCHEMA)
    with pytest.raises(WarehouseError, match="DATABRICKS_STAGING_VOLUME"):
        await adapter.append_report_part(ORG, "report_nv", "k", report_rows(0, 1))
    await adapter.close()
    with pytest.raises(ValueError):
        make(workspace, staging_volume="/tmp/not-a-volume")


async def test_report_link(wh, workspace):
    assert wh.report_link(ORG, "report_a_b_validate_abc1234") == (
        f"https://{DBX_HOST}/explore/data/{DBX_CATALOG}/import_{ORG}/report_a_b_validate_abc1234"
    )
    no_catalog = make(workspace, catalog=None, server_hostname=f"https://{DBX_HOST}/")
    await no_catalog.create_report_table(ORG, "report_c", REPORT_SCHEMA)  # resolves the current catalog
    assert no_catalog.report_link(ORG, "report_c") == (
        f"https://{DBX_HOST}/explore/data/{DBX_CATALOG}/import_{ORG}/report_c"
    )
    await no_catalog.close()


def test_from_settings_and_factory(monkeypatch):
    from dataimport.settings import CommonSettings
    from dataimport.warehouse import databricks
    from dataimport.warehouse.factory import make_warehouse
    from dataimport.warehouse.port import Warehouse

    seen = {}

    def fake_connect(host, http_path, **kwargs):
        seen.update(host=host, http_path=http_path, **kwargs)
        return lambda staging_dir: None

    monkeypatch.setattr(databricks, "connector_connect", fake_connect)
    base = dict(
        warehouse="databricks",
        databricks_server_hostname="https://adb-1.azuredatabricks.net",
        databricks_http_path="/sql/1.0/warehouses/abc",
        databricks_catalog="main",
        databricks_staging_volume="/Volumes/main/ops/staging",
    )
    wh = make_warehouse(CommonSettings(**base, databricks_token="dapi-x"))
    assert isinstance(wh, DatabricksWarehouse) and isinstance(wh, Warehouse) and wh.kind == "databricks"
    assert seen["host"] == "adb-1.azuredatabricks.net" and seen["token"] == "dapi-x"
    assert wh.report_link(7, "t") == "https://adb-1.azuredatabricks.net/explore/data/main/import_7/t"
    make_warehouse(CommonSettings(**base, databricks_client_id="sp", databricks_client_secret="secret"))
    assert seen["client_id"] == "sp" and seen["client_secret"] == "secret" and seen["token"] is None
    with pytest.raises(ValueError, match="DATABRICKS_TOKEN"):
        make_warehouse(CommonSettings(**base))


def test_oauth_connect_uses_service_principal_provider(monkeypatch, tmp_path):
    from databricks import sql

    from dataimport.warehouse.databricks import connector_connect

    captured = {}
    monkeypatch.setattr(sql, "connect", lambda **kw: captured.update(kw) or "conn")
    assert connector_connect("h.cloud.databricks.com", "/sql/x", client_id="a", client_secret="b")(str(tmp_path)) == "conn"
    assert captured["staging_allowed_local_path"] == str(tmp_path)
    assert callable(captured["credentials_provider"]) and "access_token" not in captured
    connector_connect("h.cloud.databricks.com", "/sql/x", token="t")(str(tmp_path))
    assert captured["access_token"] == "t"


async def test_read_report_rows_pages(wh, workspace):
    await wh.create_report_table(ORG, "report_pages", REPORT_SCHEMA)
    rows = report_rows(0, 25)
    status = pa.array(["VALID" if i % 3 else "INVALID" for i in range(25)])
    rows = rows.set_column(rows.schema.get_field_index("_status"), "_status", status)
    await wh.append_report_part(ORG, "report_pages", "p1", rows.slice(10))
    await wh.append_report_part(ORG, "report_pages", "p0", rows.slice(0, 10))
    page = await wh.read_report_rows(ORG, "report_pages", -1, 7)
    assert page.column(ROW_ID).to_pylist() == list(range(7))
    assert page.column_names == REPORT_SCHEMA.names
    page = await wh.read_report_rows(ORG, "report_pages", 6, 100, "INVALID")
    assert page.column(ROW_ID).to_pylist() == [9, 12, 15, 18, 21, 24]
    assert (await wh.read_report_rows(ORG, "report_pages", 24, 10)).num_rows == 0
    with pytest.raises(TableNotFound):
        await wh.read_report_rows(ORG, "report_nope", -1, 10)
    await wh.write_table(ORG, "plain", seq_table(0, 3))
    with pytest.raises(WarehouseError, match="not a report table"):
        await wh.read_report_rows(ORG, "plain", -1, 10)
