"""job-api: the REST API (jobs, drafts, previews, org config, customer look-up). Owns job state in PostgreSQL,
publishes through its outbox, and follows workers' events to move jobs along."""

from __future__ import annotations

import asyncio
from functools import partial

from fastapi import FastAPI, Request
from faststream.kafka import KafkaBroker

from dataimport.db.pool import create_pool
from dataimport.events import (
    IngestChunkDone,
    IngestFailed,
    ReportFailed,
    ReportWritten,
    ValidationChunkDone,
    ValidationFailed,
)
from dataimport.kafka import MessageGuard, make_broker, subscribe
from dataimport.observability import Metrics, configure_logging
from dataimport.service import serve, service_app
from dataimport.warehouse.factory import make_warehouse
from job_api import problems, progress, ui
from job_api.deps import AppDeps
from job_api.outbox import run_relay
from job_api.routes import jobs, orgs
from job_api.settings import JobApiSettings

GROUP = "dataimport-job-api"
JOB_STATES = ("DRAFT", "VALIDATING", "VALIDATION_FAILED", "AWAITING_APPROVAL", "REJECTED", "IMPORTING",
              "COMPLETED", "COMPLETED_PARTIAL", "FAILED")


def register_handlers(broker: KafkaBroker, deps: AppDeps, guard: MessageGuard) -> None:
    handlers = {
        ValidationChunkDone: progress.on_validation_chunk_done,
        ValidationFailed: progress.on_validation_failed,
        IngestChunkDone: progress.on_ingest_chunk_done,
        IngestFailed: progress.on_ingest_failed,
        ReportWritten: progress.on_report_written,
        ReportFailed: progress.on_report_failed,
    }
    subscribe(
        broker,
        guard,
        group_id=GROUP,
        routes={cls: (partial(_with_pool, handle, deps), None) for cls, handle in handlers.items()},
    )


async def _with_pool(handle, deps: AppDeps, event) -> None:
    await handle(deps.pool, event)


async def _update_state_gauges(deps: AppDeps) -> None:
    while True:
        try:
            rows = await deps.pool.fetch("SELECT status, count(*) AS n FROM dataimport.jobs GROUP BY status")
            counts = {r["status"]: r["n"] for r in rows}
            for state in JOB_STATES:
                deps.metrics.jobs.labels(state).set(counts.get(state, 0))
            stalled = await deps.pool.fetchval(
                "SELECT count(*) FROM dataimport.jobs WHERE status IN ('VALIDATING', 'IMPORTING') "
                "AND last_progress_at < now() - make_interval(secs => $1)",
                float(deps.settings.stalled_after_seconds),
            )
            deps.metrics.stalled_jobs.set(stalled)
        except asyncio.CancelledError:
            raise
        except Exception:
            pass
        await asyncio.sleep(10)


def create_app(settings: JobApiSettings | None = None) -> FastAPI:
    settings = settings or JobApiSettings()
    configure_logging(settings)
    metrics = Metrics.create("job-api")
    broker = make_broker(settings, client_id=settings.service_instance)
    deps = AppDeps(settings=settings, metrics=metrics, broker=broker, warehouse=make_warehouse(settings))
    register_handlers(broker, deps, MessageGuard(broker, metrics))

    async def open_pool() -> None:
        deps.pool = await create_pool(settings.database_url, max_size=20)

    async def close() -> None:
        await deps.pool.close()
        await deps.warehouse.close()

    async def db_ready() -> bool:
        return await deps.pool.fetchval("SELECT 1") == 1

    async def relay() -> None:
        await run_relay(deps.pool, broker, settings.outbox_poll_seconds)

    async def gauges() -> None:
        await _update_state_gauges(deps)

    app = service_app(
        settings,
        title="Data Import API",
        metrics=metrics,
        broker=broker,
        readiness=[db_ready],
        startup=[open_pool],
        shutdown=[close],
        background=[relay, gauges],
        version="1.0.0",
        description="Bulk-load customers from a warehouse table into the customer database: validate, approve, ingest.",
    )
    app.state.deps = deps
    problems.install(app)
    app.include_router(orgs.router)
    app.include_router(jobs.router)

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
            return problems.problem_response(413, f"Request bodies are limited to {settings.max_body_bytes} bytes.")
        return await call_next(request)

    ui.mount_ui(app)  # the web UI (ui/dist) at /
    return app


def main() -> None:
    settings = JobApiSettings()
    serve(create_app(settings), settings)
