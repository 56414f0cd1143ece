"""Kafka helpers: the broker factory, topic provisioning, batched publishing and the handler guard
(bounded retries, then the dead-letter topic with the error in headers)."""


import asyncio
import logging
import ssl
import traceback
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
import asyncpg
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError, TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from faststream.kafka.annotations import KafkaMessage
from structlog.contextvars import bind_contextvars, unbind_contextvars

from dataimport.events import ALL_TOPICS, DEAD_LETTER_TOPIC, Event, key_of, topic_of
from dataimport.observability import Metrics, get_logger
from dataimport.warehouse.port import TransientWarehouseError

log = get_logger(__name__)


def kafka_security(settings: Any) -> BaseSecurity | None:
    """SASL (PLAIN / SCRAM) over plaintext or TLS, from the KAFKA_SECURITY_PROTOCOL / KAFKA_SASL_* settings."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    kind = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}[
        settings.kafka_sasl_mechanism
    ]
    use_ssl = protocol == "SASL_SSL"
    return kind(
        username=settings.kafka_sasl_username or "",
        password=settings.kafka_sasl_password or "",
        ssl_context=ssl.create_default_context() if use_ssl else None,
        use_ssl=use_ssl,
    )


def make_broker(settings: Any, *, client_id: str) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        security=kafka_security(settings),
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        compression_type="lz4",
        linger_ms=5,
        max_request_size=16 * 1024 * 1024,
        # FastStream's own per-message lines at DEBUG; its warnings and errors still reach the JSON log.
        logger=logging.getLogger("faststream.dataimport"),
        log_level=logging.DEBUG,
    )


async def create_topics(bootstrap: str, partitions: int, replication: int) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    created = []
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in ALL_TOPICS if t not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(t, num_partitions=partitions, replication_factor=replication) for t in missing]
                )
            except TopicAlreadyExistsError:
                pass
            created = missing
    finally:
        await admin.close()
    return created


async def publish_events(broker: KafkaBroker, events: Iterable[Event]) -> None:
    """Send many events at once: every send is queued without waiting, then all confirmations are awaited
    together (never one awaited round trip per message, never thousands of concurrent tasks)."""
    futures = [
        await broker.publish(e.model_dump(mode="json"), topic_of(e), key=key_of(e), no_confirm=True)
        for e in events
    ]
    if futures:
        await asyncio.gather(*futures)


async def publish_event(broker: KafkaBroker, event: Event) -> None:
    await broker.publish(event.model_dump(mode="json"), topic_of(event), key=key_of(event))


def is_transient(exc: BaseException) -> bool:
    """Infrastructure that is away for a while (broker or database restarting, network, warehouse throttling):
    the message is fine, so retry it as long as it takes instead of counting it towards poison."""
    if isinstance(exc, (KafkaConnectionError, KafkaTimeoutError)):
        return True
    if isinstance(exc, KafkaError):
        return bool(getattr(exc, "retriable", False))
    return isinstance(
        exc,
        (
            ConnectionError,
            TimeoutError,
            asyncio.TimeoutError,
            asyncpg.PostgresConnectionError,
            asyncpg.InterfaceError,
            asyncpg.exceptions.OperatorInterventionError,
            asyncpg.exceptions.TooManyConnectionsError,
            asyncpg.exceptions.DeadlockDetectedError,
            asyncpg.exceptions.SerializationError,
            TransientWarehouseError,
        ),
    ) or (isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError))


class MessageGuard:
    """Runs a message handler's work with bounded retries and exponential backoff; after ``attempts``
    failures the message goes to the dead-letter topic (error, topic and attempts in headers) and
    ``on_give_up`` runs (typically failing the job with a readable reason). Only then does the handler
    return, so the offset moves on once the message is parked: a failed message is never skipped silently.

    Transient infrastructure errors (:func:`is_transient`) do not count as attempts: they are retried with a
    capped backoff until the broker or database is back; a job waiting that long shows as stalled."""

    def __init__(
        self,
        broker: KafkaBroker,
        metrics: Metrics,
        *,
        attempts: int = 4,
        base_delay: float = 0.5,
        max_delay: float = 10.0,
    ):
        self.broker = broker
        self.metrics = metrics
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay

    async def run(
        self,
        topic: str,
        message: Any,
        work: Callable[[], Awaitable[None]],
        on_give_up: Callable[[BaseException], Awaitable[None]] | None = None,
    ) -> None:
        attempt = 0
        waits = 0
        while True:
            try:
                await work()
                self.metrics.messages_processed.labels(topic, "ok").inc()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure is retried, then parked
                self.metrics.errors.labels(self.metrics.service).inc()
                if is_transient(exc):
                    waits += 1
                    log.warning("handler_waiting_for_infrastructure", topic=topic, error=repr(exc), retry=waits)
                    await asyncio.sleep(min(self.base_delay * 2 ** min(waits, 10), self.max_delay))
                    continue
                attempt += 1
                log.warning("handler_failed", topic=topic, attempt=attempt, error=repr(exc))
                if attempt >= self.attempts:
                    self.metrics.messages_processed.labels(topic, "dead_lettered").inc()
                    await _dead_letter(self.broker, self.metrics, topic, message, exc, attempt)
                    if on_give_up is not None:
                        await on_give_up(exc)
                    return
                await asyncio.sleep(min(self.base_delay * 2 ** (attempt - 1), self.max_delay))

    async def park(self, topic: str, body: Any, exc: BaseException) -> None:
        """A message that can never be processed (it does not parse): straight to the dead-letter topic."""
        self.metrics.messages_processed.labels(topic, "dead_lettered").inc()
        await _dead_letter(self.broker, self.metrics, topic, body, exc, 0)


async def _dead_letter(
    broker: KafkaBroker, metrics: Metrics, topic: str, message: Any, exc: BaseException, attempts: int
) -> None:
    body = message.model_dump(mode="json") if hasattr(message, "model_dump") else message
    job_id = getattr(message, "job_id", None)
    await broker.publish(
        body,
        DEAD_LETTER_TOPIC,
        key=str(job_id).encode() if job_id else None,
        headers={
            "x-original-topic": topic,
            "x-error": repr(exc)[:1000],
            "x-error-trace": "".join(traceback.format_exception(exc))[-4000:],
            "x-attempts": str(attempts),
        },
    )
    metrics.dead_letters.labels(topic).inc()
    log.error("dead_lettered", topic=topic, job_id=str(job_id), error=repr(exc))


Route = tuple[Callable[[Any], Awaitable[None]], Callable[[Any, BaseException], Awaitable[None]] | None]


def subscribe(
    broker: KafkaBroker,
    guard: MessageGuard,
    *,
    group_id: str,
    routes: dict[type[Event], Route],
    **consumer_options: Any,
) -> None:
    """One consumer per service process for all its topics (one group member, so a replica joining or leaving
    costs one rebalance, not one per topic). Each message is parsed into the event class of its topic and
    handed to that route's work function under the guard; ``on_give_up(event, exc)`` runs after a message
    was dead-lettered."""
    by_topic = {topic_of(cls): (cls, work, give_up) for cls, (work, give_up) in routes.items()}

    async def dispatch(body: dict, message: KafkaMessage) -> None:
        topic = message.raw_message.topic
        cls, work, give_up = by_topic[topic]
        try:
            event = cls.model_validate(body)
        except Exception as exc:  # a malformed message: park it, never loop on it
            await guard.park(topic, body, exc)
            return
        bind_contextvars(job_id=str(event.job_id))
        try:
            await guard.run(
                topic,
                event,
                lambda: work(event),
                on_give_up=(lambda exc: give_up(event, exc)) if give_up else None,
            )
        finally:
            unbind_contextvars("job_id")

    dispatch.__name__ = f"{group_id.replace('-', '_')}_dispatch"
    broker.subscriber(
        *by_topic,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        **consumer_options,
    )(dispatch)
