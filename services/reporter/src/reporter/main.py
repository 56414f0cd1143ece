"""Reporter service: materialises the validate and ingest report tables in the warehouse."""

from __future__ import annotations

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from dataimport.events import IngestChunkDone, IngestCompleted, ReportChunkRequested, ValidationCompleted
from dataimport.kafka import MessageGuard, make_broker, subscribe
from dataimport.observability import Metrics, configure_logging
from dataimport.service import database_service_app, serve
from dataimport.warehouse.factory import make_warehouse
from dataimport.warehouse.instrumented import InstrumentedWarehouse
from reporter.settings import ReporterSettings
from reporter.use_cases import Reporter

GROUP = "dataimport-reporter"


def register_handlers(broker: KafkaBroker, reporter: Reporter, guard: MessageGuard) -> None:
    subscribe(
        broker,
        guard,
        group_id=GROUP,
        routes={
            ValidationCompleted: (
                reporter.plan_validate_report,
                lambda e, exc: reporter.fail(e, "validate", f"validate report could not be written: {exc}"),
            ),
            IngestCompleted: (
                reporter.plan_ingest_report,
                lambda e, exc: reporter.fail(e, "ingest", f"ingest report could not be written: {exc}"),
            ),
            IngestChunkDone: (
                reporter.ingest_chunk_done,
                None,  # nothing lost: when ingestion completes, every part not written yet is requested again
            ),
            ReportChunkRequested: (
                reporter.write_part,
                lambda e, exc: reporter.fail(
                    e, e.phase, f"{e.phase} report part {e.part_no if e.part_no is not None else e.chunk.chunk_no} could not be "
                    f"written: {exc}"
                ),
            ),
        },
        max_poll_interval_ms=30 * 60 * 1000,
        max_poll_records=1,
    )


def create_app(settings: ReporterSettings | None = None) -> FastAPI:
    settings = settings or ReporterSettings()
    configure_logging(settings)
    metrics = Metrics.create("reporter")
    broker = make_broker(settings, client_id=settings.service_instance)
    warehouse = InstrumentedWarehouse(make_warehouse(settings), metrics)
    reporter = Reporter(
        pool=None,  # type: ignore[arg-type]  (opened at startup)
        warehouse=warehouse,
        broker=broker,
        metrics=metrics,
        worker=settings.service_instance,
        window=settings.chunk_window,
    )
    register_handlers(broker, reporter, MessageGuard(broker, metrics))
    return database_service_app(
        settings,
        pool_users=[reporter],
        closers=[warehouse.close],
        title="Data Import reporter",
        metrics=metrics,
        broker=broker,
    )


def main() -> None:
    settings = ReporterSettings()
    serve(create_app(settings), settings)
