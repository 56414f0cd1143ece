"""Fixtures for tests that run against the local stack started by `make up` (Kafka, PostgreSQL, services)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from dataimport.client import JobApiClient
from dataimport.settings import CommonSettings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def settings() -> CommonSettings:
    os.chdir(REPO)
    return CommonSettings()


@pytest.fixture(scope="session")
def api(settings) -> JobApiClient:
    token_file = REPO / ".data" / "dev-token"
    if not token_file.exists():
        pytest.fail("the local stack is not running: run `make up` (make test does it for you)")
    client = JobApiClient(os.environ.get("DATAIMPORT_API", "http://127.0.0.1:8080"), token_file.read_text().strip())
    yield client
    client.close()


@pytest.fixture
def org_id() -> int:
    """A fresh org per test, so tests never depend on a clean database or on each other."""
    return random.randint(10_000_000, 2_000_000_000)


@pytest.fixture(scope="session")
def warehouse_root(settings) -> Path:
    return (REPO / settings.warehouse_uri).resolve() if not settings.warehouse_uri.startswith(("s3:", "gs:", "az", "abfs")) else settings.warehouse_uri
