"""What every service process shares: an ASGI app with health and metrics, a Kafka broker started and
stopped with the app, and ``serve()`` running it under uvicorn with graceful shutdown on SIGTERM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from contextlib import asynccontextmanager

import asyncpg
import uvicorn
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from dataimport.db.pool import create_pool
from dataimport.observability import Metrics, ReadinessCheck, get_logger, health_router
from dataimport.settings import CommonSettings

log = get_logger(__name__)

Hook = Callable[[], Awaitable[None]]


def service_app(
    settings: CommonSettings,
    *,
    title: str,
    metrics: Metrics,
    broker: KafkaBroker | None,
    readiness: list[ReadinessCheck],
    startup: list[Hook] = (),
    shutdown: list[Hook] = (),
    background: list[Hook] = (),
    **fastapi_kwargs,
) -> FastAPI:
    """``startup`` hooks run before the broker starts consuming; ``background`` coroutines run as tasks once it
    has started (and are cancelled first on shutdown); ``shutdown`` hooks run after it stopped."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in startup:
            await hook()
        if broker is not None:
            await broker.start()
        tasks = [asyncio.create_task(job(), name=getattr(job, "__name__", "background")) for job in background]
        log.info("service_started", port=settings.http_port)
        try:
            yield
        finally:
            log.info("service_stopping")
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if broker is not None:
                await broker.stop()
            for hook in shutdown:
                await hook()
            log.info("service_stopped")

    app = FastAPI(title=title, lifespan=lifespan, **fastapi_kwargs)
    if broker is not None:
        readiness = [*readiness, lambda: broker.ping(timeout=2.0)]
    app.include_router(health_router(metrics, readiness))
    return app


class Database:
    """The service's PostgreSQL pool: opened at startup and handed to every object in ``users`` (as its ``pool``
    attribute), answered by /readyz, closed at shutdown."""

    def __init__(self, dsn: str, *, users: list[Any], max_size: int = 10):
        self.dsn = dsn
        self.users = users
        self.max_size = max_size
        self.pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        self.pool = await create_pool(self.dsn, max_size=self.max_size)
        for user in self.users:
            user.pool = self.pool

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    async def ready(self) -> bool:
        return self.pool is not None and await self.pool.fetchval("SELECT 1") == 1


def database_service_app(
    settings: CommonSettings,
    *,
    pool_users: list[Any],
    pool_size: int = 10,
    closers: list[Hook] = (),
    **kwargs: Any,
) -> FastAPI:
    """:func:`service_app` for a service that works on PostgreSQL (all of them): the pool is opened before the
    broker starts and closed after it stopped, then ``closers`` run (e.g. the warehouse client)."""
    db = Database(settings.database_url, users=pool_users, max_size=pool_size)
    return service_app(settings, readiness=[db.ready], startup=[db.open], shutdown=[db.close, *closers], **kwargs)


def serve(app: FastAPI, settings: CommonSettings) -> None:
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,  # open HTTP streams (SSE) get 10 s; the whole stop stays within 30 s
    )
