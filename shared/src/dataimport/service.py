"""What every service process shares: an ASGI app with health and metrics, a Kafka broker started and
stopped with the app, and ``serve()`` running it under uvicorn with graceful shutdown on SIGTERM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

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


def serve(app: FastAPI, settings: CommonSettings) -> None:
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
    )
