"""The objects a request needs, built once per app by ``create_app`` and reached through ``request.app.state``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from faststream.kafka import KafkaBroker

from dataimport.observability import Metrics
from dataimport.warehouse.port import Warehouse
from job_api.settings import JobApiSettings


@dataclass
class AppDeps:
    settings: JobApiSettings
    metrics: Metrics
    broker: KafkaBroker
    warehouse: Warehouse
    pool: asyncpg.Pool | None = None


def get_deps(request: Request) -> AppDeps:
    return request.app.state.deps


Deps = Annotated[AppDeps, Depends(get_deps)]
