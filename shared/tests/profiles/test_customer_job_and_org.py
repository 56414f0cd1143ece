"""Job configuration checks, the field catalog and the org configuration."""

from __future__ import annotations

from typing import Any

import pytest
from customer_helpers import org_with

from dataimport.orgs import OrgConfig, demo_org_config, parse_org_config
from dataimport.profiles.base import FieldMapping, JobConfig
from dataimport.profiles.customer import CustomerProfile

PROFILE = CustomerProfile()
COLUMNS = ["mobile_no", "email_id", "reg_date", "store", "till", "ltype", "fname", "visits"]


def job(method: str, unique_id: str, *pairs: tuple[str, str]) -> JobConfig:
    return JobConfig(method, unique_id, tuple(FieldMapping(c, f) for c, f in pairs))  # type: ignore[arg-type]


FULL_INSERT = (
    ("mobile_no", "mobile"), ("reg_date", "registered_on"), ("ltype", "loyalty_type"), ("till", "registered_till")
)


def codes(problems: list[Any]) -> list[str]:
    return [p.code for p in problems]


def test_complete_jobs_have_no_problems() -> None:
    org = demo_org_config()
    assert PROFILE.check_job(job("insert", "MOBILE", *FULL_INSERT), org, COLUMNS) == []
    assert PROFILE.check_job(job("upsert", "MOBILE", *FULL_INSERT), org, COLUMNS) == []
    assert PROFILE.check_job(job("update", "MOBILE", ("mobile_no", "mobile")), org, COLUMNS) == []
    assert PROFILE.check_job(job("update", "USER_ID", ("mobile_no", "user_id"), ("visits", "custom.visits")),
                             org, COLUMNS) == []


def test_missing_mandatory_mappings_are_counted() -> None:
    problems = PROFILE.check_job(job("insert", "EMAIL", ("mobile_no", "mobile"), ("reg_date", "registered_on")),
                                 demo_org_config(), COLUMNS)
    assert codes(problems) == ["mandatory_field_unmapped"] * 3
    assert [p.field for p in problems] == ["email", "loyalty_type", "registered_store"]
    assert all("1 of 4 mandatory profile fields mapped" in p.detail for p in problems)
    assert "registered_store or registered_till" in problems[2].detail
    update = PROFILE.check_job(job("update", "EXTERNAL_ID"), demo_org_config(), COLUMNS)
    assert codes(update) == ["mandatory_field_unmapped"] and "0 of 1 mandatory" in update[0].detail


def test_mapping_problems() -> None:
    j = job(
        "insert", "MOBILE", *FULL_INSERT,
        ("nope", "first_name"), ("fname", "last_name"), ("fname", "custom.fav_category"),
        ("email_id", "email"), ("store", "email"), ("visits", "custom.unknown"), ("visits", "extended.zip"),
    )
    problems = PROFILE.check_job(j, demo_org_config(), COLUMNS)
    assert sorted(codes(problems)) == sorted([
        "unknown_source_column", "duplicate_source_column", "duplicate_field", "duplicate_source_column",
        "unknown_field", "unknown_field",
    ])


def test_user_id_only_with_update_and_upsert_refused_with_identifier_flexibility() -> None:
    org = demo_org_config()
    assert "unique_id_not_allowed" in codes(PROFILE.check_job(job("insert", "USER_ID", *FULL_INSERT), org, COLUMNS))
    assert "unique_id_not_allowed" in codes(PROFILE.check_job(job("upsert", "USER_ID", *FULL_INSERT), org, COLUMNS))
    flex = org_with(identifier_flexibility=True)
    problems = PROFILE.check_job(job("upsert", "MOBILE", *FULL_INSERT), flex, COLUMNS)
    assert codes(problems) == ["method_not_allowed"]
    assert "identifier flexibility" in problems[0].detail
    assert PROFILE.check_job(job("insert", "MOBILE", *FULL_INSERT), flex, COLUMNS) == []


def test_mandatory_fields_per_method() -> None:
    assert PROFILE.mandatory_fields("insert", "MOBILE") == [
        ["mobile"], ["registered_on"], ["loyalty_type"], ["registered_store", "registered_till"]
    ]
    assert PROFILE.mandatory_fields("upsert", "EXTERNAL_ID")[0] == ["external_id"]
    assert PROFILE.mandatory_fields("update", "USER_ID") == [["user_id"]]


def test_field_catalog() -> None:
    cat = PROFILE.field_catalog(demo_org_config())
    ids = {k: [f["id"] for f in v] for k, v in cat["categories"].items()}
    assert ids["identifiers"] == ["mobile", "email", "external_id", "user_id"]
    assert ids["standard"] == ["first_name", "last_name", "registered_on", "registered_store", "registered_till"]
    assert ids["loyalty"] == ["loyalty_type", "slab", "slab_expiry"]
    assert ids["status"] == ["status_label"]
    assert ids["custom"] == ["custom.fav_category", "custom.newsletter", "custom.visits"]
    assert ids["extended"] == ["extended.gender", "extended.dob", "extended.city"]
    assert cat["categories"]["extended"][0]["values"] == ["Male", "Female", "Other"]
    assert cat["mandatory"]["update"]["USER_ID"] == [["user_id"]]
    assert "USER_ID" not in cat["mandatory"]["insert"]
    assert PROFILE.duplicate_message("email") == "duplicate email in source"
    assert PROFILE.name == "customer"


# ---- org configuration ----------------------------------------------------------------------------------------

SPEC_EXAMPLE = {
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
    "custom_fields": [{"name": "fav_category", "type": "string"}, {"name": "newsletter", "type": "boolean"}],
    "extended_fields": {"enabled": ["gender", "dob", "city"], "enum_values": {"gender": ["Male", "Female", "Other"]}},
}


def test_spec_example_is_valid_and_round_trips() -> None:
    org = OrgConfig.model_validate(SPEC_EXAMPLE)
    dumped = org.model_dump(mode="json")
    assert {k: dumped[k] for k in SPEC_EXAMPLE} == SPEC_EXAMPLE
    assert dumped["require_distinct_approver"] is False
    assert org.default_status_label == "Active"
    assert org.slab("GOLD") == "Gold" and org.slab("gold ") == "Gold" and org.slab("Bronze") is None
    assert org.status_of("pending deletion") == "PENDING_DELETION"
    assert org.till_codes == {"TILL001", "TILL002"} and org.store_codes == {"STORE001"}


def test_defaults() -> None:
    org = OrgConfig.model_validate({"base_country": "IN", "status_labels": [{"label": "On", "status": "ACTIVE"}]})
    assert org.timezone == "UTC" and org.email_unique is True and org.min_registration_date is None


def test_every_problem_is_reported() -> None:
    bad = {
        **SPEC_EXAMPLE,
        "base_country": "XX",
        "supported_countries": ["IN", "QQ"],
        "timezone": "Mars/Olympus",
        "stores": [{"code": "A", "tills": []}, {"code": "A", "tills": []}],
        "slabs": ["Gold", "GOLD"],
        "status_labels": [{"label": "Active", "status": "ACTIVE"}, {"label": "Odd", "status": "WEIRD"}],
        "custom_fields": [{"name": "Bad Name", "type": "string"}, {"name": "n", "type": "float"}],
        "extended_fields": {"enabled": ["shoe_size", "city"], "enum_values": {"city": ["Pune"]}},
        "surprise": 1,
    }
    config, problems = parse_org_config(bad)
    assert config is None
    text = "\n".join(problems)
    for needle in ["XX", "QQ", "Mars/Olympus", "duplicate store codes", "duplicate slab names", "WEIRD",
                   "Bad Name", "float", "shoe_size", "enum_values given for 'city'", "surprise"]:
        assert needle in text, needle
    assert len(problems) >= 11


@pytest.mark.parametrize("labels", [[], [{"label": "Gone", "status": "DELETED"}]])
def test_an_active_label_is_required(labels: list[dict[str, str]]) -> None:
    config, problems = parse_org_config({**SPEC_EXAMPLE, "status_labels": labels})
    assert config is None and any("ACTIVE" in p for p in problems)


def test_demo_org() -> None:
    org = demo_org_config()
    assert org.base_country == "IN" and org.timezone == "Asia/Kolkata"
    assert "00123" in org.store_codes and "0042" in org.till_codes and "007" in org.store_codes
    assert org.slabs == ["Silver", "Gold", "Platinum"]
    assert org.custom_field_types == {"fav_category": "string", "newsletter": "boolean", "visits": "integer"}
