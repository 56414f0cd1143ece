"""`Idempotency-Key` on POSTs, and bad input of every kind: always a 4xx problem+json, never a 500."""

from __future__ import annotations

import uuid
from urllib.parse import quote
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.api.conftest import Api, assert_problem, job_body

pytestmark = pytest.mark.integration


def test_create_replays_with_the_same_key_and_refuses_a_different_body(admin, org):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = admin.post(f"/v1/orgs/{org}/jobs", json={"name": "once"}, headers=key)
    assert first.status_code == 201
    again = admin.post(f"/v1/orgs/{org}/jobs", json={"name": "once"}, headers=key)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(admin.get(f"/v1/orgs/{org}/jobs").json()["items"]) == 1
    body = assert_problem(admin.post(f"/v1/orgs/{org}/jobs", json={"name": "twice"}, headers=key), 422)
    assert body["errors"][0]["field"] == "Idempotency-Key"
    # the same key on another endpoint is another request too
    assert_problem(admin.post(f"/v1/orgs/{org}/jobs/{first.json()['id']}/reject", headers=key), 422)
    # without a key, every POST acts
    admin.post(f"/v1/orgs/{org}/jobs", json={"name": "once"})
    assert len(admin.get(f"/v1/orgs/{org}/jobs").json()["items"]) == 2


def test_keys_belong_to_their_token(make_token, admin, org):
    other = Api(make_token({org: ["editor"]}))
    key = {"Idempotency-Key": "shared-key"}
    a = admin.post(f"/v1/orgs/{org}/jobs", json={"name": "a"}, headers=key).json()
    b = other.post(f"/v1/orgs/{org}/jobs", json={"name": "b"}, headers=key)
    assert b.status_code == 201 and b.json()["id"] != a["id"]


def test_a_failed_request_can_be_retried_with_its_key(admin, org, source):
    job = admin.create_job(org, job_body(mapping=[{"source_column": "mobile", "field": "mobile"}]))
    key = {"Idempotency-Key": str(uuid.uuid4())}
    assert_problem(admin.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate", headers=key), 422)
    admin.patch(f"/v1/orgs/{org}/jobs/{job['id']}", json={"mapping": job_body()["mapping"]})
    assert admin.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate", headers=key).status_code == 202
    admin.wait(org, job["id"])


def test_concurrent_validate_and_approve_with_one_key_act_once(admin, org, source, dsn):
    import asyncio

    import asyncpg

    job = admin.create_job(org, job_body())
    url = f"/v1/orgs/{org}/jobs/{job['id']}"

    def fire(path: str, key: str) -> list:
        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(lambda _: admin.post(f"{url}/{path}", headers={"Idempotency-Key": key}), range(8)))

    answers = fire("validate", "validate-" + job["id"])
    codes = sorted(r.status_code for r in answers)
    assert set(codes) <= {202, 409} and 202 in codes, codes
    for r in answers:
        if r.status_code == 409:
            assert_problem(r, 409)
    assert admin.wait(org, job["id"])["status"] == "AWAITING_APPROVAL"
    replay = admin.post(f"{url}/validate", headers={"Idempotency-Key": "validate-" + job["id"]})
    assert replay.status_code == 202 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["status"] == "VALIDATING"  # the first answer, as it was

    answers = fire("approve", "approve-" + job["id"])
    assert 202 in {r.status_code for r in answers}
    assert {r.status_code for r in answers} <= {202, 409}
    admin.wait(org, job["id"])

    async def count() -> dict:
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch("SELECT action, count(*) AS n FROM dataimport.job_history WHERE job_id = $1 "
                                    "GROUP BY action", uuid.UUID(job["id"]))
            topics = await conn.fetch("SELECT topic, count(*) AS n FROM dataimport.outbox WHERE payload->>'job_id' = $1 "
                                      "GROUP BY topic", job["id"])
            return {r["action"]: r["n"] for r in rows} | {r["topic"]: r["n"] for r in topics}
        finally:
            await conn.close()

    counts = asyncio.run(count())
    assert counts["validation_started"] == 1 and counts["approved"] == 1
    assert counts["dataimport.job-submitted.v1"] == 1 and counts["dataimport.job-approved.v1"] == 1


def test_malformed_and_invalid_bodies(admin, org):
    url = f"/v1/orgs/{org}/jobs"
    json_headers = {"content-type": "application/json"}
    assert_problem(admin.post(url, content=b'{"name": ', headers=json_headers), 422)
    assert_problem(admin.post(url, content=b"\xff\xfe not utf-8", headers=json_headers), 422)
    assert_problem(admin.post(url, content=b"[1, 2]", headers=json_headers), 422)
    assert_problem(admin.post(url, content=b"null", headers=json_headers), 422)
    body = assert_problem(admin.post(url, json={"name": 12, "method": "delete", "mapping": "x"}), 422)
    assert {"name", "method", "mapping"} <= {e["field"] for e in body["errors"]}
    body = assert_problem(admin.post(url, json={"name": "x", "surprise": True}), 422)
    assert body["errors"][0]["field"] == "surprise"
    assert_problem(admin.post(url, json={"name": "x", "mapping": [{"source_column": "a", "field": "b", "x": 1}]}), 422)
    assert_problem(admin.post(url, json={"name": ""}), 422)
    assert_problem(admin.post(url, json={"name": "x" * 10_000}), 422)
    assert_problem(admin.put(f"/v1/orgs/{org}/config", content=b"{", headers=json_headers), 422)
    assert_problem(admin.get(f"/v1/orgs/{org}/jobs/not-a-uuid"), 422)
    assert_problem(admin.get("/v1/orgs/abc/jobs"), 422)
    assert_problem(admin.get("/v1/orgs/-5/jobs"), 422)
    assert_problem(admin.get(f"/v1/orgs/{2**70}/jobs"), 422)
    assert_problem(admin.get(f"{url}", params={"limit": "lots"}), 422)
    assert_problem(admin.post(url, json={"name": "x"}, headers={"Idempotency-Key": "bad key with spaces"}), 422)
    assert_problem(admin.post(url, json={"name": "x"}, headers={"Idempotency-Key": "k" * 300}), 422)


def test_oversized_bodies(admin, org):
    url = f"/v1/orgs/{org}/jobs"
    big = b'{"name": "' + b"x" * 2_000_000 + b'"}'
    body = assert_problem(admin.post(url, content=big, headers={"content-type": "application/json"}), 413)
    assert "1048576" in body["detail"]

    def chunks():
        yield b'{"name": "'
        for _ in range(2000):
            yield b"x" * 1000
        yield b'"}'

    # no Content-Length: a chunked body is limited too
    assert_problem(admin.post(url, content=chunks(), headers={"content-type": "application/json"}), 413)

    def small():
        yield b'{"name": '
        yield b'"chunked"}'

    r = admin.post(url, content=small(), headers={"content-type": "application/json"})
    assert r.status_code == 201 and r.json()["name"] == "chunked"


HOSTILE = ["a'b", 'a"b', "a.b", "import_1.people", "..", "../people", "a/b", "a\\b", "a b", "a;drop table x",
           "ä", "a\x00b", "%2e%2e", "x" * 200, "people--", "people`"]


def test_hostile_table_and_column_names(admin, org, source):
    draft = admin.create_job(org, {"name": "p"})
    for name in HOSTILE:
        r = admin.get(f"/v1/orgs/{org}/tables/{quote(name, safe='')}/preview")
        assert r.status_code in (404, 422), (name, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json"), (name, r.text)
        assert_problem(admin.post(f"/v1/orgs/{org}/jobs", json={"name": "x", "source": {"table": name}}), 422)
        assert_problem(admin.patch(f"/v1/orgs/{org}/jobs/{draft['id']}", json={"source": {"table": name}}), 422)
    # hostile column names are only ever compared with the table's columns
    mapping = [{"source_column": c, "field": "mobile"} for c in ("a'b", "x\"; drop", "../etc", "a.b")]
    job = admin.create_job(org, job_body(mapping=mapping))
    body = assert_problem(admin.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate"), 422)
    assert sum(e["code"] == "unknown_source_column" for e in body["errors"]) == 4
    # a table outside import_<org>: another org's table by a relative path is never found
    assert_problem(admin.get(f"/v1/orgs/{org}/tables/..%2Fimport_1%2Fpeople/preview"), 404)


def test_unknown_paths_and_methods_are_problems(admin, org):
    assert_problem(admin.get(f"/v1/orgs/{org}/nothing"), 404)
    r = admin.delete(f"/v1/orgs/{org}/jobs")
    assert r.status_code == 405 and r.headers["content-type"].startswith("application/problem+json")
