"""Structured logs (structlog, JSON), Prometheus metrics and the health endpoints every service serves."""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from dataimport.settings import CommonSettings

CHUNK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


def configure_logging(settings: CommonSettings) -> None:
    level = logging.getLevelName(settings.log_level.upper())
    renderer = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level if isinstance(level, int) else logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=settings.service_name)
    # Libraries log through the standard library; route them as one JSON object per line too.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=renderer,
            foreign_pre_chain=[
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    for name in ("uvicorn.error", "faststream"):
        logging.getLogger(name).setLevel(logging.INFO)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)


@dataclass
class Metrics:
    """The domain metrics of SPEC 9 (no job id as a label), in one registry per app instance."""

    service: str
    registry: CollectorRegistry
    records_validated: Counter
    records_ingested: Counter
    chunk_duration: Histogram
    jobs: Gauge
    dead_letters: Counter
    stalled_jobs: Gauge
    warehouse_query_duration: Histogram
    messages_processed: Counter
    errors: Counter

    @classmethod
    def create(cls, service: str) -> Metrics:
        r = CollectorRegistry()
        return cls(
            service=service,
            registry=r,
            records_validated=Counter(
                "dataimport_records_validated", "Records validated, by outcome", ["outcome"], registry=r
            ),
            records_ingested=Counter(
                "dataimport_records_ingested", "Records written by ingestion, by outcome", ["outcome"], registry=r
            ),
            chunk_duration=Histogram(
                "dataimport_chunk_duration_seconds",
                "Time to process one chunk, by phase",
                ["phase"],
                buckets=CHUNK_BUCKETS,
                registry=r,
            ),
            jobs=Gauge("dataimport_jobs", "Jobs by state", ["state"], registry=r),
            dead_letters=Counter(
                "dataimport_dead_letter_messages", "Messages sent to the dead-letter topic", ["topic"], registry=r
            ),
            stalled_jobs=Gauge("dataimport_stalled_jobs", "Running jobs with no progress lately", registry=r),
            warehouse_query_duration=Histogram(
                "dataimport_warehouse_query_duration_seconds",
                "Warehouse calls, by operation",
                ["operation"],
                buckets=CHUNK_BUCKETS,
                registry=r,
            ),
            messages_processed=Counter(
                "dataimport_messages_processed", "Kafka messages handled, by topic and outcome",
                ["topic", "outcome"], registry=r,
            ),
            errors=Counter("dataimport_errors", "Unexpected errors", ["service"], registry=r),
        )


ReadinessCheck = Callable[[], Awaitable[bool]]


def health_router(metrics: Metrics, readiness: list[ReadinessCheck]) -> APIRouter:
    """``/livez`` (the process answers), ``/readyz`` (every dependency answers), ``/metrics``."""
    router = APIRouter(include_in_schema=False)

    @router.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(response: Response) -> dict[str, object]:
        results = []
        for check in readiness:
            try:
                results.append(bool(await check()))
            except Exception:  # a failing dependency means "not ready", never a 500
                results.append(False)
        ready = all(results)
        response.status_code = 200 if ready else 503
        return {"status": "ok" if ready else "unavailable"}

    @router.get("/metrics")
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router
