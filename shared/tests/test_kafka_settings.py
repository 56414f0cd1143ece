"""Kafka connection security from settings, and which errors count as transient (retried, never poison)."""

import asyncpg
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError
from faststream.security import SASLPlaintext, SASLScram512

from dataimport.kafka import is_transient, kafka_security
from dataimport.settings import CommonSettings
from dataimport.warehouse.port import TransientWarehouseError, WarehouseError


def test_plaintext_has_no_security():
    assert kafka_security(CommonSettings()) is None


def test_sasl_over_tls_and_plain():
    s = CommonSettings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="u", kafka_sasl_password="p")
    sec = kafka_security(s)
    assert isinstance(sec, SASLScram512) and sec.use_ssl
    plain = kafka_security(CommonSettings(kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_mechanism="PLAIN",
                                          kafka_sasl_username="u", kafka_sasl_password="p"))
    assert isinstance(plain, SASLPlaintext) and not plain.use_ssl


def test_infrastructure_errors_are_transient_and_bugs_are_not():
    assert is_transient(KafkaConnectionError())
    assert is_transient(ConnectionRefusedError())
    assert is_transient(asyncpg.exceptions.ConnectionDoesNotExistError("closed"))
    assert is_transient(asyncpg.exceptions.AdminShutdownError("shutdown"))
    assert is_transient(TransientWarehouseError("throttled"))
    assert not is_transient(MessageSizeTooLargeError())
    assert not is_transient(WarehouseError("table not found"))
    assert not is_transient(ValueError("bad data"))
    assert not is_transient(KeyError("missing"))
    assert not is_transient(FileNotFoundError("gone"))
