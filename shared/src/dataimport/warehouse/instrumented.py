"""A Warehouse wrapper that times every call into ``dataimport_warehouse_query_duration_seconds{operation}``."""

from __future__ import annotations

import functools
import inspect
import time
from typing import Any

from dataimport.observability import Metrics


class InstrumentedWarehouse:
    def __init__(self, inner: Any, metrics: Metrics):
        self._inner = inner
        self._metrics = metrics
        self.kind = inner.kind

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not inspect.iscoroutinefunction(attr):
            return attr
        histogram = self._metrics.warehouse_query_duration.labels(name)

        @functools.wraps(attr)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await attr(*args, **kwargs)
            finally:
                histogram.observe(time.perf_counter() - started)

        return timed
