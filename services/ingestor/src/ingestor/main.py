"""Ingestor service: on approval, writes the valid records to the customer database, chunk by chunk."""

from __future__ import annotations

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from dataimport.events import IngestChunkRequested, JobApproved
from dataimport.kafka import MessageGuard, make_broker, subscribe
from dataimport.observability import Metrics, configure_logging
from dataimport.service import database_service_app, serve
from ingestor.settings import IngestorSettings
from ingestor.use_cases import Ingestor

GROUP = "dataimport-ingestor"


def register_handlers(broker: KafkaBroker, ingestor: Ingestor, guard: MessageGuard) -> None:
    subscribe(
        broker,
        guard,
        group_id=GROUP,
        routes={
            JobApproved: (
                ingestor.plan,
                lambda e, exc: ingestor.fail(e, f"ingestion could not be planned: {exc}"),
            ),
            IngestChunkRequested: (
                ingestor.ingest_chunk,
                lambda e, exc: ingestor.fail(e, f"chunk {e.chunk_no} could not be ingested: {exc}"),
            ),
        },
        max_poll_interval_ms=15 * 60 * 1000,
        max_poll_records=1,
    )


def create_app(settings: IngestorSettings | None = None) -> FastAPI:
    settings = settings or IngestorSettings()
    configure_logging(settings)
    metrics = Metrics.create("ingestor")
    broker = make_broker(settings, client_id=settings.service_instance)
    ingestor = Ingestor(
        pool=None,  # type: ignore[arg-type]  (opened at startup)
        broker=broker,
        metrics=metrics,
        worker=settings.service_instance,
        window=settings.chunk_window,
    )
    register_handlers(broker, ingestor, MessageGuard(broker, metrics))
    return database_service_app(
        settings,
        pool_users=[ingestor],
        title="Data Import ingestor",
        metrics=metrics,
        broker=broker,
    )


def main() -> None:
    settings = IngestorSettings()
    serve(create_app(settings), settings)
