"""The main job end to end through the REST API on the real stack: a ~30-record table with one or more
records per implemented rule. Every expected value below is written from SPEC sections 4 and 5."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import asyncpg
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

pytestmark = pytest.mark.integration

ORG_CONFIG = {
    "base_country": "IN",
    "supported_countries": ["IN", "AE"],
    "timezone": "Asia/Kolkata",
    "allow_registration_from_any_identifier": False,
    "identifier_flexibility": False,
    "email_unique": True,
    "min_registration_date": "2000-01-01",
    "stores": [{"code": "STORE001", "tills": ["TILL001", "TILL002"]}, {"code": "00123", "tills": ["0042"]}],
    "slabs": ["Silver", "Gold", "Platinum"],
    "status_labels": [
        {"label": "Active", "status": "ACTIVE"},
        {"label": "Suspicious", "status": "SUSPENDED"},
        {"label": "Deleted", "status": "DELETED"},
        {"label": "Pending Deletion", "status": "PENDING_DELETION"},
    ],
    "custom_fields": [],
    "extended_fields": {"enabled": [], "enum_values": {}},
}

OK = dict(email=None, external_id=None, first_name="Asha", registered_on="2024-01-15 10:00:00",
          store="STORE001", till=None, loyalty_type="loyalty", slab="Gold")

# (source values, expected errors) — None for an expected VALID record.
CASES: list[tuple[dict, list[str] | None]] = [
    ({"mobile": "9876543210", "email": "a0@example.com", "external_id": "EXT0"}, []),
    ({"mobile": "+91 98765 43211"}, []),
    ({"mobile": "12345"}, ["mobile is invalid"]),
    ({"mobile": "9876543203", "email": "not-an-email"}, ["email is invalid"]),
    ({"mobile": "9876543204", "external_id": "X" * 51}, ["external_id is invalid"]),
    ({"mobile": "9876543205", "registered_on": "2999-01-01"}, ["registered_on is invalid"]),
    ({"mobile": "9876543206", "registered_on": "not a date"}, ["registered_on is invalid"]),
    ({"mobile": "9876543207", "registered_on": None}, ["registered_on is mandatory"]),
    ({"mobile": "9876543208", "loyalty_type": "gold"}, ["loyalty_type is invalid"]),
    ({"mobile": "9876543209", "loyalty_type": None}, ["loyalty_type is mandatory"]),
    ({"mobile": "9876543220", "store": "STORE999"}, ["registered_store is invalid"]),
    ({"mobile": "9876543221", "store": None, "till": "TILL999"}, ["registered_till is invalid"]),
    ({"mobile": "9876543222", "store": None, "till": None}, "store-or-till-mandatory"),
    ({"mobile": None, "email": "m13@example.com"}, ["mobile is mandatory"]),
    ({"mobile": None}, "no-identifier"),
    ({"mobile": "9811111111"}, ["mobile already exists"]),
    ({"mobile": "9876543216", "email": "taken@example.com"}, ["email already exists"]),
    ({"mobile": "9876500017"}, ["duplicate mobile in source"]),
    ({"mobile": "9876500017"}, ["duplicate mobile in source"]),
    ({"mobile": "9876543219", "email": "Dup@Example.com"}, ["duplicate email in source"]),
    ({"mobile": "9876543230", "email": "dup@example.COM"}, ["duplicate email in source"]),
    ({"mobile": "9876543231", "first_name": "Ash\x00a"}, ["first_name is invalid"]),
    ({"mobile": "9876543232", "first_name": "A" * 10_000}, ["first_name is invalid"]),
    ({"mobile": "9876543233", "slab": "Diamond"}, ["slab name is invalid"]),
    ({"mobile": "9876543234", "store": "00123", "till": "0042"}, []),
    ({"mobile": "\u00a09876543235\u00a0"}, []),
    ({"mobile": "+971501234567"}, []),
    ({"mobile": "+14155552671"}, ["mobile is invalid"]),
    ({"mobile": "9876543238", "email": "Mixed.Case@Example.COM"}, []),
    ({"mobile": "9876543239", "registered_on": "1999-12-31"}, ["registered_on is invalid"]),
]
COLUMNS = ["mobile", "email", "external_id", "first_name", "registered_on", "store", "till", "loyalty_type", "slab"]
MAPPING = [
    {"source_column": "mobile", "field": "mobile", "mandatory": True},
    {"source_column": "email", "field": "email"},
    {"source_column": "external_id", "field": "external_id"},
    {"source_column": "first_name", "field": "first_name"},
    {"source_column": "registered_on", "field": "registered_on", "mandatory": True},
    {"source_column": "store", "field": "registered_store", "mandatory": True},
    {"source_column": "till", "field": "registered_till"},
    {"source_column": "loyalty_type", "field": "loyalty_type", "mandatory": True},
    {"source_column": "slab", "field": "slab"},
]


def _rows() -> list[dict]:
    return [{**OK, **values} for values, _ in CASES]


def _write_source(root, org_id: int, table: str) -> None:
    rows = _rows()
    data = pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in COLUMNS})
    write_deltalake(f"{root}/import_{org_id}/{table}", data, mode="overwrite")


async def _seed_existing_customers(dsn: str, org_id: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO customer.customers (org_id, mobile, email, email_key, registered_on, registered_store, "
            "loyalty_type, slab, status_label) VALUES "
            "($1, '919811111111', NULL, NULL, $2, 'STORE001', 'loyalty', 'Silver', 'Active'), "
            "($1, '919800000000', 'taken@example.com', 'taken@example.com', $2, 'STORE001', 'loyalty', 'Silver', 'Active')",
            org_id,
            datetime(2020, 1, 1, tzinfo=timezone.utc),
        )
    finally:
        await conn.close()


def _expected_ok(expected) -> bool:
    return expected == []


def _check_errors(row_id: int, actual: list[str], expected) -> None:
    if expected == "store-or-till-mandatory":
        assert any(e in ("registered_store is mandatory", "registered_till is mandatory") for e in actual), (row_id, actual)
    elif expected == "no-identifier":
        assert "At least one identifier required" in actual, (row_id, actual)
    else:
        assert sorted(actual) == sorted(expected), (row_id, actual, expected)


def test_insert_job_end_to_end(api, settings, org_id, warehouse_root):
    table = "customers_e2e"
    _write_source(warehouse_root, org_id, table)
    asyncio.run(_seed_existing_customers(settings.database_url, org_id))
    api.put_config(org_id, ORG_CONFIG)

    job = api.create_job(org_id, {"name": "E2E insert #1", "source": {"table": table}, "profile": "customer",
                                  "method": "insert", "unique_id": "MOBILE", "mapping": MAPPING})
    assert job["status"] == "DRAFT"
    api.validate(org_id, job["id"])
    job = api.wait_for(org_id, job["id"], ("AWAITING_APPROVAL",), timeout=180)
    assert job["status"] == "AWAITING_APPROVAL", job

    n_valid = sum(1 for _, e in CASES if _expected_ok(e))
    v = job["validation"]
    assert v["records_total"] == len(CASES)
    assert v["records_validated"] == len(CASES)
    assert v["valid"] == n_valid
    assert v["invalid"] == len(CASES) - n_valid
    suffix = v["report_table"].rsplit("_", 1)[1]
    assert v["report_table"] == f"report_customer_e2e_insert__1_validate_{suffix}"
    assert len(suffix) == 7 and suffix.isalnum() and suffix.lower() == suffix

    report = DeltaTable(f"{warehouse_root}/import_{org_id}/{v['report_table']}").to_pyarrow_table().to_pylist()
    assert len(report) == len(CASES)
    assert sorted(r["_row_id"] for r in report) == list(range(len(CASES)))
    source_rows = _rows()
    for r in report:
        values, expected = CASES[r["_row_id"]]
        for c in COLUMNS:  # every source column, original values
            assert r[c] == source_rows[r["_row_id"]][c], (r["_row_id"], c)
        if _expected_ok(expected):
            assert (r["_status"], r["_errors"], r["_error_message"]) == ("VALID", [], None), r
        else:
            assert r["_status"] == "INVALID", r
            _check_errors(r["_row_id"], r["_errors"], expected)
            assert r["_error_message"] == "; ".join(r["_errors"])

    summary = {i["message"]: i["count"] for i in api.errors(org_id, job["id"])["items"]}
    assert summary["duplicate mobile in source"] == 2
    assert summary["duplicate email in source"] == 2
    assert summary["mobile is invalid"] == 2

    # Nothing is written before approval.
    assert api.customer(org_id, mobile="919876543210") is None

    api.approve(org_id, job["id"])
    job = api.wait_for(org_id, job["id"], ("COMPLETED", "COMPLETED_PARTIAL"), timeout=180)
    assert job["status"] == "COMPLETED", job
    i = job["ingest"]
    assert (i["records_processed"], i["added"], i["updated"], i["failed"]) == (n_valid, n_valid, 0, 0)
    assert i["report_table"] == f"report_customer_e2e_insert__1_ingest_{suffix}"

    ingest = DeltaTable(f"{warehouse_root}/import_{org_id}/{i['report_table']}").to_pyarrow_table().to_pylist()
    assert sorted(r["_row_id"] for r in ingest) == [n for n, (_, e) in enumerate(CASES) if _expected_ok(e)]
    assert all(r["_status"] == "ADDED" and r["_error_message"] is None and r["_user_id"] > 0 for r in ingest)

    c0 = api.customer(org_id, mobile="919876543210")
    assert c0["email"] == "a0@example.com" and c0["external_id"] == "EXT0"
    assert c0["registered_store"] == "STORE001" and c0["loyalty_type"] == "loyalty" and c0["slab"] == "Gold"
    assert c0["status_label"] == "Active"  # the org's default label
    assert c0["user_id"] == next(r["_user_id"] for r in ingest if r["_row_id"] == 0)
    assert api.customer(org_id, mobile="919876543211") is not None  # +91 98765 43211
    assert api.customer(org_id, mobile="9876543210")["user_id"] == c0["user_id"]  # looked up as imports store it
    c25 = api.customer(org_id, mobile="919876543234")
    assert (c25["registered_store"], c25["registered_till"]) == ("00123", "0042")
    assert api.customer(org_id, mobile="919876543235") is not None  # NBSP trimmed
    assert api.customer(org_id, mobile="971501234567") is not None  # supported country AE
    assert api.customer(org_id, email="mixed.case@example.com")["mobile"] == "919876543238"
    # registered_on 2024-01-15 10:00:00 naive, in Asia/Kolkata (+05:30) = 04:30 UTC
    assert datetime.fromisoformat(c0["registered_on"].replace("Z", "+00:00")) == datetime(2024, 1, 15, 4, 30, tzinfo=timezone.utc)
    # Invalid records were not written.
    assert api.customer(org_id, mobile="919876543203") is None


def test_job_whose_source_vanished_ends_validation_failed(api, settings, org_id):
    """A submitted job whose source table cannot be read settles in VALIDATION_FAILED with a readable reason,
    never stuck in VALIDATING. The job is put straight into the state job-api leaves it in after `validate`
    (job row + JobSubmitted in the outbox) with a table that does not exist."""
    import uuid

    from dataimport.events import JobSpec, JobSubmitted, MappingItem

    job_id = uuid.uuid4()
    spec = JobSpec(name="ghost", profile="customer", source_table="no_such_table", snapshot_version=0,
                   records_total=10, chunk_size=1000, method="insert", unique_id="MOBILE",
                   mapping=tuple(MappingItem(**m) for m in MAPPING), org_config=ORG_CONFIG,
                   validate_table="report_customer_ghost_validate_abcdefg",
                   ingest_table="report_customer_ghost_ingest_abcdefg")
    event = JobSubmitted(job_id=job_id, org_id=org_id, spec=spec, started_by="test")

    async def submit():
        conn = await asyncpg.connect(settings.database_url)
        try:
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO dataimport.jobs (id, org_id, name, status, created_by, source_table, "
                    "validation_started_at) VALUES ($1, $2, 'ghost', 'VALIDATING', 'test', 'no_such_table', now())",
                    job_id, org_id)
                await conn.execute(
                    "INSERT INTO dataimport.outbox (topic, key, payload) VALUES ($1, $2, $3::jsonb)",
                    "dataimport.job-submitted.v1", str(job_id).encode(), event.model_dump_json())
        finally:
            await conn.close()

    asyncio.run(submit())
    job = api.wait_for(org_id, str(job_id), ("VALIDATION_FAILED",), timeout=120)
    assert job["status"] == "VALIDATION_FAILED"
    assert "no_such_table" in job["failure_reason"]


def test_validate_refuses_a_missing_table(api, org_id):
    api.put_config(org_id, ORG_CONFIG)
    job = api.create_job(org_id, {"name": "nope", "source": {"table": "does_not_exist"}, "profile": "customer",
                                  "method": "insert", "unique_id": "MOBILE", "mapping": MAPPING})
    r = api.http.post(f"/v1/orgs/{org_id}/jobs/{job['id']}/validate")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any(e["field"] == "source.table" for e in r.json()["errors"])
