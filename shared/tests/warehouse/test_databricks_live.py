"""The warehouse contract suite against a real Databricks SQL warehouse.

Runs when these are set (otherwise the module is skipped, and ``pytest -ra`` says so):
``DATABRICKS_SERVER_HOSTNAME``, ``DATABRICKS_HTTP_PATH``, ``DATABRICKS_TOKEN`` (or ``DATABRICKS_CLIENT_ID`` +
``DATABRICKS_CLIENT_SECRET``), ``DATABRICKS_STAGING_VOLUME``; optionally ``DATABRICKS_CATALOG``.

Each test uses a fresh random org id, so its schema ``import_<id>`` is new; the schema is dropped (CASCADE)
afterwards. The principal needs USE CATALOG and CREATE SCHEMA on the catalog, and READ/WRITE VOLUME on the
staging volume (see docs/databricks.md).
"""

from __future__ import annotations

import inspect
import os
import random
import sys

import pytest

_missing = [
    name
    for name in ("DATABRICKS_SERVER_HOSTNAME", "DATABRICKS_HTTP_PATH", "DATABRICKS_STAGING_VOLUME")
    if not os.environ.get(name)
]
if not os.environ.get("DATABRICKS_TOKEN") and not (
    os.environ.get("DATABRICKS_CLIENT_ID") and os.environ.get("DATABRICKS_CLIENT_SECRET")
):
    _missing.append("DATABRICKS_TOKEN (or DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET)")
if _missing:
    pytest.skip(
        "live Databricks contract suite skipped: no workspace configured (not set: "
        + ", ".join(_missing)
        + ")",
        allow_module_level=True,
    )

sys.path.insert(0, os.path.dirname(__file__))
import test_warehouse_contract as contract  # noqa: E402

from dataimport.settings import CommonSettings  # noqa: E402
from dataimport.warehouse import databricks_sql as q  # noqa: E402
from dataimport.warehouse.databricks import DatabricksWarehouse  # noqa: E402


def _adapter() -> DatabricksWarehouse:
    return DatabricksWarehouse.from_settings(CommonSettings(warehouse="databricks"))


@pytest.fixture
async def warehouse(monkeypatch):
    org = random.randint(900_000_000, 999_999_999)
    monkeypatch.setattr(contract, "ORG", org)
    wh = _adapter()
    clones: list[DatabricksWarehouse] = []

    def clone() -> DatabricksWarehouse:
        clones.append(_adapter())
        return clones[-1]

    wh._contract_clone = clone  # type: ignore[attr-defined]
    yield wh
    try:
        wh._execute(q.drop_schema(wh.catalog, org), f"drop test schema import_{org}")
    finally:
        for other in clones:
            await other.close()
        await wh.close()


# Every contract test that takes the ``warehouse`` fixture runs here with the live fixture above.
for _name, _fn in list(vars(contract).items()):
    if _name.startswith("test_") and callable(_fn) and "warehouse" in inspect.signature(_fn).parameters:
        if "tmp_path" not in inspect.signature(_fn).parameters:
            globals()[_name] = _fn
