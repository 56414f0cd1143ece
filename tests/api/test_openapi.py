"""The OpenAPI document: every endpoint of SPEC 6 with examples and its problem+json errors, the generated docs
up to date, and a bounded property-based run (schemathesis) against the live API: no 5xx, no answer outside
the document."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.api.conftest import BASE_URL, ORG_CONFIG, Api, new_org

SPEC_6 = [
    ("put", "/v1/orgs/{org_id}/config"),
    ("get", "/v1/orgs/{org_id}/config"),
    ("get", "/v1/orgs/{org_id}/tables"),
    ("get", "/v1/orgs/{org_id}/tables/{table}/preview"),
    ("get", "/v1/orgs/{org_id}/profiles/{profile}/fields"),
    ("post", "/v1/orgs/{org_id}/jobs"),
    ("patch", "/v1/orgs/{org_id}/jobs/{job_id}"),
    ("get", "/v1/orgs/{org_id}/jobs"),
    ("get", "/v1/orgs/{org_id}/jobs/{job_id}"),
    ("post", "/v1/orgs/{org_id}/jobs/{job_id}/validate"),
    ("post", "/v1/orgs/{org_id}/jobs/{job_id}/approve"),
    ("post", "/v1/orgs/{org_id}/jobs/{job_id}/reject"),
    ("get", "/v1/orgs/{org_id}/jobs/{job_id}/errors"),
    ("get", "/v1/orgs/{org_id}/jobs/{job_id}/records"),
    ("get", "/v1/orgs/{org_id}/jobs/{job_id}/events"),
    ("get", "/v1/orgs/{org_id}/customers"),
    ("get", "/v1/orgs/{org_id}/jobs/{job_id}/history"),
    ("get", "/v1/orgs/{org_id}/jobs/{job_id}/invalid-records.csv"),
]


@pytest.fixture(scope="module")
def doc() -> dict:
    from job_api.main import create_app

    return create_app().openapi()


def test_every_spec_endpoint_is_documented_with_its_errors(doc):
    for method, path in SPEC_6:
        op = doc["paths"][path][method]
        responses = op["responses"]
        success = [c for c in responses if c.startswith("2")]
        assert len(success) == 1, (method, path)
        assert responses[success[0]]["content"], (method, path)
        for code in ("401", "404", "422"):
            assert "application/problem+json" in responses[code]["content"], (method, path, code)
            assert "application/json" not in responses[code]["content"], (method, path, code)
        if method != "get":
            assert {"403", "409", "413"} <= set(responses) or path.endswith("/config"), (method, path)
            assert "403" in responses
        assert op.get("security"), (method, path)
    for method, path in [m for m in SPEC_6 if m[0] == "post"]:
        names = [p["name"] for p in doc["paths"][path][method].get("parameters", [])]
        assert "Idempotency-Key" in names, path


def test_request_and_response_examples(doc):
    create = doc["paths"]["/v1/orgs/{org_id}/jobs"]["post"]["requestBody"]["content"]["application/json"]
    assert create["examples"]["complete"]["value"]["source"] == {"table": "customer_registration_10k"}
    config = doc["paths"]["/v1/orgs/{org_id}/config"]["put"]["requestBody"]["content"]["application/json"]
    assert config["examples"]["example"]["value"]["base_country"] == "IN"
    schemas = doc["components"]["schemas"]
    assert schemas["FieldCatalog"]["examples"] and schemas["Customer"]["examples"]
    assert "HTTPValidationError" not in schemas
    fields = doc["paths"]["/v1/orgs/{org_id}/profiles/{profile}/fields"]["get"]["responses"]["200"]
    assert fields["content"]["application/json"]["schema"]["$ref"].endswith("/FieldCatalog")


def test_generated_docs_are_up_to_date():
    r = subprocess.run([sys.executable, "scripts/gen_api_docs.py", "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.integration
def test_live_document_is_the_code_document(doc):
    live = Api(None).get("/openapi.json").json()
    assert live["paths"].keys() == doc["paths"].keys()


@pytest.mark.integration
def test_property_based_run_finds_no_server_error(make_token, write_table):
    """Schemathesis generates requests from the live document for every operation, on a fresh org with a
    config and a source table, with a token holding every role on it: no 5xx, every answer's status code,
    content type and body as documented."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    org = new_org()
    token = make_token({org: ["editor", "approver", "admin"]}, user="fuzzer")
    api = Api(token)
    assert api.put(f"/v1/orgs/{org}/config", json=ORG_CONFIG).status_code == 200
    write_table(org, "people")
    job_id = api.create_job(org, {"name": "fuzz target"})["id"]

    schema = schemathesis.openapi.from_url(f"{BASE_URL}/openapi.json")
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    headers = {"Authorization": f"Bearer {token}"}
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 16
    failures = []
    for operation in operations:
        is_stream = operation.path.endswith("/events")

        @given(case=operation.as_strategy())
        @settings(max_examples=8 if is_stream else 25, deadline=None, database=None, derandomize=False,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case):
            if "org_id" in (case.path_parameters or {}):
                case.path_parameters["org_id"] = org
                if "job_id" in case.path_parameters and hash(str(case.path_parameters["job_id"])) % 2:
                    case.path_parameters["job_id"] = job_id  # half of the cases on a real job
            case.call_and_validate(headers=headers, checks=checks, timeout=30)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert time.monotonic() - started < 90
