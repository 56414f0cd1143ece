"""PgCustomerStore against a real PostgreSQL (``DATABASE_URL``). Every test uses its own random org id."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

import asyncpg
import pyarrow as pa
import pytest
from customer_helpers import NOW

from dataimport.db.pool import create_pool
from dataimport.orgs import demo_org_config
from dataimport.profiles.base import FieldMapping, JobConfig, RecordDecision
from dataimport.profiles.customer import CustomerProfile, CustomerState
from dataimport.profiles.customer.pg_store import PgCustomerStore

pytestmark = pytest.mark.integration

DSN = os.environ.get("DATABASE_URL", "postgresql://dataimport:dataimport@127.0.0.1:5432/dataimport")

PIPELINE_DDL = """
CREATE SCHEMA IF NOT EXISTS dataimport;
CREATE TABLE IF NOT EXISTS dataimport.validation_records (
    job_id uuid NOT NULL, row_id bigint NOT NULL, chunk_no integer NOT NULL, errors text[] NOT NULL,
    action text, target_id bigint, payload jsonb, PRIMARY KEY (job_id, row_id));
CREATE TABLE IF NOT EXISTS dataimport.ingest_records (
    job_id uuid NOT NULL, row_id bigint NOT NULL, chunk_no integer NOT NULL,
    status text NOT NULL CHECK (status IN ('ADDED', 'UPDATED', 'FAILED')), error_message text, user_id bigint,
    PRIMARY KEY (job_id, row_id));
"""


@pytest.fixture
async def pool() -> AsyncIterator[asyncpg.Pool]:
    try:
        pool = await create_pool(DSN, min_size=1, max_size=4)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"PostgreSQL not reachable at {DSN}: {exc}")
    migration = (resources.files("dataimport.db") / "migrations" / "002_customers.sql").read_text("utf-8")
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock(727002)")
        try:
            await conn.execute(PIPELINE_DDL)
            await conn.execute(migration)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(727002)")
    yield pool
    await pool.close()


@pytest.fixture
def org_id() -> int:
    return random.randint(10**12, 2**62)


async def add_customer(pool: asyncpg.Pool, org_id: int, **values: Any) -> int:
    values.setdefault("custom", {})
    values.setdefault("extended", {})
    if "email" in values and values["email"] is not None:
        values.setdefault("email_key", values["email"].lower())
    cols = ", ".join(["org_id", *values])
    params = ", ".join(f"${i}" for i in range(1, len(values) + 2))
    return await pool.fetchval(
        f"INSERT INTO customer.customers ({cols}) VALUES ({params}) RETURNING user_id", org_id, *values.values()
    )


async def add_validation(pool: asyncpg.Pool, job_id: uuid.UUID, chunk_no: int, rows: list[RecordDecision]) -> None:
    await pool.executemany(
        "INSERT INTO dataimport.validation_records (job_id, row_id, chunk_no, errors, action, target_id, payload) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [(job_id, d.row_id, chunk_no, d.errors, d.action, d.target_id, d.payload if d.valid else None) for d in rows],
    )


async def ingest_rows(pool: asyncpg.Pool, job_id: uuid.UUID) -> dict[int, tuple[str, str | None, int | None]]:
    rows = await pool.fetch(
        "SELECT row_id, status, error_message, user_id FROM dataimport.ingest_records WHERE job_id = $1", job_id
    )
    return {r["row_id"]: (r["status"], r["error_message"], r["user_id"]) for r in rows}


async def test_find_by_each_identifier_and_get_one(pool: asyncpg.Pool, org_id: int) -> None:
    store = PgCustomerStore(pool)
    a = await add_customer(pool, org_id, mobile="919876543210", email="a@example.com", external_id="EXT-A",
                           loyalty_type="loyalty", slab="Gold", status_label="Active", first_name="Asha",
                           registered_on=NOW, custom={"visits": 7}, extended={"gender": "Female"})
    b = await add_customer(pool, org_id, mobile="919812345678", loyalty_type="non_loyalty", status_label="Deleted")
    await add_customer(pool, org_id + 1, mobile="919876543210")  # another org: never seen

    found = await store.find(org_id, {"mobile": ["919876543210", "919812345678", "910000000000"]})
    assert sorted(found, key=lambda s: s.user_id) == [
        CustomerState(a, "919876543210", "a@example.com", "EXT-A", "loyalty", "Gold", "Active"),
        CustomerState(b, "919812345678", None, None, "non_loyalty", None, "Deleted"),
    ]
    assert [s.user_id for s in await store.find(org_id, {"email": ["a@example.com"]})] == [a]
    assert [s.user_id for s in await store.find(org_id, {"external_id": ["EXT-A", "nope"]})] == [a]
    assert [s.user_id for s in await store.find(org_id, {"user_id": [b]})] == [b]
    assert await store.find(org_id, {}) == []

    one = await store.get_one(org_id, "email", "A@Example.com")
    assert one == {
        "user_id": a, "mobile": "919876543210", "email": "a@example.com", "external_id": "EXT-A",
        "first_name": "Asha", "last_name": None, "registered_on": "2025-06-15T06:30:00+00:00",
        "registered_store": None, "registered_till": None, "loyalty_type": "loyalty", "slab": "Gold",
        "slab_expiry": None, "status_label": "Active", "custom": {"visits": 7}, "extended": {"gender": "Female"},
    }
    assert (await store.get_one(org_id, "mobile", "+919876543210"))["user_id"] == a  # type: ignore[index]
    assert (await store.get_one(org_id, "user_id", str(b)))["user_id"] == b  # type: ignore[index]
    assert await store.get_one(org_id, "user_id", "x") is None
    assert await store.get_one(org_id, "external_id", "nope") is None


async def test_write_chunk(pool: asyncpg.Pool, org_id: int) -> None:
    store = PgCustomerStore(pool)
    x = await add_customer(pool, org_id, mobile="919800000001", email="x@example.com", first_name="Old",
                           last_name="Keep", loyalty_type="loyalty", slab="Silver", status_label="Active",
                           custom={"a": 1, "visits": 1})
    await add_customer(pool, org_id, mobile="919800000002")  # taken by "another job" after validation
    job_id = uuid.uuid4()
    create = {"registered_on": "2020-01-05T04:30:00+00:00", "loyalty_type": "loyalty", "registered_store": "00123",
              "slab": "Silver", "status_label": "Active"}
    await add_validation(pool, job_id, 0, [
        RecordDecision(1, action="create", payload={**create, "mobile": "919800000010", "email": "n@example.com",
                                                    "external_id": "N-1", "custom": {"visits": 7},
                                                    "slab_expiry": "2027-03-31"}),
        RecordDecision(2, action="create", payload={**create, "mobile": "919800000002"}),
        RecordDecision(3, errors=["mobile is invalid"]),
        RecordDecision(4, action="update", target_id=x, payload={"first_name": "New", "slab": "Gold",
                                                                  "custom": {"visits": 2}}),
        RecordDecision(5, action="update", target_id=999_999_999_999, payload={"first_name": "Ghost"}),
        RecordDecision(6, action="create", payload={**create, "mobile": "919800000011", "email": "X@example.com"}),
        RecordDecision(7, action="create", payload={**create, "external_id": "N-1"}),  # same chunk took it
    ])
    await add_validation(pool, job_id, 1, [RecordDecision(8, action="create", payload={**create, "mobile": "9198"})])

    async with pool.acquire() as conn, conn.transaction():
        await store.write_chunk(conn, org_id, job_id, 0, True)

    got = await ingest_rows(pool, job_id)
    assert set(got) == {1, 2, 4, 5, 6, 7}
    assert got[1][0] == "ADDED" and got[1][2] is not None
    assert got[2] == ("FAILED", "USER_INSERTION_FAILED: mobile already exists", None)
    assert got[4] == ("UPDATED", None, x)
    assert got[5] == ("FAILED", "USER_INSERTION_FAILED: customer not found", None)
    assert got[6] == ("FAILED", "USER_INSERTION_FAILED: email already exists", None)
    assert got[7] == ("FAILED", "USER_INSERTION_FAILED: external_id already exists", None)

    new = await store.get_one(org_id, "user_id", got[1][2])
    assert new is not None
    assert (new["mobile"], new["email"], new["external_id"]) == ("919800000010", "n@example.com", "N-1")
    assert new["registered_on"] == "2020-01-05T04:30:00+00:00" and new["registered_store"] == "00123"
    assert new["slab_expiry"] == "2027-03-31" and new["custom"] == {"visits": 7}
    assert type(new["custom"]["visits"]) is int
    updated = await store.get_one(org_id, "user_id", x)
    assert updated is not None
    assert (updated["first_name"], updated["last_name"], updated["slab"]) == ("New", "Keep", "Gold")
    assert updated["custom"] == {"a": 1, "visits": 2}
    assert updated["mobile"] == "919800000001" and updated["status_label"] == "Active"
    email_key = await pool.fetchval("SELECT email_key FROM customer.customers WHERE user_id = $1", got[1][2])
    assert email_key == "n@example.com"


async def test_email_key_is_null_when_emails_are_not_unique(pool: asyncpg.Pool, org_id: int) -> None:
    store = PgCustomerStore(pool)
    job_id = uuid.uuid4()
    payload = {"registered_on": "2020-01-05T00:00:00+00:00", "loyalty_type": "non_loyalty", "email": "s@example.com",
               "status_label": "Active"}
    await add_validation(pool, job_id, 0, [
        RecordDecision(1, action="create", payload={**payload, "mobile": "919800000021"}),
        RecordDecision(2, action="create", payload={**payload, "mobile": "919800000022"}),
    ])
    async with pool.acquire() as conn, conn.transaction():
        await store.write_chunk(conn, org_id, job_id, 0, False)
    assert [v[0] for v in (await ingest_rows(pool, job_id)).values()] == ["ADDED", "ADDED"]
    assert len(await store.find(org_id, {"email": ["s@example.com"]})) == 2


async def test_validate_then_ingest_end_to_end(pool: asyncpg.Pool, org_id: int) -> None:
    """prepare -> find -> decide -> (pipeline stores decisions) -> write_chunk, for an upsert job."""
    org = demo_org_config()
    store = PgCustomerStore(pool)
    existing = await add_customer(pool, org_id, mobile="919876543210", loyalty_type="loyalty", slab="Silver",
                                  status_label="Active", custom={"fav_category": "shoes"})
    profile = CustomerProfile(clock=lambda: NOW)
    job = JobConfig("upsert", "MOBILE", (
        FieldMapping("mobile_no", "mobile", True), FieldMapping("reg", "registered_on", True),
        FieldMapping("lt", "loyalty_type", True), FieldMapping("store", "registered_store", True),
        FieldMapping("visits", "custom.visits"), FieldMapping("slab", "slab"),
    ))
    batch = pa.table({
        "_row_id": pa.array([1, 2, 3], pa.int64()),
        "mobile_no": ["98765 43210", "9123456789", "12"],
        "reg": ["2020-01-05 10:00:00", "2021-03-01", "2021-03-01"],
        "lt": [None, "Loyalty", "loyalty"],
        "store": [None, "00123", "00123"],
        "visits": pa.array([3, None, 1], pa.int64()),
        "slab": ["gold", None, None],
    })
    assert profile.check_job(job, org, batch.column_names[1:]) == []
    prepared = profile.prepare(batch, job, org)
    found = await store.find(org_id, prepared.lookup)
    decisions = profile.decide(prepared, found)
    assert [d.errors for d in decisions] == [[], [], ["mobile is invalid"]]
    assert [d.action for d in decisions[:2]] == ["update", "create"]
    job_id = uuid.uuid4()
    await add_validation(pool, job_id, 0, decisions)
    async with pool.acquire() as conn, conn.transaction():
        await store.write_chunk(conn, org_id, job_id, 0, org.email_unique)
    got = await ingest_rows(pool, job_id)
    assert got[1] == ("UPDATED", None, existing) and got[2][0] == "ADDED" and 3 not in got
    upd = await store.get_one(org_id, "mobile", "919876543210")
    assert upd is not None and upd["slab"] == "Gold" and upd["custom"] == {"fav_category": "shoes", "visits": 3}
    assert upd["registered_on"] == "2020-01-05T04:30:00+00:00"
    new = await store.get_one(org_id, "mobile", "919123456789")
    assert new is not None and new["slab"] == "Silver" and new["status_label"] == "Active"
    assert new["registered_store"] == "00123" and new["registered_on"] == "2021-03-01T00:00:00+00:00"
