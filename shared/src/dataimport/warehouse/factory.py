"""Build the configured warehouse adapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .port import Warehouse

if TYPE_CHECKING:
    from dataimport.settings import CommonSettings


def make_warehouse(settings: CommonSettings) -> Warehouse:
    """``settings.warehouse``: ``delta`` (Delta tables under ``settings.warehouse_uri``) or ``databricks``."""
    if settings.warehouse == "delta":
        from .delta import DeltaWarehouse

        return DeltaWarehouse(settings.warehouse_uri)
    if settings.warehouse == "databricks":
        from .databricks import DatabricksWarehouse  # imported lazily: needs databricks-sql-connector

        return DatabricksWarehouse.from_settings(settings)
    raise ValueError(f"unknown warehouse adapter {settings.warehouse!r} (expected 'delta' or 'databricks')")
