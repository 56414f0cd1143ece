"""SPEC 8: bearer tokens, roles per endpoint, org isolation (404 for every other org's data), distinct approver."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from dataimport.tokens import hash_token

from tests.api.conftest import ORG_CONFIG, Api, assert_problem, job_body, new_org

pytestmark = pytest.mark.integration


def _every_operation(api: Api) -> list[tuple[str, str]]:
    doc = api.get("/openapi.json").json()
    return [(method.upper(), path) for path, item in doc["paths"].items() for method in item
            if path.startswith("/v1/orgs/{org_id}")]


def _url(path: str, org: int, job_id: str, table: str = "people") -> str:
    return path.format(org_id=org, job_id=job_id, table=table, profile="customer")


BODIES = {
    ("POST", "/v1/orgs/{org_id}/jobs"): {"name": "x"},
    ("PATCH", "/v1/orgs/{org_id}/jobs/{job_id}"): {"name": "x"},
    ("PUT", "/v1/orgs/{org_id}/config"): ORG_CONFIG,
}


def test_missing_bad_and_revoked_tokens_get_401(make_token, dsn, org):
    for api in (Api(None), Api("di_not-a-token"), Api("x" * 500)):
        body = assert_problem(api.get(f"/v1/orgs/{org}/jobs"), 401)
        assert "token" in body["detail"].lower()
    r = Api(None).get(f"/v1/orgs/{org}/jobs")
    assert r.headers["www-authenticate"] == "Bearer"

    token = make_token({org: ["editor"]})
    assert Api(token).get(f"/v1/orgs/{org}/jobs").status_code == 200

    async def revoke():
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("UPDATE dataimport.api_tokens SET revoked_at = now() WHERE token_hash = $1",
                               hash_token(token))
        finally:
            await conn.close()

    asyncio.run(revoke())
    assert_problem(Api(token).get(f"/v1/orgs/{org}/jobs"), 401)


def test_tokens_are_stored_hashed(make_token, dsn):
    token = make_token({new_org(): ["editor"]})

    async def look():
        conn = await asyncpg.connect(dsn)
        try:
            return await conn.fetchval("SELECT count(*) FROM dataimport.api_tokens WHERE token_hash = $1 "
                                       "OR description = $1 OR user_name = $1", token)
        finally:
            await conn.close()

    assert asyncio.run(look()) == 0


def test_every_operation_needs_a_token(org):
    anonymous = Api(None)
    ops = _every_operation(anonymous)
    assert len(ops) >= 16
    for method, path in ops:
        r = anonymous.request(method, _url(path, org, str(uuid.uuid4())), json=BODIES.get((method, path)))
        assert_problem(r, 401)


@pytest.fixture
def org_with_draft(make_token, write_table, org):
    admin = Api(make_token({org: ["editor", "approver", "admin"]}))
    assert admin.put(f"/v1/orgs/{org}/config", json=ORG_CONFIG).status_code == 200
    write_table(org, "people")
    return org, admin


def test_editor_role(make_token, org_with_draft):
    org, admin = org_with_draft
    editor = Api(make_token({org: ["editor"]}))
    job = editor.create_job(org, job_body())
    assert editor.patch(f"/v1/orgs/{org}/jobs/{job['id']}", json={"description": "d"}).status_code == 200
    for method, path, body in (("POST", "approve", None), ("POST", "reject", None)):
        assert_problem(editor.request(method, f"/v1/orgs/{org}/jobs/{job['id']}/{path}", json=body), 403)
    assert_problem(editor.put(f"/v1/orgs/{org}/config", json=ORG_CONFIG), 403)
    assert editor.get(f"/v1/orgs/{org}/config").status_code == 200
    assert editor.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate").status_code == 202


def test_approver_role(make_token, org_with_draft):
    org, admin = org_with_draft
    approver = Api(make_token({org: ["approver"]}))
    job = admin.create_job(org, job_body())
    assert_problem(approver.post(f"/v1/orgs/{org}/jobs", json={"name": "no"}), 403)
    assert_problem(approver.patch(f"/v1/orgs/{org}/jobs/{job['id']}", json={"name": "no"}), 403)
    assert_problem(approver.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate"), 403)
    assert_problem(approver.put(f"/v1/orgs/{org}/config", json=ORG_CONFIG), 403)
    for path in ("", f"/{job['id']}", f"/{job['id']}/history", f"/{job['id']}/errors", f"/{job['id']}/records"):
        assert approver.get(f"/v1/orgs/{org}/jobs{path}").status_code == 200, path
    assert approver.get(f"/v1/orgs/{org}/tables").json() == {"tables": ["people"]}
    assert approver.post(f"/v1/orgs/{org}/jobs/{job['id']}/reject").json()["status"] == "REJECTED"


def test_admin_role(make_token, org_with_draft):
    org, admin = org_with_draft
    only_admin = Api(make_token({org: ["admin"]}))
    job = admin.create_job(org, job_body())
    assert only_admin.put(f"/v1/orgs/{org}/config", json={**ORG_CONFIG, "slabs": ["Base"]}).json()["slabs"] == ["Base"]
    assert_problem(only_admin.post(f"/v1/orgs/{org}/jobs", json={"name": "no"}), 403)
    assert_problem(only_admin.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate"), 403)
    assert_problem(only_admin.post(f"/v1/orgs/{org}/jobs/{job['id']}/reject"), 403)
    assert only_admin.get(f"/v1/orgs/{org}/profiles/customer/fields").status_code == 200


def test_a_token_never_reaches_another_org(make_token, write_table, validated):
    """Every operation of the API, with a token that has every role on its own org, against a real job and table
    of another org: 404 each time, and nothing about the other org in the answer."""
    other, other_job = validated["org"], validated["job"]["id"]
    mine = new_org()
    api = Api(make_token({mine: ["editor", "approver", "admin"]}))
    ops = _every_operation(api)
    assert len(ops) >= 16
    for method, path in ops:
        r = api.request(method, _url(path, other, other_job), json=BODIES.get((method, path)),
                        params={"mobile": "919876500001"} if path.endswith("/customers") else None)
        body = assert_problem(r, 404)
        assert "people" not in r.text and other_job not in r.text, (method, path, body)
    # the other org's job through my own org's paths: not found either
    for method, path in ops:
        if "{job_id}" in path:
            assert_problem(api.request(method, _url(path, mine, other_job), json=BODIES.get((method, path))), 404)
    # and nothing changed in the other org
    owner = Api(validated["token"])
    assert owner.get(f"/v1/orgs/{other}/jobs/{other_job}").json()["status"] == "AWAITING_APPROVAL"
    assert owner.get(f"/v1/orgs/{other}/config").json()["slabs"] == ORG_CONFIG["slabs"]


def test_org_scoped_token_and_all_orgs_token(make_token, org):
    scoped = Api(make_token({org: ["editor"]}))
    assert scoped.get(f"/v1/orgs/{org}/jobs").status_code == 200
    assert_problem(scoped.get(f"/v1/orgs/{org + 1}/jobs"), 404)
    everywhere = Api(make_token({"*": ["editor"]}))
    assert everywhere.get(f"/v1/orgs/{org + 1}/jobs").status_code == 200


def test_distinct_approver(make_token, write_table, org):
    alice = Api(make_token({org: ["editor", "approver", "admin"]}, user="alice"))
    bob = Api(make_token({org: ["approver"]}, user="bob"))
    assert alice.put(f"/v1/orgs/{org}/config", json={**ORG_CONFIG, "require_distinct_approver": True}).status_code == 200
    write_table(org, "people")
    job = alice.create_job(org, job_body())
    assert alice.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate").status_code == 202
    assert alice.wait(org, job["id"])["status"] == "AWAITING_APPROVAL"
    body = assert_problem(alice.post(f"/v1/orgs/{org}/jobs/{job['id']}/approve"), 403)
    assert "differ" in body["detail"]
    r = bob.post(f"/v1/orgs/{org}/jobs/{job['id']}/approve")
    assert r.status_code == 202 and r.json()["ingest"]["approved_by"] == "bob"
    alice.wait(org, job["id"])
