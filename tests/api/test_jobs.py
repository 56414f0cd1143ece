"""SPEC 6 endpoint by endpoint against the live API: drafts, the configuration check, the field catalog,
previews, progress (and its server-sent events), reports, the CSV of invalid records, history, approval."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.api.conftest import COLUMNS, INVALID_ROWS, MAPPING, ORG_CONFIG, ROWS, Api, assert_problem, job_body

pytestmark = pytest.mark.integration


def test_draft_with_only_a_name_is_edited_until_validation_starts(admin, org, source):
    r = admin.post(f"/v1/orgs/{org}/jobs", json={"name": "only a name"})
    assert r.status_code == 201, r.text
    job = r.json()
    assert job["status"] == "DRAFT" and job["source"] is None and job["method"] is None and job["mapping"] is None
    assert job["created_by"] == "alice"

    r = admin.patch(f"/v1/orgs/{org}/jobs/{job['id']}", json={"source": {"table": source}, "method": "insert"})
    assert r.status_code == 200, r.text
    assert r.json()["source"] == {"table": source} and r.json()["method"] == "insert"
    r = admin.patch(f"/v1/orgs/{org}/jobs/{job['id']}", json={"unique_id": "MOBILE", "mapping": MAPPING,
                                                              "description": "March"})
    assert r.json()["description"] == "March" and r.json()["name"] == "only a name"

    assert admin.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate").status_code == 202
    body = assert_problem(admin.patch(f"/v1/orgs/{org}/jobs/{job['id']}", json={"name": "late"}), 409)
    assert "draft" in body["detail"].lower()
    assert_problem(admin.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate"), 409)
    admin.wait(org, job["id"])


def test_validate_lists_every_configuration_problem_at_once(admin, org, source):
    mapping = [
        {"source_column": "mobile", "field": "mobile"},
        {"source_column": "mobile", "field": "email"},            # source column used twice
        {"source_column": "no_such_column", "field": "first_name"},  # unknown column
        {"source_column": "email", "field": "first_name"},       # profile field mapped twice
    ]
    job = admin.create_job(org, job_body(mapping=mapping))
    body = assert_problem(admin.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate"), 422)
    codes = [e["code"] for e in body["errors"]]
    assert "duplicate_source_column" in codes
    assert "unknown_source_column" in codes
    assert "duplicate_field" in codes
    unmapped = [e for e in body["errors"] if e["code"] == "mandatory_field_unmapped"]
    assert len(unmapped) == 3  # registered_on, loyalty_type, store or till
    assert all("1 of 4 mandatory profile fields mapped" in e["message"] for e in unmapped)
    assert admin.get(f"/v1/orgs/{org}/jobs/{job['id']}").json()["status"] == "DRAFT"


def test_validate_refuses_missing_table_user_id_insert_and_upsert_with_flexibility(admin, org, source):
    job = admin.create_job(org, job_body(table="missing_table"))
    body = assert_problem(admin.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate"), 422)
    assert [e["code"] for e in body["errors"]] == ["table_not_found"]

    job = admin.create_job(org, job_body(unique_id="USER_ID", method="insert",
                                         mapping=[*MAPPING, {"source_column": "note", "field": "user_id"}]))
    codes = {e["code"] for e in assert_problem(admin.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate"), 422)["errors"]}
    assert {"unique_id_not_allowed", "field_not_allowed"} <= codes

    job = admin.create_job(org, job_body(unique_id="USER_ID", method="upsert"))
    codes = {e["code"] for e in assert_problem(admin.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate"), 422)["errors"]}
    assert "unique_id_not_allowed" in codes

    assert admin.put(f"/v1/orgs/{org}/config", json={**ORG_CONFIG, "identifier_flexibility": True}).status_code == 200
    job = admin.create_job(org, job_body(method="upsert"))
    body = assert_problem(admin.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate"), 422)
    assert [e["code"] for e in body["errors"]] == ["method_not_allowed"]
    assert "Upsert" in body["errors"][0]["message"]


def test_incomplete_draft_and_missing_org_config_are_reported(make_token, org):
    api = Api(make_token({org: ["editor"]}))
    job = api.create_job(org, {"name": "empty"})
    body = assert_problem(api.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate"), 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"source.table", "method", "unique_id", "mapping", "org_config"} <= fields


def test_org_config_round_trip_and_problems(admin, org):
    got = admin.get(f"/v1/orgs/{org}/config").json()
    assert got["base_country"] == "IN" and got["stores"] == ORG_CONFIG["stores"]
    bad = {**ORG_CONFIG, "base_country": "XX", "status_labels": [{"label": "A", "status": "NOPE"}], "surprise": 1}
    body = assert_problem(admin.put(f"/v1/orgs/{org}/config", json=bad), 422)
    assert len(body["errors"]) >= 3
    assert admin.get(f"/v1/orgs/{org}/config").json() == got  # unchanged


def test_field_catalog(admin, org):
    cat = admin.get(f"/v1/orgs/{org}/profiles/customer/fields").json()
    ids = {c: [f["id"] for f in fields] for c, fields in cat["categories"].items()}
    assert ids["identifiers"] == ["mobile", "email", "external_id", "user_id"]
    assert ids["custom"] == ["custom.fav_category"] and ids["extended"] == ["extended.gender"]
    gender = cat["categories"]["extended"][0]
    assert gender["values"] == ["Male", "Female"]
    assert all("type" in f for fields in cat["categories"].values() for f in fields)
    assert len(cat["mandatory"]["insert"]["MOBILE"]) == 4
    assert cat["mandatory"]["update"]["EXTERNAL_ID"] == [["external_id"]]
    assert "USER_ID" not in cat["mandatory"]["insert"] and "USER_ID" in cat["mandatory"]["update"]
    assert_problem(admin.get(f"/v1/orgs/{org}/profiles/transactions/fields"), 404)


def test_tables_are_listed_live_and_previewed(admin, org, write_table):
    assert admin.get(f"/v1/orgs/{org}/tables").json() == {"tables": []}
    write_table(org, "people")
    assert admin.get(f"/v1/orgs/{org}/tables").json() == {"tables": ["people"]}
    write_table(org, "more_people", rows=ROWS * 30)
    assert admin.get(f"/v1/orgs/{org}/tables").json() == {"tables": ["more_people", "people"]}

    p = admin.get(f"/v1/orgs/{org}/tables/more_people/preview").json()
    assert p["total_records"] == len(ROWS) * 30
    assert p["fields"] == [{"name": c, "type": "string"} for c in COLUMNS]
    assert len(p["rows"]) == 50 and p["rows"][0] == ROWS[0]
    assert len(admin.get(f"/v1/orgs/{org}/tables/more_people/preview?limit=3").json()["rows"]) == 3
    assert_problem(admin.get(f"/v1/orgs/{org}/tables/nope/preview"), 404)


def test_progress_and_server_sent_events(admin, org, source):
    job = admin.create_job(org, job_body())
    assert admin.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate").status_code == 202
    events = []
    with admin.stream("GET", f"/v1/orgs/{org}/jobs/{job['id']}/events", timeout=60) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
                if name == "end":
                    break
    assert events[-1][0] == "end"
    jobs = [e for n, e in events if n == "job"]
    assert jobs[0]["status"] in ("VALIDATING", "AWAITING_APPROVAL")
    last = jobs[-1]
    assert last["status"] == "AWAITING_APPROVAL"
    v = last["validation"]
    assert v["records_total"] == v["records_validated"] == len(ROWS)
    assert (v["valid"], v["invalid"]) == (len(ROWS) - len(INVALID_ROWS), len(INVALID_ROWS))
    assert v["started_by"] == "alice" and v["duration_seconds"] >= 0 and v["finished_at"]
    assert v["estimated_seconds_remaining"] is None  # settled
    validated = [j["validation"]["records_validated"] for j in jobs]
    assert validated == sorted(validated)

    # a settled job's stream answers once and ends
    with admin.stream("GET", f"/v1/orgs/{org}/jobs/{job['id']}/events") as r:
        text = r.read().decode()
    assert text.count("event: job") == 1 and text.endswith("event: end\ndata: {}\n\n")


def test_records_carry_source_columns_and_page(validated):
    api, org, job = Api(validated["token"]), validated["org"], validated["job"]
    base = f"/v1/orgs/{org}/jobs/{job['id']}/records"
    page = api.get(base, params={"limit": 2}).json()
    assert [i["_row_id"] for i in page["items"]] == [0, 1] and page["next"]
    first = page["items"][0]
    assert {c: first[c] for c in COLUMNS} == ROWS[0]
    assert first["_status"] == "VALID" and first["_errors"] == [] and first["_error_message"] is None
    seen = [i["_row_id"] for i in page["items"]]
    while page["next"]:
        page = api.get(base, params={"limit": 2, "cursor": page["next"]}).json()
        seen += [i["_row_id"] for i in page["items"]]
    assert seen == list(range(len(ROWS)))

    invalid = api.get(base, params={"status": "INVALID"}).json()
    assert [i["_row_id"] for i in invalid["items"]] == list(INVALID_ROWS) and invalid["next"] is None
    assert invalid["items"][0]["mobile"] == "12345" and invalid["items"][0]["_errors"] == ["mobile is invalid"]
    assert sorted(invalid["items"][1]["_errors"]) == ["email is invalid", "registered_store is invalid"]
    valid = api.get(base, params={"status": "VALID"}).json()["items"]
    assert len(valid) == len(ROWS) - len(INVALID_ROWS)

    assert_problem(api.get(base, params={"cursor": "not-a-cursor"}), 422)
    assert_problem(api.get(base, params={"status": "ADDED"}), 422)  # an ingest status for the validate phase
    assert api.get(base, params={"phase": "ingest"}).json() == {"items": [], "next": None}


def test_error_summary(validated):
    api, org, job = Api(validated["token"]), validated["org"], validated["job"]
    summary = api.get(f"/v1/orgs/{org}/jobs/{job['id']}/errors").json()
    assert summary["phase"] == "validate"
    assert {i["message"]: i["count"] for i in summary["items"]} == {
        "mobile is invalid": 1, "email is invalid": 1, "registered_store is invalid": 1}


def test_invalid_records_csv(validated):
    api, org, job = Api(validated["token"]), validated["org"], validated["job"]
    r = api.get(f"/v1/orgs/{org}/jobs/{job['id']}/invalid-records.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == [*COLUMNS, "_row_id", "_error_message"]
    assert len(rows) == 1 + len(INVALID_ROWS)
    for line, row_id in zip(rows[1:], INVALID_ROWS):
        expected = [ROWS[row_id][c] or "" for c in COLUMNS]
        assert line[: len(COLUMNS)] == expected  # quotes, commas and newlines survive
        assert int(line[-2]) == row_id and line[-1]
    assert "registered_store is invalid" in rows[2][-1] and "; " in rows[2][-1]


def test_invalid_records_csv_before_the_report_is_written(admin, org):
    job = admin.create_job(org, {"name": "draft"})
    assert_problem(admin.get(f"/v1/orgs/{org}/jobs/{job['id']}/invalid-records.csv"), 409)


def test_approve_history_and_customers(make_token, write_table, org):
    editor = Api(make_token({org: ["editor", "admin"]}, user="ed"))
    approver = Api(make_token({org: ["approver"]}, user="ann"))
    assert editor.put(f"/v1/orgs/{org}/config", json=ORG_CONFIG).status_code == 200
    write_table(org, "people")
    job = editor.create_job(org, job_body("history"))
    assert_problem(approver.post(f"/v1/orgs/{org}/jobs/{job['id']}/approve"), 409)  # a draft
    assert editor.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate").status_code == 202
    editor.wait(org, job["id"])
    r = approver.post(f"/v1/orgs/{org}/jobs/{job['id']}/approve")
    assert r.status_code == 202, r.text
    assert r.json()["ingest"]["approved_by"] == "ann"
    assert_problem(approver.post(f"/v1/orgs/{org}/jobs/{job['id']}/approve"), 409)
    assert_problem(approver.post(f"/v1/orgs/{org}/jobs/{job['id']}/reject"), 409)
    done = editor.wait(org, job["id"], ("COMPLETED", "COMPLETED_PARTIAL"))
    assert done["status"] == "COMPLETED"
    i = done["ingest"]
    n_valid = len(ROWS) - len(INVALID_ROWS)
    assert (i["records_processed"], i["added"], i["updated"], i["failed"]) == (n_valid, n_valid, 0, 0)

    hist = editor.get(f"/v1/orgs/{org}/jobs/{job['id']}/history").json()["items"]
    actions = [(h["action"], h["actor"]) for h in hist]
    assert actions[:2] == [("created", "ed"), ("validation_started", "ed")]
    assert ("approved", "ann") in actions and actions[-1][0] == "ingest_completed"
    assert all(h["at"] for h in hist)

    ingest = editor.get(f"/v1/orgs/{org}/jobs/{job['id']}/records", params={"phase": "ingest"}).json()["items"]
    assert [r["_row_id"] for r in ingest] == [n for n in range(len(ROWS)) if n not in INVALID_ROWS]
    assert all(r["_status"] == "ADDED" and r["_user_id"] > 0 and r["mobile"] == ROWS[r["_row_id"]]["mobile"]
               for r in ingest)

    c = editor.get(f"/v1/orgs/{org}/customers", params={"mobile": "919876500001"}).json()
    assert c["email"] == "a1@example.com" and c["registered_store"] == "STORE001" and c["user_id"] > 0
    assert editor.get(f"/v1/orgs/{org}/customers", params={"user_id": c["user_id"]}).json() == c
    assert_problem(editor.get(f"/v1/orgs/{org}/customers", params={"mobile": "919999999999"}), 404)
    assert_problem(editor.get(f"/v1/orgs/{org}/customers"), 422)
    assert_problem(editor.get(f"/v1/orgs/{org}/customers", params={"mobile": "1", "email": "a@b.c"}), 422)


def test_reject_a_draft_and_a_validated_job(admin, org, source):
    draft = admin.create_job(org, {"name": "to reject"})
    r = admin.post(f"/v1/orgs/{org}/jobs/{draft['id']}/reject")
    assert r.status_code == 200 and r.json()["status"] == "REJECTED" and r.json()["rejected_by"] == "alice"
    job = admin.create_job(org, job_body())
    admin.post(f"/v1/orgs/{org}/jobs/{job['id']}/validate")
    admin.wait(org, job["id"])
    assert admin.post(f"/v1/orgs/{org}/jobs/{job['id']}/reject").json()["status"] == "REJECTED"
    assert_problem(admin.post(f"/v1/orgs/{org}/jobs/{job['id']}/approve"), 409)
    hist = [h["action"] for h in admin.get(f"/v1/orgs/{org}/jobs/{job['id']}/history").json()["items"]]
    assert hist[-1] == "rejected"


def test_job_list_newest_first_and_filtered(admin, org):
    ids = [admin.create_job(org, {"name": f"job {i}"})["id"] for i in range(3)]
    admin.post(f"/v1/orgs/{org}/jobs/{ids[0]}/reject")
    listed = admin.get(f"/v1/orgs/{org}/jobs").json()["items"]
    assert [j["id"] for j in listed] == ids[::-1]
    drafts = admin.get(f"/v1/orgs/{org}/jobs", params={"status": "DRAFT"}).json()["items"]
    assert [j["id"] for j in drafts] == ids[:0:-1]
    assert_problem(admin.get(f"/v1/orgs/{org}/jobs", params={"status": "NOPE"}), 422)
