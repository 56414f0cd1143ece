"""Update, upsert, user_id update, racing jobs and typed custom / extended fields, end to end through the REST API
on the real stack. Every expected value is written from SPEC sections 3, 4 and 5, not copied from output.

Each test uses a fresh org and builds the customers it needs with an earlier insert job of its own."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import asyncpg
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from dataimport.client import JobApiClient

pytestmark = pytest.mark.integration

ORG_CONFIG = {
    "base_country": "IN",
    "supported_countries": ["IN", "AE"],
    "timezone": "Asia/Kolkata",
    "allow_registration_from_any_identifier": False,
    "identifier_flexibility": False,
    "email_unique": True,
    "min_registration_date": "2000-01-01",
    "stores": [{"code": "STORE001", "tills": ["TILL001", "TILL002"]}],
    "slabs": ["Silver", "Gold", "Platinum"],
    "status_labels": [
        {"label": "Active", "status": "ACTIVE"},
        {"label": "Suspicious", "status": "SUSPENDED"},
        {"label": "Deleted", "status": "DELETED"},
        {"label": "Pending Deletion", "status": "PENDING_DELETION"},
    ],
    "custom_fields": [{"name": "visits", "type": "integer"}, {"name": "score", "type": "integer"},
                      {"name": "fav_category", "type": "string"}],
    "extended_fields": {"enabled": ["gender", "city"], "enum_values": {"gender": ["Male", "Female", "Other"]}},
}
REG = "2024-01-15 10:00:00"
TIMEOUT = 120


# ---- helpers --------------------------------------------------------------------------------------------------


def m(column: str, field: str | None = None, mandatory: bool = False) -> dict:
    return {"source_column": column, "field": field or column, "mandatory": mandatory}


def mob(n: int) -> str:
    """A valid Indian national mobile number, and its stored form."""
    return f"98765{n:05d}"


def stored(national: str) -> str:
    return "91" + national


class Jobs:
    """Drives jobs of one org through the API and reads their report tables."""

    def __init__(self, api: JobApiClient, org_id: int, root: Path):
        self.api, self.org, self.root = api, org_id, root
        self.n = 0

    def write(self, rows: list[dict], columns: dict[str, pa.DataType] | None = None,
              also: list[str] = ()) -> str:
        """Write ``rows`` as a new source table (text columns unless ``columns`` types them), with the columns
        of ``also`` even when no row has a value for them."""
        self.n += 1
        table = f"src_{self.n}"
        names = list(dict.fromkeys([*(k for r in rows for k in r), *also]))
        types = columns or {}
        data = pa.table({c: pa.array([r.get(c) for r in rows], types.get(c, pa.string())) for c in names})
        write_deltalake(f"{self.root}/import_{self.org}/{table}", data, mode="overwrite")
        return table

    def submit(self, rows: list[dict], method: str, unique_id: str, mapping: list[dict],
               columns: dict[str, pa.DataType] | None = None) -> str:
        table = self.write(rows, columns, [x["source_column"] for x in mapping])
        job = self.api.create_job(self.org, {"name": f"{method} {unique_id} {self.n}", "source": {"table": table},
                                             "profile": "customer", "method": method, "unique_id": unique_id,
                                             "mapping": mapping})
        self.api.validate(self.org, job["id"])
        return job["id"]

    def validated(self, job_id: str) -> tuple[dict, dict[int, dict]]:
        job = self.api.wait_for(self.org, job_id, ("AWAITING_APPROVAL",), timeout=TIMEOUT)
        assert job["status"] == "AWAITING_APPROVAL", job
        return job, self.report(job["validation"]["report_table"])

    def ingested(self, job_id: str) -> tuple[dict, dict[int, dict]]:
        job = self.api.wait_for(self.org, job_id, ("COMPLETED", "COMPLETED_PARTIAL"), timeout=TIMEOUT)
        assert job["status"] in ("COMPLETED", "COMPLETED_PARTIAL"), job
        return job, self.report(job["ingest"]["report_table"])

    def run(self, rows: list[dict], method: str, unique_id: str, mapping: list[dict],
            columns: dict[str, pa.DataType] | None = None) -> tuple[dict, dict[int, dict], dict[int, dict]]:
        """Validate, approve and ingest one job: (job, validate report by row, ingest report by row)."""
        job_id = self.submit(rows, method, unique_id, mapping, columns)
        _, validate = self.validated(job_id)
        self.api.approve(self.org, job_id)
        job, ingest = self.ingested(job_id)
        return job, validate, ingest

    def report(self, table: str) -> dict[int, dict]:
        rows = DeltaTable(f"{self.root}/import_{self.org}/{table}").to_pyarrow_table().to_pylist()
        by_row = {r["_row_id"]: r for r in rows}
        assert len(by_row) == len(rows), "a _row_id appears twice in a report table"
        return by_row

    def customer(self, **key: Any) -> dict | None:
        return self.api.customer(self.org, **key)


NO_ID = "At least one identifier required"


def check_validation(report: dict[int, dict], expected: list[list[str]]) -> None:
    """``expected[row]``: the record's errors ([] for VALID); the order of messages is not asserted. A record
    without its unique ID must carry NO_ID; "<uid> is mandatory" may come with it (the mapping marks the unique
    ID mandatory, and SPEC section 4 does not say whether both are reported)."""
    assert sorted(report) == list(range(len(expected)))
    for row, errors in enumerate(expected):
        r = report[row]
        if not errors:
            assert (r["_status"], r["_errors"], r["_error_message"]) == ("VALID", [], None), (row, r)
        else:
            assert r["_status"] == "INVALID", (row, r)
            got = r["_errors"]
            if errors == [NO_ID]:
                assert NO_ID in got and all(e == NO_ID or e.endswith(" is mandatory") for e in got), (row, got)
            else:
                assert sorted(got) == sorted(errors), (row, got, errors)
            assert r["_error_message"] == "; ".join(r["_errors"]), (row, r)


def check_counts(job: dict, *, valid: int, invalid: int, added: int, updated: int, failed: int = 0) -> None:
    v, i = job["validation"], job["ingest"]
    assert (v["records_total"], v["valid"], v["invalid"]) == (valid + invalid, valid, invalid), v
    assert (i["records_processed"], i["added"], i["updated"], i["failed"]) == (valid, added, updated, failed), i
    assert job["status"] == ("COMPLETED" if failed == 0 else "COMPLETED_PARTIAL"), job["status"]


def check_ingest(ingest: dict[int, dict], expected: dict[int, tuple[str, int | None]]) -> None:
    """``expected[row] = (status, user_id)``; exactly the valid records are in the ingest report."""
    assert sorted(ingest) == sorted(expected), (sorted(ingest), sorted(expected))
    for row, (status, user_id) in expected.items():
        r = ingest[row]
        assert r["_status"] == status, (row, r)
        if status != "FAILED":
            assert r["_error_message"] is None, (row, r)
        if user_id is not None:
            assert r["_user_id"] == user_id, (row, r, user_id)


INSERT_MAPPING = [
    m("mobile", mandatory=True), m("email"), m("external_id"), m("first_name"), m("last_name"),
    m("registered_on", mandatory=True), m("store", "registered_store", mandatory=True),
    m("loyalty_type", mandatory=True), m("slab"),
]


def seed(jobs: Jobs, customers: list[dict]) -> dict[int, int]:
    """Create ``customers`` with an insert job (unique ID MOBILE); answers row -> user_id."""
    rows = [{"registered_on": REG, "store": "STORE001", "loyalty_type": "loyalty", **c} for c in customers]
    job, validate, ingest = jobs.run(rows, "insert", "MOBILE", INSERT_MAPPING)
    check_validation(validate, [[]] * len(rows))
    check_counts(job, valid=len(rows), invalid=0, added=len(rows), updated=0)
    assert all(r["_status"] == "ADDED" and r["_user_id"] > 0 for r in ingest.values())
    return {row: r["_user_id"] for row, r in ingest.items()}


# ---- 1. update ------------------------------------------------------------------------------------------------


def test_update_by_mobile_and_by_external_id(api, org_id, warehouse_root):
    api.put_config(org_id, ORG_CONFIG)
    jobs = Jobs(api, org_id, warehouse_root)
    # Customer k: mobile mob(k), email ck@example.com, external_id Xk, Active (the org default label).
    base = [{"mobile": mob(k), "email": f"c{k}@example.com", "external_id": f"X{k}", "first_name": f"F{k}",
             "last_name": f"L{k}", "slab": "Silver"} for k in range(12)]
    base[0]["slab"] = "Gold"
    for k in (6, 9):  # non-loyalty customers carry no slab
        base[k].update(loyalty_type="non_loyalty", slab=None)
    uid = seed(jobs, base)

    c6 = jobs.customer(mobile=stored(mob(6)))
    assert (c6["loyalty_type"], c6["slab"], c6["status_label"]) == ("non_loyalty", None, "Active")
    assert jobs.customer(mobile=stored(mob(1)))["slab"] == "Silver"

    # Customers 2 and 3 are moved to DELETED / PENDING_DELETION (allowed from Active; labels match
    # case-insensitively); at the same time an update by MOBILE of other fields is validated and ingested.
    status_job = jobs.submit([{"mobile": mob(2), "status": "Deleted"}, {"mobile": mob(3), "status": "pending deletion"}],
                             "update", "MOBILE", [m("mobile", mandatory=True), m("status", "status_label")])
    update_rows = [
        {"mobile": mob(0), "slab": "gold"},                                    # 0 same slab (case-insensitive)
        {"mobile": mob(1), "slab": "Platinum", "first_name": "Bea"},           # 1 UPDATED
        {"mobile": mob(5), "loyalty_type": "non_loyalty"},                     # 2 loyalty -> non_loyalty
        {"mobile": mob(6), "slab": "Gold"},                                    # 3 slab on a non-loyalty customer
        {"mobile": mob(7), "email": "new7@example.com", "first_name": "Gus"},  # 4 UPDATED, email has no effect
        {"mobile": mob(8), "first_name": None, "last_name": "New8"},           # 5 UPDATED, first_name left as is
        {"mobile": mob(9), "loyalty_type": "Loyalty", "slab": "Gold",          # 6 non_loyalty -> loyalty with a slab
         "email": "not-an-email"},                                             #   (unused identifier: no effect)
        {"mobile": mob(99), "first_name": "Nobody"},                           # 7 unknown mobile
        {"mobile": "+91 " + mob(11), "slab": "platinum"},                      # 8 UPDATED (mobile normalised)
        {"mobile": None, "first_name": "Nobody"},                              # 9 no unique ID
    ]
    update_job = jobs.submit(update_rows, "update", "MOBILE", [
        m("mobile", mandatory=True), m("email"), m("first_name"), m("last_name"), m("loyalty_type"), m("slab")])

    job, validate = jobs.validated(status_job)
    check_validation(validate, [[], []])
    job, validate = jobs.validated(update_job)
    check_validation(validate, [
        ["no slab change found"],
        [],
        ["loyalty_type cannot change from loyalty to non_loyalty"],
        ["slab cannot be attached to non loyalty customer"],
        [],
        [],
        [],
        ["customer not found"],
        [],
        [NO_ID],
    ])
    api.approve(org_id, status_job)
    api.approve(org_id, update_job)
    job, ingest = jobs.ingested(status_job)
    check_counts(job, valid=2, invalid=0, added=0, updated=2)
    check_ingest(ingest, {0: ("UPDATED", uid[2]), 1: ("UPDATED", uid[3])})
    assert jobs.customer(mobile=stored(mob(2)))["status_label"] == "Deleted"
    assert jobs.customer(mobile=stored(mob(3)))["status_label"] == "Pending Deletion"  # configured spelling

    job, ingest = jobs.ingested(update_job)
    check_counts(job, valid=5, invalid=5, added=0, updated=5)
    check_ingest(ingest, {1: ("UPDATED", uid[1]), 4: ("UPDATED", uid[7]), 5: ("UPDATED", uid[8]),
                          6: ("UPDATED", uid[9]), 8: ("UPDATED", uid[11])})
    assert ingest[4]["email"] == "new7@example.com"  # the ingest report carries the source columns

    c1 = jobs.customer(mobile=stored(mob(1)))
    assert (c1["user_id"], c1["slab"], c1["first_name"], c1["last_name"]) == (uid[1], "Platinum", "Bea", "L1")
    assert (c1["email"], c1["external_id"], c1["loyalty_type"], c1["status_label"]) == (
        "c1@example.com", "X1", "loyalty", "Active")
    c7 = jobs.customer(mobile=stored(mob(7)))
    assert (c7["user_id"], c7["first_name"], c7["email"]) == (uid[7], "Gus", "c7@example.com")
    assert jobs.customer(email="new7@example.com") is None
    c8 = jobs.customer(mobile=stored(mob(8)))
    assert (c8["first_name"], c8["last_name"], c8["slab"]) == ("F8", "New8", "Silver")
    c9 = jobs.customer(mobile=stored(mob(9)))
    assert (c9["loyalty_type"], c9["slab"], c9["email"]) == ("loyalty", "Gold", "c9@example.com")
    assert jobs.customer(mobile=stored(mob(11)))["slab"] == "Platinum"
    # invalid records changed nothing
    c0, c5, c6 = (jobs.customer(mobile=stored(mob(k))) for k in (0, 5, 6))
    assert (c0["slab"], c5["loyalty_type"], c6["slab"]) == ("Gold", "loyalty", None)
    # registration data is untouched by updates: 2024-01-15 10:00 Asia/Kolkata
    assert datetime.fromisoformat(c1["registered_on"]) == datetime(2024, 1, 15, 4, 30, tzinfo=timezone.utc)
    assert c1["registered_store"] == "STORE001"

    # Status transitions, by EXTERNAL_ID (the mapped mobile column is another identifier: no effect).
    status_rows = [
        {"external_id": "X2", "status": "Active"},                      # 0 DELETED is final
        {"external_id": "X3", "status": "Active"},                      # 1 PENDING_DELETION is final
        {"external_id": "X4", "status": "active"},                      # 2 already Active
        {"external_id": "X10", "status": "Suspicious", "mobile": mob(50)},  # 3 UPDATED, mobile untouched
        {"external_id": "X99", "status": "Suspicious"},                 # 4 unknown external_id
        {"external_id": "X5", "status": "SUSPICIOUS"},                  # 5 UPDATED (configured spelling stored)
        {"external_id": " X0 ", "status": "Suspicious"},                # 6 UPDATED (trimmed)
        {"external_id": "X6", "status": None},                          # 7 status_label mapped and null
    ]
    job, validate, ingest = jobs.run(status_rows, "update", "EXTERNAL_ID", [
        m("external_id", mandatory=True), m("mobile"), m("status", "status_label")])
    check_validation(validate, [
        ["Deleted status cannot be changed"],
        ["Pending Deletion status cannot be changed"],
        ["no status change found"],
        [],
        ["customer not found"],
        [],
        [],
        ["status label is invalid"],
    ])
    check_counts(job, valid=3, invalid=5, added=0, updated=3)
    check_ingest(ingest, {3: ("UPDATED", uid[10]), 5: ("UPDATED", uid[5]), 6: ("UPDATED", uid[0])})
    c10 = jobs.customer(external_id="X10")
    assert (c10["user_id"], c10["status_label"], c10["mobile"]) == (uid[10], "Suspicious", stored(mob(10)))
    assert jobs.customer(mobile=stored(mob(50))) is None
    assert jobs.customer(external_id="X5")["status_label"] == "Suspicious"
    c0 = jobs.customer(external_id="X0")
    assert (c0["status_label"], c0["slab"]) == ("Suspicious", "Gold")
    assert jobs.customer(external_id="X2")["status_label"] == "Deleted"
    assert jobs.customer(external_id="X3")["status_label"] == "Pending Deletion"
    assert jobs.customer(external_id="X4")["status_label"] == "Active"
    assert jobs.customer(external_id="X6")["status_label"] == "Active"


# ---- 2. upsert ------------------------------------------------------------------------------------------------


def test_upsert_matches_and_creates(api, org_id, warehouse_root):
    api.put_config(org_id, ORG_CONFIG)
    jobs = Jobs(api, org_id, warehouse_root)
    uid = seed(jobs, [{"mobile": mob(k), "external_id": f"E{k}", "first_name": f"F{k}"} for k in range(4)])

    reg = {"registered_on": REG, "store": "STORE001", "loyalty_type": "loyalty"}
    rows = [
        {"external_id": "E0", "first_name": "New0"},                        # 0 match: no registration fields
        {"external_id": "E1", "slab": "Platinum"},                          # 1 match
        {"external_id": "E20", "mobile": mob(20), **reg},                   # 2 new
        {"external_id": "E21", "mobile": mob(21), **reg, "registered_on": None},  # 3 new without registered_on
        {"external_id": "E2", "first_name": "A"},                           # 4 same existing external_id twice
        {"external_id": "E2 ", "first_name": "B"},                          # 5   (normalised: the same value)
        {"external_id": "E22", "mobile": mob(22), **reg},                   # 6 same new external_id twice
        {"external_id": "E22", "mobile": mob(23), **reg},                   # 7
        {"external_id": "E24", "first_name": "New24", **reg, "slab": "Gold"},  # 8 new, external_id only
        {"external_id": "E3", "first_name": "New3", "loyalty_type": None},  # 9 match
        {"external_id": "E25", "mobile": mob(0), **reg},                    # 10 new, mobile of customer 0
    ]
    mapping = [m("external_id", mandatory=True), m("mobile"), m("first_name"),
               m("registered_on", mandatory=True), m("store", "registered_store", mandatory=True),
               m("loyalty_type", mandatory=True), m("slab")]
    job, validate, ingest = jobs.run(rows, "upsert", "EXTERNAL_ID", mapping)
    check_validation(validate, [
        [], [], [], ["registered_on is mandatory"],
        ["duplicate external_id in source"], ["duplicate external_id in source"],
        ["duplicate external_id in source"], ["duplicate external_id in source"],
        [], [], ["mobile already exists"],
    ])
    check_counts(job, valid=5, invalid=6, added=2, updated=3)
    check_ingest(ingest, {0: ("UPDATED", uid[0]), 1: ("UPDATED", uid[1]), 2: ("ADDED", None),
                          8: ("ADDED", None), 9: ("UPDATED", uid[3])})
    errors = {i["message"]: i["count"] for i in api.errors(org_id, job["id"])["items"]}
    assert errors == {"registered_on is mandatory": 1, "duplicate external_id in source": 4,
                      "mobile already exists": 1}

    c0 = jobs.customer(external_id="E0")
    assert (c0["user_id"], c0["first_name"], c0["mobile"], c0["loyalty_type"]) == (
        uid[0], "New0", stored(mob(0)), "loyalty")
    assert jobs.customer(external_id="E1")["slab"] == "Platinum"
    c3 = jobs.customer(external_id="E3")
    assert (c3["first_name"], c3["loyalty_type"], c3["slab"]) == ("New3", "loyalty", "Silver")
    c20 = jobs.customer(external_id="E20")
    assert c20["user_id"] == ingest[2]["_user_id"] and c20["user_id"] not in uid.values()
    assert (c20["mobile"], c20["slab"], c20["status_label"]) == (stored(mob(20)), "Silver", "Active")  # defaults
    c24 = jobs.customer(external_id="E24")
    assert (c24["user_id"], c24["mobile"], c24["slab"]) == (ingest[8]["_user_id"], None, "Gold")
    assert jobs.customer(external_id="E2")["first_name"] == "F2"  # the duplicates changed nothing
    for key in ("E21", "E22", "E25"):
        assert jobs.customer(external_id=key) is None


# ---- 3. update by USER_ID -------------------------------------------------------------------------------------


async def _customer_of_another_org(dsn: str, org_id: int) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(
            "INSERT INTO customer.customers (org_id, mobile, registered_on, registered_store, loyalty_type, slab, "
            "status_label) VALUES ($1, '919876512345', $2, 'STORE001', 'loyalty', 'Silver', 'Active') "
            "RETURNING user_id", org_id, datetime(2020, 1, 1, tzinfo=timezone.utc))
    finally:
        await conn.close()


def test_update_by_user_id(api, settings, org_id, warehouse_root):
    api.put_config(org_id, ORG_CONFIG)
    jobs = Jobs(api, org_id, warehouse_root)
    uid = seed(jobs, [{"mobile": mob(k), "email": f"u{k}@example.com", "first_name": f"F{k}"} for k in range(3)])
    foreign = asyncio.run(_customer_of_another_org(settings.database_url, org_id + 1))

    rows = [
        {"user_id": str(uid[0]), "first_name": "Ann", "slab": "Gold"},   # 0 UPDATED
        {"user_id": "abc", "first_name": "X"},                           # 1
        {"user_id": "-5", "first_name": "X"},                            # 2
        {"user_id": str(max(uid.values()) + 10**12), "first_name": "X"},  # 3 no such customer
        {"user_id": f" {uid[1]} ", "mobile": mob(40), "first_name": "Ben"},  # 4 UPDATED; mobile has no effect
        {"user_id": str(foreign), "first_name": "X"},                    # 5 another org's customer
        {"user_id": None, "first_name": "X"},                            # 6 missing user_id
        {"user_id": "0", "first_name": "X"},                             # 7 not positive
    ]
    job, validate, ingest = jobs.run(rows, "update", "USER_ID", [
        m("user_id", mandatory=True), m("mobile"), m("first_name"), m("slab")])
    check_validation(validate, [
        [], ["user_id is invalid"], ["user_id is invalid"], ["customer not found"], [],
        ["customer not found"], [NO_ID], ["user_id is invalid"],
    ])
    check_counts(job, valid=2, invalid=6, added=0, updated=2)
    check_ingest(ingest, {0: ("UPDATED", uid[0]), 4: ("UPDATED", uid[1])})
    c0 = jobs.customer(user_id=uid[0])
    assert (c0["first_name"], c0["slab"], c0["mobile"], c0["email"]) == ("Ann", "Gold", stored(mob(0)), "u0@example.com")
    c1 = jobs.customer(user_id=uid[1])
    assert (c1["first_name"], c1["mobile"]) == ("Ben", stored(mob(1)))
    assert jobs.customer(mobile=stored(mob(40))) is None
    assert jobs.customer(user_id=uid[2])["first_name"] == "F2"
    assert jobs.customer(user_id=foreign) is None  # never another org's customer

    # user_id arriving typed (BIGINT)
    rows = [{"user_id": uid[2], "first_name": "Cy"}, {"user_id": -5, "first_name": "X"}, {"user_id": None}]
    job, validate, ingest = jobs.run(rows, "update", "USER_ID", [m("user_id", mandatory=True), m("first_name")],
                                     columns={"user_id": pa.int64()})
    check_validation(validate, [[], ["user_id is invalid"], [NO_ID]])
    check_counts(job, valid=1, invalid=2, added=0, updated=1)
    check_ingest(ingest, {0: ("UPDATED", uid[2])})
    assert jobs.customer(user_id=uid[2])["first_name"] == "Cy"


# ---- 4. two jobs racing for the same new mobile ---------------------------------------------------------------


def test_two_jobs_racing_for_the_same_new_mobile(api, org_id, warehouse_root):
    api.put_config(org_id, ORG_CONFIG)
    jobs = Jobs(api, org_id, warehouse_root)
    reg = {"registered_on": REG, "store": "STORE001", "loyalty_type": "loyalty"}
    shared = mob(777)
    a_rows = [{"mobile": mob(k), "first_name": f"A{k}", **reg} for k in range(5)]
    b_rows = [{"mobile": mob(100 + k), "first_name": f"B{k}", **reg} for k in range(5)]
    a_rows[2] = {"mobile": shared, "first_name": "from A", **reg}
    b_rows[3] = {"mobile": shared, "first_name": "from B", **reg}
    a = jobs.submit(a_rows, "insert", "MOBILE", INSERT_MAPPING)
    b = jobs.submit(b_rows, "insert", "MOBILE", INSERT_MAPPING)
    for job_id in (a, b):  # both validated before either is approved: both see the mobile as new
        _, validate = jobs.validated(job_id)
        check_validation(validate, [[]] * 5)
    api.approve(org_id, a)
    api.approve(org_id, b)
    (job_a, ingest_a), (job_b, ingest_b) = jobs.ingested(a), jobs.ingested(b)

    shared_a, shared_b = ingest_a[2], ingest_b[3]
    assert sorted([shared_a["_status"], shared_b["_status"]]) == ["ADDED", "FAILED"], (shared_a, shared_b)
    (winner, w_job, w_ingest, w_row), (loser, l_job, l_ingest, l_row) = sorted(
        [(shared_a, job_a, ingest_a, 2), (shared_b, job_b, ingest_b, 3)], key=lambda t: t[0]["_status"])
    assert loser["_error_message"].startswith("USER_INSERTION_FAILED"), loser
    assert "mobile already exists" in loser["_error_message"], loser  # the reason
    assert winner["_error_message"] is None and loser["_user_id"] is None  # nothing written for the loser
    check_counts(w_job, valid=5, invalid=0, added=5, updated=0)
    check_counts(l_job, valid=5, invalid=0, added=4, updated=0, failed=1)
    assert all(r["_status"] == "ADDED" for n, r in l_ingest.items() if n != l_row)
    page = api.http.get(f"/v1/orgs/{org_id}/jobs/{l_job['id']}/records",
                        params={"phase": "ingest", "status": "FAILED"}).json()
    assert [(r["_row_id"], r["_status"]) for r in page["items"]] == [(l_row, "FAILED")], page
    assert page["items"][0]["_error_message"] == loser["_error_message"]
    errors = api.errors(org_id, l_job["id"], phase="ingest")["items"]
    assert sum(i["count"] for i in errors) == 1 and errors[0]["message"].startswith("USER_INSERTION_FAILED")

    c = jobs.customer(mobile=stored(shared))
    assert c["user_id"] == winner["_user_id"]
    assert c["first_name"] == ("from A" if w_job["id"] == a else "from B")


# ---- 5. custom and extended fields typed as configured --------------------------------------------------------


def test_custom_and_extended_fields_typed_as_configured(api, org_id, warehouse_root):
    api.put_config(org_id, ORG_CONFIG)
    jobs = Jobs(api, org_id, warehouse_root)
    reg = {"registered_on": REG, "store": "STORE001", "loyalty_type": "loyalty"}
    rows = [
        {"mobile": mob(0), "visits": 7, "score": 7.0, "fav": "shoes", "gender": "Female", "city": " Pune "},
        {"mobile": mob(1), "visits": None, "score": None, "fav": None, "gender": "male", "city": None},
        {"mobile": mob(2), "visits": 12, "score": 3.5, "gender": "Unknown"},
        {"mobile": mob(3), "visits": None, "score": 4.0, "gender": None},
    ]
    rows = [{**reg, **r} for r in rows]
    mapping = [m("mobile", mandatory=True), m("registered_on", mandatory=True),
               m("store", "registered_store", mandatory=True), m("loyalty_type", mandatory=True),
               m("visits", "custom.visits"), m("score", "custom.score"), m("fav", "custom.fav_category"),
               m("gender", "extended.gender"), m("city", "extended.city")]
    # visits arrives as BIGINT with a NULL; score as DOUBLE (what a NULL makes of an integer column in a dataframe)
    job, validate, ingest = jobs.run(rows, "insert", "MOBILE", mapping,
                                     columns={"visits": pa.int64(), "score": pa.float64()})
    check_validation(validate, [[], [], ["custom.score is invalid", "extended.gender is invalid"], []])
    assert validate[0]["visits"] == 7 and validate[0]["score"] == 7.0  # original values in the report
    check_counts(job, valid=3, invalid=1, added=3, updated=0)

    r = api.http.get(f"/v1/orgs/{org_id}/customers", params={"mobile": stored(mob(0))})
    assert r.status_code == 200
    c0 = r.json()
    assert c0["custom"] == {"visits": 7, "score": 7, "fav_category": "shoes"}
    assert type(c0["custom"]["visits"]) is int and type(c0["custom"]["score"]) is int, r.text
    assert "7.0" not in json.dumps(c0["custom"])
    assert c0["extended"] == {"gender": "Female", "city": "Pune"}
    c1 = jobs.customer(mobile=stored(mob(1)))
    assert c1["custom"].get("visits") is None and c1["custom"].get("fav_category") is None
    assert c1["extended"] == {"gender": "Male"}  # the allowed value's configured spelling
    c3 = jobs.customer(mobile=stored(mob(3)))
    assert c3["custom"] == {"score": 4} and type(c3["custom"]["score"]) is int
    assert jobs.customer(mobile=stored(mob(2))) is None

    # An update changes only the custom / extended values present; the others stay. A DOUBLE column with a NULL
    # still writes integers to an integer field.
    rows = [{"mobile": mob(0), "visits": 8.0, "gender": "other"}, {"mobile": mob(1), "visits": None, "city": "Goa"}]
    job, validate, ingest = jobs.run(rows, "update", "MOBILE", [
        m("mobile", mandatory=True), m("visits", "custom.visits"), m("gender", "extended.gender"),
        m("city", "extended.city")], columns={"visits": pa.float64()})
    check_validation(validate, [[], []])
    check_counts(job, valid=2, invalid=0, added=0, updated=2)
    c0 = jobs.customer(mobile=stored(mob(0)))
    assert c0["custom"] == {"visits": 8, "score": 7, "fav_category": "shoes"}
    assert type(c0["custom"]["visits"]) is int and type(c0["custom"]["score"]) is int
    assert c0["extended"] == {"gender": "Other", "city": "Pune"}
    c1 = jobs.customer(mobile=stored(mob(1)))
    assert c1["extended"] == {"gender": "Male", "city": "Goa"}


def test_a_job_with_no_valid_record_completes_with_an_empty_ingest_report(api, org_id, warehouse_root):
    """Approving a job none of whose records is VALID ingests nothing (SPEC 2: only valid records are written)
    and still ends with its ingest report table (SPEC 5), created although no part has a row."""
    api.put_config(org_id, ORG_CONFIG)
    jobs = Jobs(api, org_id, warehouse_root)
    rows = [{"mobile": mob(k), "first_name": "Nobody"} for k in range(3)]  # nobody to update in a new org
    job_id = jobs.submit(rows, "update", "MOBILE", [m("mobile", mandatory=True), m("first_name")])
    job, validate = jobs.validated(job_id)
    assert (job["validation"]["valid"], job["validation"]["invalid"]) == (0, 3)
    check_validation(validate, [["customer not found"]] * 3)
    api.approve(org_id, job_id)
    job, ingest = jobs.ingested(job_id)
    assert job["status"] == "COMPLETED"
    assert (job["ingest"]["added"], job["ingest"]["updated"], job["ingest"]["failed"]) == (0, 0, 0)
    assert ingest == {}
    assert jobs.customer(mobile=stored(mob(0))) is None
