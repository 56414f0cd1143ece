from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dataimport.cli import main
from dataimport.warehouse.delta import DeltaWarehouse

ORG = 1001


@pytest.fixture
def wh_root(tmp_path, monkeypatch):
    root = tmp_path / "warehouse"
    monkeypatch.setenv("WAREHOUSE", "delta")
    monkeypatch.setenv("WAREHOUSE_URI", str(root))
    return root


async def _read(root, table):
    wh = DeltaWarehouse(str(root))
    return await wh.schema(ORG, table), await wh.read_table(ORG, table)


def _run(argv):
    # the CLI runs async commands with asyncio.run: keep it off the test's event loop
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(main, argv).result()


async def test_csv_keeps_text(wh_root, tmp_path, capsys):
    src = tmp_path / "stores.csv"
    src.write_text(
        "\ufeffstore_code,mobile,name,visits,joined\n"
        "00123,09876543210,,007,2024-01-02\n"
        '"007","919876543210","Doe, Jane",12,\n'
        "STORE001,1.5e10, padded ,,2024-13-45\n",
        encoding="utf-8",
    )
    assert _run(["load", "--org", str(ORG), "--table", "stores_raw", str(src)]) == 0
    out = capsys.readouterr().out
    assert "3 rows" in out and f"import_{ORG}.stores_raw" in out
    cols, data = await _read(wh_root, "stores_raw")
    assert [(c.name, c.type) for c in cols] == [
        ("store_code", "string"), ("mobile", "string"), ("name", "string"), ("visits", "string"), ("joined", "string")
    ]  # fmt: skip
    assert data.column("store_code").to_pylist() == ["00123", "007", "STORE001"]
    assert data.column("mobile").to_pylist() == ["09876543210", "919876543210", "1.5e10"]
    assert data.column("name").to_pylist() == ["", "Doe, Jane", " padded "]  # empty stays empty, no trimming
    assert data.column("visits").to_pylist() == ["007", "12", ""]
    assert data.column("joined").to_pylist() == ["2024-01-02", "", "2024-13-45"]

    # append mode adds, overwrite (the default) replaces
    assert _run(["load", "--org", str(ORG), "--table", "stores_raw", str(src), "--mode", "append"]) == 0
    assert (await _read(wh_root, "stores_raw"))[1].num_rows == 6
    assert _run(["load", "--org", str(ORG), "--table", "stores_raw", str(src)]) == 0
    assert (await _read(wh_root, "stores_raw"))[1].num_rows == 3


async def test_parquet_keeps_types(wh_root, tmp_path):
    src = tmp_path / "typed.parquet"
    table = pa.table(
        {
            "mobile": pa.array([Decimal("919876543210")], pa.decimal128(12, 0)),
            "visits": pa.array([3], pa.int64()),
            "dob": pa.array([dt.date(1990, 5, 1)], pa.date32()),
            "code": ["00123"],
        }
    )
    pq.write_table(table, src)
    assert _run(["load", "--org", str(ORG), "--table", "typed", str(src)]) == 0
    cols, data = await _read(wh_root, "typed")
    assert [c.type for c in cols] == ["decimal(12,0)", "bigint", "date", "string"]
    assert data.column("mobile")[0].as_py() == Decimal("919876543210")
    assert data.column("code").to_pylist() == ["00123"]


def test_bad_table_name_refused(wh_root, tmp_path, capsys):
    src = tmp_path / "a.csv"
    src.write_text("a\n1\n")
    assert _run(["load", "--org", str(ORG), "--table", "other.table", str(src)]) == 2
    assert "table name" in capsys.readouterr().err
    assert not wh_root.exists()


def test_demo_data_command(wh_root, capsys):
    assert _run(["demo-data", "--org", str(ORG), "--table", "demo_small", "--rows", "1234"]) == 0
    assert "1234" in capsys.readouterr().out
    import asyncio

    cols, data = asyncio.run(_read(wh_root, "demo_small"))
    assert len(cols) == 18 and data.num_rows == 1234
    from dataimport.demo_data import generate_customer_registrations

    assert data.equals(generate_customer_registrations(1234, 1001))
