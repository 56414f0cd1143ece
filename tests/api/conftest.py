"""Fixtures for the REST API tests: they run against the live job-api of the local stack (`make up`), each with
fresh random org ids and tokens made for the test, so they never depend on a clean database."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pyarrow as pa
import pytest
from deltalake import write_deltalake

from dataimport.tokens import create_token, revoke_token

_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:  # the test modules import their helpers from tests.api.conftest
    sys.path.insert(0, _REPO)

BASE_URL = os.environ.get("DATAIMPORT_API", "http://127.0.0.1:8080")
PROBLEM = "application/problem+json"

ORG_CONFIG = {
    "base_country": "IN",
    "supported_countries": ["IN"],
    "timezone": "UTC",
    "allow_registration_from_any_identifier": False,
    "identifier_flexibility": False,
    "email_unique": True,
    "stores": [{"code": "STORE001", "tills": ["TILL001"]}],
    "slabs": ["Silver", "Gold"],
    "status_labels": [{"label": "Active", "status": "ACTIVE"}],
    "custom_fields": [{"name": "fav_category", "type": "string"}],
    "extended_fields": {"enabled": ["gender"], "enum_values": {"gender": ["Male", "Female"]}},
}
COLUMNS = ["mobile", "email", "registered_on", "store", "loyalty_type", "note"]
ROWS = [
    {"mobile": "9876500001", "email": "a1@example.com", "registered_on": "2024-01-15 10:00:00", "store": "STORE001",
     "loyalty_type": "loyalty", "note": "ok 1"},
    {"mobile": "12345", "email": "a2@example.com", "registered_on": "2024-01-15 10:00:00", "store": "STORE001",
     "loyalty_type": "loyalty", "note": "bad mobile, \"quoted\", comma"},
    {"mobile": "9876500003", "email": "a3@example.com", "registered_on": "2024-01-15 10:00:00", "store": "STORE001",
     "loyalty_type": "loyalty", "note": "ok 3"},
    {"mobile": "9876500004", "email": "not-an-email", "registered_on": "2024-01-15 10:00:00", "store": "STORE999",
     "loyalty_type": "loyalty", "note": "two errors\nsecond line"},
    {"mobile": "9876500005", "email": None, "registered_on": "2024-01-15 10:00:00", "store": "STORE001",
     "loyalty_type": "loyalty", "note": None},
]
INVALID_ROWS = (1, 3)
MAPPING = [
    {"source_column": "mobile", "field": "mobile", "mandatory": True},
    {"source_column": "email", "field": "email"},
    {"source_column": "registered_on", "field": "registered_on", "mandatory": True},
    {"source_column": "store", "field": "registered_store", "mandatory": True},
    {"source_column": "loyalty_type", "field": "loyalty_type", "mandatory": True},
]
SETTLED = ("VALIDATION_FAILED", "AWAITING_APPROVAL", "REJECTED", "COMPLETED", "COMPLETED_PARTIAL", "FAILED")


def new_org() -> int:
    return random.randint(10_000_000, 2_000_000_000)


class Api:
    """httpx client for one token; every call returns the raw response."""

    def __init__(self, token: str | None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=BASE_URL, headers=headers, timeout=30.0)

    def __getattr__(self, name):  # get, post, patch, put, request, stream
        return getattr(self.http, name)

    def create_job(self, org: int, body: dict) -> dict:
        r = self.http.post(f"/v1/orgs/{org}/jobs", json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def wait(self, org: int, job_id: str, statuses=SETTLED, timeout: float = 120.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            job = self.http.get(f"/v1/orgs/{org}/jobs/{job_id}").json()
            if job["status"] in statuses or job["status"] in SETTLED:
                return job
            assert time.monotonic() < deadline, f"job {job_id} still {job['status']}"
            time.sleep(0.2)


def assert_problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    body = r.json()
    assert body["status"] == status and isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.fixture(scope="session")
def dsn(settings) -> str:
    return settings.database_url


@pytest.fixture(scope="session")
def make_token(dsn) -> Iterator[Callable[..., str]]:
    """make_token({org: [roles]}, user=...) -> a fresh token; revoked at the end of the session."""
    made: list[int] = []

    def make(grants: dict, user: str | None = None) -> str:
        async def run() -> tuple[int, str]:
            conn = await asyncpg.connect(dsn)
            try:
                await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
                return await create_token(conn, user or f"user-{uuid.uuid4().hex[:8]}",
                                          {str(k): v for k, v in grants.items()}, "tests/api")
            finally:
                await conn.close()

        token_id, token = asyncio.run(run())
        made.append(token_id)
        return token

    yield make

    async def cleanup() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            for token_id in made:
                await revoke_token(conn, token_id)
        finally:
            await conn.close()

    asyncio.run(cleanup())


@pytest.fixture(scope="session")
def write_table(warehouse_root) -> Callable[..., None]:
    def write(org: int, table: str, rows: list[dict] = ROWS, columns: list[str] = COLUMNS) -> None:
        data = pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in columns})
        write_deltalake(f"{Path(warehouse_root)}/import_{org}/{table}", data, mode="overwrite")

    return write


@pytest.fixture
def org() -> int:
    return new_org()


@pytest.fixture
def admin(make_token, org) -> Api:
    """Every role on the test's org, with its configuration and a source table `people`."""
    api = Api(make_token({org: ["editor", "approver", "admin"]}, user="alice"))
    r = api.put(f"/v1/orgs/{org}/config", json=ORG_CONFIG)
    assert r.status_code == 200, r.text
    yield api
    api.http.close()


@pytest.fixture
def source(write_table, org) -> str:
    write_table(org, "people")
    return "people"


def job_body(name: str = "api test", table: str = "people", **over) -> dict:
    return {"name": name, "source": {"table": table}, "profile": "customer", "method": "insert",
            "unique_id": "MOBILE", "mapping": MAPPING, **over}


@pytest.fixture(scope="session")
def validated(make_token, write_table) -> dict:
    """A job of a fresh org validated to AWAITING_APPROVAL (shared by read-only tests): {org, job, token}."""
    org = new_org()
    token = make_token({org: ["editor", "approver", "admin"]}, user="vera")
    api = Api(token)
    assert api.put(f"/v1/orgs/{org}/config", json=ORG_CONFIG).status_code == 200
    write_table(org, "people")
    job = api.create_job(org, job_body("shared validated"))
    r = api.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate")
    assert r.status_code == 202, r.text
    job = api.wait(org, job["id"])
    assert job["status"] == "AWAITING_APPROVAL", job
    return {"org": org, "job": job, "token": token}
