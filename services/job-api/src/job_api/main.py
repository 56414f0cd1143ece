"""job-api: the REST API (jobs, drafts, previews, org config, customer look-up). Owns job state in PostgreSQL,
publishes through its outbox, and follows workers' events to move jobs along."""

from __future__ import annotations

import asyncio
import json
from functools import partial

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from faststream.kafka import KafkaBroker

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
from dataimport.service import database_service_app, serve
from dataimport.warehouse.factory import make_warehouse
from dataimport.warehouse.instrumented import InstrumentedWarehouse
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
    warehouse = InstrumentedWarehouse(make_warehouse(settings), metrics)
    deps = AppDeps(settings=settings, metrics=metrics, broker=broker, warehouse=warehouse)
    register_handlers(broker, deps, MessageGuard(broker, metrics))

    async def relay() -> None:
        await run_relay(deps.pool, broker, settings.outbox_poll_seconds)

    async def gauges() -> None:
        await _update_state_gauges(deps)

    app = database_service_app(
        settings,
        pool_users=[deps],
        pool_size=20,
        closers=[warehouse.close],
        title="Data Import API",
        metrics=metrics,
        broker=broker,
        background=[relay, gauges],
        version="1.0.0",
        description="Bulk-load customers from a warehouse table into the customer database: validate, approve, ingest.",
    )
    app.state.deps = deps
    problems.install(app)
    app.include_router(orgs.router)
    app.include_router(jobs.router)

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    install_openapi(app)
    ui.mount_ui(app)  # the web UI (ui/dist) at /
    return app


class BodyLimit:
    """Refuses request bodies over ``max_bytes`` with 413, whether they announce a Content-Length or come
    chunked (a chunked body is read up to the limit, then passed on; never more than the limit is buffered)."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, scope, receive, send) -> None:
        response = problems.problem_response(413, f"Request bodies are limited to {self.max_bytes} bytes.")
        await response(scope, receive, send)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or ())
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > self.max_bytes:
                return await self._refuse(scope, receive, send)
            return await self.app(scope, receive, send)
        if b"transfer-encoding" not in headers:
            return await self.app(scope, receive, send)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # client went away
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                return await self._refuse(scope, receive, send)
            chunks.append(body)
            if not message.get("more_body", False):
                break
        buffered = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return buffered
            return await receive()

        return await self.app(scope, replay, send)


def install_openapi(app: FastAPI) -> None:
    """The OpenAPI document: errors are described only as ``application/problem+json`` (FastAPI would add an
    ``application/json`` twin and its own validation-error schema, which this API never answers)."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                              tags=TAGS)
            for item in doc.get("paths", {}).values():
                for op in item.values():
                    for code, response in op.get("responses", {}).items():
                        content = response.get("content", {})
                        if code[0] in "45" and problems.PROBLEM_JSON in content:
                            content.pop("application/json", None)
            schemas = doc.get("components", {}).get("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):  # in this order: the first refers to the second
                schema = schemas.pop(unused, None)
                if schema is not None and f'"#/components/schemas/{unused}"' in json.dumps(doc):
                    schemas[unused] = schema
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi


TAGS = [
    {"name": "jobs", "description": "Drafts, validation, approval, progress and reports"},
    {"name": "org", "description": "Organisation configuration and the profile field catalog"},
    {"name": "source", "description": "Source tables in the warehouse namespace import_<org_id>"},
    {"name": "customers", "description": "The customer database"},
]


def main() -> None:
    settings = JobApiSettings()
    serve(create_app(settings), settings)
