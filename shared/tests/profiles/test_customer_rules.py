"""Table-driven suite of the Customer record rules (SPEC section 4). Expected values come from the SPEC text."""

from __future__ import annotations

from typing import Any

import pytest
from customer_helpers import VALID_CREATE, org_with, run_one

from dataimport.profiles.customer import CustomerState

# Existing customers of demo org 1001 (IN base, Asia/Kolkata).
A = CustomerState(
    101, mobile="919876543210", email="a@example.com", external_id="EXT-A", loyalty_type="loyalty", slab="Gold",
    status_label="Active",
)
NL = CustomerState(
    102, mobile="919812345678", external_id="EXT-NL", loyalty_type="non_loyalty", slab=None, status_label="Active"
)
DEL = CustomerState(103, mobile="919811111111", loyalty_type="loyalty", slab="Silver", status_label="Deleted")
PEND = CustomerState(
    104, mobile="919822222222", loyalty_type="loyalty", slab="Silver", status_label="Pending Deletion"
)
EXISTING = [A, NL, DEL, PEND]

NEW_MOBILE = "9123456789"  # nobody has it


def new(**changes: Any) -> dict[str, Any]:
    """A valid creation record with a fresh mobile, changed by ``changes`` (None = mapped but null)."""
    return {**VALID_CREATE, "mobile": NEW_MOBILE, **changes}


# (id, record, run options, expected errors) -------------------------------------------------------------------
INVALID_CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    # identifiers, insert
    ("insert-no-identifier", new(mobile=None, email=None, external_id=None), {}, ["At least one identifier required"]),
    ("insert-mobile-invalid", new(mobile="12345"), {}, ["mobile is invalid"]),
    ("insert-mobile-letters", new(mobile="98765abcde"), {}, ["mobile is invalid"]),
    ("insert-mobile-scientific", new(mobile="9.87654321E+09"), {}, ["mobile is invalid"]),
    ("insert-mobile-other-country", new(mobile="+14155552671"), {}, ["mobile is invalid"]),
    ("insert-mobile-exists", new(mobile="+91 98765 43210"), {}, ["mobile already exists"]),
    ("insert-email-invalid", new(email="not-an-email"), {}, ["email is invalid"]),
    ("insert-email-exists", new(email="A@Example.COM"), {}, ["email already exists"]),
    ("insert-external-id-exists", new(external_id="EXT-A"), {}, ["external_id already exists"]),
    ("insert-external-id-too-long", new(external_id="X" * 51), {}, ["external_id is invalid"]),
    ("insert-external-id-control", new(external_id="AB\x07C"), {}, ["external_id is invalid"]),
    (
        "insert-unique-id-missing",
        new(mobile=None, email="new@example.com"),
        {},
        ["mobile is mandatory"],
    ),
    (
        "insert-uid-email-exists",
        new(email="a@example.com"),
        {"unique_id": "EMAIL"},
        ["email already exists"],
    ),
    # standard fields
    ("registered-on-missing", new(registered_on=None), {}, ["registered_on is mandatory"]),
    ("registered-on-garbage", new(registered_on="yesterday"), {}, ["registered_on is invalid"]),
    ("registered-on-future", new(registered_on="2025-06-16"), {}, ["registered_on is invalid"]),
    ("registered-on-future-time", new(registered_on="2025-06-15 12:30:00"), {}, ["registered_on is invalid"]),
    ("registered-on-before-min", new(registered_on="1999-12-31"), {}, ["registered_on is invalid"]),
    ("registered-on-bad-day", new(registered_on="2020-02-30"), {}, ["registered_on is invalid"]),
    ("store-unknown", new(registered_store="STORE999"), {}, ["registered_store is invalid"]),
    ("store-leading-zeros-lost", new(registered_store="123"), {}, ["registered_store is invalid"]),
    ("store-case", new(registered_store="store001"), {}, ["registered_store is invalid"]),
    (
        "till-unknown",
        new(registered_store=None, registered_till="7"),
        {},
        ["registered_till is invalid"],
    ),
    (
        "store-and-till-missing",
        new(registered_store=None, registered_till=None),
        {},
        ["registered_store is mandatory"],
    ),
    ("first-name-too-long", new(first_name="a" * 101), {}, ["first_name is invalid"]),
    ("first-name-nul", new(first_name="Ann\x00"), {}, ["first_name is invalid"]),
    ("last-name-control", new(last_name="Lee\x1b[31m"), {}, ["last_name is invalid"]),
    # loyalty
    ("loyalty-type-missing", new(loyalty_type=None), {}, ["loyalty_type is mandatory"]),
    ("loyalty-type-invalid", new(loyalty_type="gold"), {}, ["loyalty_type is invalid"]),
    ("slab-invalid", new(slab="Diamond"), {}, ["slab name is invalid"]),
    (
        "slab-non-loyalty",
        new(loyalty_type="NON_LOYALTY", slab="Gold"),
        {},
        ["slab cannot be attached to non loyalty customer"],
    ),
    ("slab-expiry-past", new(slab="Gold", slab_expiry="2025-01-01"), {}, ["slab_expiry is invalid"]),
    ("slab-expiry-today", new(slab="Gold", slab_expiry="2025-06-15"), {}, ["slab_expiry is invalid"]),
    ("slab-expiry-after-2100", new(slab="Gold", slab_expiry="2101-01-01"), {}, ["slab_expiry is invalid"]),
    ("slab-expiry-not-date", new(slab="Gold", slab_expiry="soon"), {}, ["slab_expiry is invalid"]),
    ("slab-expiry-no-slab", new(slab=None, slab_expiry="2026-01-01"), {}, ["slab_expiry is invalid"]),
    # status
    ("status-label-null", new(status_label=None), {}, ["status label is invalid"]),
    ("status-label-unknown", new(status_label="Blocked"), {}, ["status label is invalid"]),
    # custom and extended
    ("custom-integer-text", new(**{"custom.visits": "many"}), {}, ["custom.visits is invalid"]),
    ("custom-integer-fraction", new(**{"custom.visits": "7.5"}), {}, ["custom.visits is invalid"]),
    ("custom-boolean", new(**{"custom.newsletter": "maybe"}), {}, ["custom.newsletter is invalid"]),
    ("custom-string-nul", new(**{"custom.fav_category": "sh\x00oes"}), {}, ["custom.fav_category is invalid"]),
    ("extended-enum", new(**{"extended.gender": "X"}), {}, ["extended.gender is invalid"]),
    ("extended-date", new(**{"extended.dob": "1990-02-30"}), {}, ["extended.dob is invalid"]),
    # fields marked mandatory in the mapping
    ("marked-mandatory", new(first_name=None), {"mandatory": ["first_name"]}, ["first_name is mandatory"]),
    (
        "marked-mandatory-custom",
        new(**{"custom.visits": None}),
        {"mandatory": ["custom.visits"]},
        ["custom.visits is mandatory"],
    ),
    # all errors of a record, in catalog order
    (
        "several-errors-in-field-order",
        new(
            **{"extended.gender": "X", "custom.visits": "x"},
            status_label="Nope", slab="Diamond", registered_store="NOPE", registered_on="never", mobile="1",
        ),
        {},
        [
            "mobile is invalid",
            "registered_on is invalid",
            "registered_store is invalid",
            "slab name is invalid",
            "status label is invalid",
            "custom.visits is invalid",
            "extended.gender is invalid",
        ],
    ),
    # update
    ("update-not-found", {"mobile": "9000000009", "first_name": "Z"}, {"method": "update"}, ["customer not found"]),
    ("update-no-uid", {"mobile": None, "first_name": "Z"}, {"method": "update"}, ["At least one identifier required"]),
    ("update-uid-invalid", {"mobile": "12", "first_name": "Z"}, {"method": "update"}, ["mobile is invalid"]),
    ("update-same-slab", {"mobile": "9876543210", "slab": "gold"}, {"method": "update"}, ["no slab change found"]),
    (
        "update-deleted-status",
        {"mobile": "9811111111", "status_label": "Active"},
        {"method": "update"},
        ["Deleted status cannot be changed"],
    ),
    (
        "update-pending-deletion-status",
        {"mobile": "9822222222", "status_label": "Active"},
        {"method": "update"},
        ["Pending Deletion status cannot be changed"],
    ),
    (
        "update-same-status",
        {"mobile": "9876543210", "status_label": "ACTIVE"},
        {"method": "update"},
        ["no status change found"],
    ),
    (
        "update-loyalty-to-non-loyalty",
        {"mobile": "9876543210", "loyalty_type": "non_loyalty"},
        {"method": "update"},
        ["loyalty_type cannot change from loyalty to non_loyalty"],
    ),
    (
        "update-slab-on-existing-non-loyalty",
        {"mobile": "9812345678", "slab": "Gold"},
        {"method": "update"},
        ["slab cannot be attached to non loyalty customer"],
    ),
    (
        "update-status-null",
        {"mobile": "9876543210", "status_label": None},
        {"method": "update"},
        ["status label is invalid"],
    ),
    ("update-user-id-zero", {"user_id": "0", "first_name": "Z"}, {"method": "update", "unique_id": "USER_ID"},
     ["user_id is invalid"]),
    ("update-user-id-text", {"user_id": "abc", "first_name": "Z"}, {"method": "update", "unique_id": "USER_ID"},
     ["user_id is invalid"]),
    ("update-user-id-missing", {"user_id": None, "first_name": "Z"}, {"method": "update", "unique_id": "USER_ID"},
     ["At least one identifier required"]),
    ("update-user-id-not-found", {"user_id": 999, "first_name": "Z"}, {"method": "update", "unique_id": "USER_ID"},
     ["customer not found"]),
    ("update-external-id-not-found", {"external_id": "NOPE", "first_name": "Z"},
     {"method": "update", "unique_id": "EXTERNAL_ID"}, ["customer not found"]),
    # upsert
    ("upsert-create-needs-registration", {"mobile": NEW_MOBILE, "registered_on": None, "loyalty_type": None,
                                          "registered_store": None}, {"method": "upsert"},
     ["registered_on is mandatory", "registered_store is mandatory", "loyalty_type is mandatory"]),
    ("upsert-create-email-taken", new(email="a@example.com"), {"method": "upsert"}, ["email already exists"]),
    ("upsert-create-external-id-taken", new(external_id="EXT-NL"), {"method": "upsert"},
     ["external_id already exists"]),
    ("upsert-match-same-slab", {"mobile": "919876543210", "slab": "Gold", "registered_on": None},
     {"method": "upsert"}, ["no slab change found"]),
    ("upsert-no-identifier", new(mobile=None, email=None), {"method": "upsert"}, ["At least one identifier required"]),
]


@pytest.mark.parametrize(("record", "options", "expected"), [c[1:] for c in INVALID_CASES],
                         ids=[c[0] for c in INVALID_CASES])
def test_invalid_records(record: dict[str, Any], options: dict[str, Any], expected: list[str]) -> None:
    decision = run_one(record, existing=EXISTING, **options)
    assert decision.errors == expected
    assert not decision.valid
    assert decision.action is None and decision.payload == {} and decision.dedupe_keys == {}


# (id, record, run options, expected action, expected target, expected payload subset, expected dedupe keys) ---
VALID_CASES: list[tuple[str, dict[str, Any], dict[str, Any], str, int | None, dict[str, Any], dict[str, str]]] = [
    (
        "insert-minimal-defaults",
        new(),
        {},
        "create", None,
        {"mobile": "919123456789", "registered_on": "2020-01-05T00:00:00+00:00", "loyalty_type": "loyalty",
         "registered_store": "STORE001", "status_label": "Active", "slab": "Silver"},
        {"mobile": "919123456789"},
    ),
    (
        "insert-all-identifiers-normalised",
        new(mobile="+91 91234-56789", email="  New.Person@Example.COM\u00a0", external_id="\ufeffC-1 "),
        {},
        "create", None,
        {"mobile": "919123456789", "email": "new.person@example.com", "external_id": "C-1"},
        {"mobile": "919123456789", "email": "new.person@example.com", "external_id": "C-1"},
    ),
    (
        "insert-supported-country-mobile",
        new(mobile="+971 50 123 4567"),
        {},
        "create", None,
        {"mobile": "971501234567"},
        {"mobile": "971501234567"},
    ),
    (
        "insert-non-loyalty-no-default-slab",
        new(loyalty_type="Non_Loyalty"),
        {},
        "create", None,
        {"loyalty_type": "non_loyalty", "status_label": "Active"},
        {"mobile": "919123456789"},
    ),
    (
        "insert-configured-spellings",
        new(slab="gOLD", status_label="suspicious", slab_expiry="2026-03-31",
            **{"extended.gender": "female", "custom.newsletter": "Yes", "custom.visits": "12"}),
        {},
        "create", None,
        {"slab": "Gold", "status_label": "Suspicious", "slab_expiry": "2026-03-31",
         "extended": {"gender": "Female"}, "custom": {"newsletter": True, "visits": 12}},
        {"mobile": "919123456789"},
    ),
    (
        "insert-till-only",
        new(registered_store=None, registered_till="0042"),
        {},
        "create", None,
        {"registered_till": "0042"},
        {"mobile": "919123456789"},
    ),
    (
        "insert-email-not-unique-may-repeat",
        new(email="a@example.com"),
        {"org": org_with(email_unique=False)},
        "create", None,
        {"email": "a@example.com"},
        {"mobile": "919123456789"},
    ),
    (
        "insert-any-identifier-allowed",
        new(mobile=None, email="solo@example.com"),
        {"org": org_with(allow_registration_from_any_identifier=True)},
        "create", None,
        {"email": "solo@example.com"},
        {"email": "solo@example.com"},
    ),
    (
        "insert-external-id-50-chars",
        new(external_id="X" * 50),
        {},
        "create", None,
        {"external_id": "X" * 50},
        {"mobile": "919123456789", "external_id": "X" * 50},
    ),
    (
        "update-changes-present-fields-only",
        {"mobile": "9876543210", "first_name": "Asha", "last_name": None, "email": "not-an-email",
         "slab": "Platinum"},
        {"method": "update"},
        "update", 101,
        {"first_name": "Asha", "slab": "Platinum"},
        {"mobile": "919876543210"},
    ),
    (
        "update-non-loyalty-to-loyalty-with-slab",
        {"mobile": "9812345678", "loyalty_type": "loyalty", "slab": "Gold"},
        {"method": "update"},
        "update", 102,
        {"loyalty_type": "loyalty", "slab": "Gold"},
        {"mobile": "919812345678"},
    ),
    (
        "update-slab-expiry-uses-current-slab",
        {"mobile": "9876543210", "slab_expiry": "2027-03-31"},
        {"method": "update"},
        "update", 101,
        {"slab_expiry": "2027-03-31"},
        {"mobile": "919876543210"},
    ),
    (
        "update-by-user-id",
        {"user_id": "101", "status_label": "Suspicious"},
        {"method": "update", "unique_id": "USER_ID"},
        "update", 101,
        {"status_label": "Suspicious"},
        {"user_id": "101"},
    ),
    (
        "upsert-match-needs-no-registration",
        {"mobile": "919876543210", "registered_on": None, "loyalty_type": None, "registered_store": None,
         "first_name": "New"},
        {"method": "upsert"},
        "update", 101,
        {"first_name": "New"},
        {"mobile": "919876543210"},
    ),
    (
        "upsert-match-ignores-mandatory-marks-of-registration-fields",
        {"mobile": "919876543210", "registered_on": None, "loyalty_type": None, "registered_store": None,
         "last_name": "Iyer"},
        {"method": "upsert", "mandatory": ["mobile", "registered_on", "loyalty_type", "registered_store"]},
        "update", 101,
        {"last_name": "Iyer"},
        {"mobile": "919876543210"},
    ),
    (
        "upsert-match-ignores-identifier-conflicts",
        {"mobile": "919876543210", "email": "taken@example.com", "external_id": "EXT-NL", "first_name": "X"},
        {"method": "upsert"},
        "update", 101,
        {"first_name": "X"},
        {"mobile": "919876543210"},
    ),
    (
        "upsert-create",
        new(email="fresh@example.com"),
        {"method": "upsert"},
        "create", None,
        {"mobile": "919123456789", "email": "fresh@example.com", "status_label": "Active", "slab": "Silver"},
        {"mobile": "919123456789", "email": "fresh@example.com"},
    ),
    (
        "upsert-by-external-id-match",
        {"external_id": "EXT-A", "last_name": "Rao"},
        {"method": "upsert", "unique_id": "EXTERNAL_ID"},
        "update", 101,
        {"last_name": "Rao"},
        {"external_id": "EXT-A"},
    ),
]


@pytest.mark.parametrize(
    ("record", "options", "action", "target", "payload", "keys"),
    [c[1:] for c in VALID_CASES],
    ids=[c[0] for c in VALID_CASES],
)
def test_valid_records(
    record: dict[str, Any],
    options: dict[str, Any],
    action: str,
    target: int | None,
    payload: dict[str, Any],
    keys: dict[str, str],
) -> None:
    decision = run_one(record, existing=EXISTING, **options)
    assert decision.errors == []
    assert decision.action == action
    assert decision.target_id == target
    assert {k: decision.payload.get(k) for k in payload} == payload
    assert decision.dedupe_keys == keys


def test_update_payload_has_no_identifiers_and_no_defaults() -> None:
    d = run_one({"mobile": "9876543210", "email": "x@example.com", "external_id": "NEW", "first_name": "A"},
                method="update", existing=EXISTING)
    assert d.payload == {"first_name": "A"}


def test_insert_payload_is_exactly_the_normalised_values() -> None:
    d = run_one(new(email="B@Example.com", first_name=" Be\u0301a ", **{"custom.visits": 7}), existing=EXISTING)
    assert d.payload == {
        "mobile": "919123456789",
        "email": "b@example.com",
        "first_name": "Béa",  # NFC: e + combining acute -> é
        "registered_on": "2020-01-05T00:00:00+00:00",
        "registered_store": "STORE001",
        "loyalty_type": "loyalty",
        "status_label": "Active",
        "slab": "Silver",
        "custom": {"visits": 7},
    }
