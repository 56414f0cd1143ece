"""Validator service: consumes submitted jobs and chunk requests; thin FastStream handlers over use cases."""

from __future__ import annotations

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from dataimport.events import JobSubmitted, ValidationChunkRequested
from dataimport.kafka import MessageGuard, make_broker, subscribe
from dataimport.observability import Metrics, configure_logging
from dataimport.service import database_service_app, serve
from dataimport.warehouse.factory import make_warehouse
from dataimport.warehouse.instrumented import InstrumentedWarehouse
from validator.settings import ValidatorSettings
from validator.use_cases import Validator

GROUP = "dataimport-validator"


def register_handlers(broker: KafkaBroker, validator: Validator, guard: MessageGuard) -> None:
    subscribe(
        broker,
        guard,
        group_id=GROUP,
        routes={
            JobSubmitted: (
                validator.plan,
                lambda e, exc: validator.fail(e, f"validation could not be planned: {exc}"),
            ),
            ValidationChunkRequested: (
                validator.validate_chunk,
                lambda e, exc: validator.fail(e, f"chunk {e.chunk.chunk_no} could not be validated: {exc}"),
            ),
        },
        max_poll_interval_ms=15 * 60 * 1000,
        max_poll_records=1,
    )


def create_app(settings: ValidatorSettings | None = None) -> FastAPI:
    settings = settings or ValidatorSettings()
    configure_logging(settings)
    metrics = Metrics.create("validator")
    broker = make_broker(settings, client_id=settings.service_instance)
    warehouse = InstrumentedWarehouse(make_warehouse(settings), metrics)
    validator = Validator(
        pool=None,  # type: ignore[arg-type]  (opened at startup)
        warehouse=warehouse,
        broker=broker,
        metrics=metrics,
        worker=settings.service_instance,
        window=settings.chunk_window,
    )
    register_handlers(broker, validator, MessageGuard(broker, metrics))
    return database_service_app(
        settings,
        pool_users=[validator],
        closers=[warehouse.close],
        title="Data Import validator",
        metrics=metrics,
        broker=broker,
    )


def main() -> None:
    settings = ValidatorSettings()
    serve(create_app(settings), settings)
