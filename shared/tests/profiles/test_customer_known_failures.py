"""Cases that fail in similar tools, plus typed (non-text) inputs and hostile values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from customer_helpers import NOW, VALID_CREATE, org_with, run_columns, run_records

from dataimport.orgs import demo_org_config
from dataimport.profiles.customer import rules
from dataimport.profiles.customer.fields import field_order
from dataimport.profiles.customer.normalise import INVALID


def creates(n: int, **columns: Any) -> dict[str, Any]:
    """Columns for n valid creation records (distinct mobiles), overridden by ``columns``."""
    base: dict[str, Any] = {
        "mobile": [f"91234567{i:02d}" for i in range(n)],
        "registered_on": ["2020-01-05"] * n,
        "loyalty_type": ["loyalty"] * n,
        "registered_store": ["STORE001"] * n,
    }
    base.update(columns)
    return base


def test_1_custom_integer_with_null_stays_integer() -> None:
    cols = creates(3, **{"custom.visits": pa.array([7, None, 12], pa.int64())})
    d = run_columns(cols, 3)
    assert [x.errors for x in d] == [[], [], []]
    assert d[0].payload["custom"] == {"visits": 7}
    assert type(d[0].payload["custom"]["visits"]) is int
    assert "custom" not in d[1].payload  # null: nothing to write
    # also when the column arrives as double (a NULL made a dataframe float) or as text
    cols = creates(3, **{"custom.visits": pa.array([7.0, None, 12.0], pa.float64())})
    d = run_columns(cols, 3)
    assert d[0].payload["custom"] == {"visits": 7} and type(d[0].payload["custom"]["visits"]) is int
    cols = creates(2, **{"custom.visits": ["7", None]})
    assert run_columns(cols, 2)[0].payload["custom"] == {"visits": 7}


def test_2_store_and_till_codes_keep_leading_zeros() -> None:
    cols = creates(3, registered_store=["00123", "00123", None], registered_till=["0042", None, "0042"])
    d = run_columns(cols, 3)
    assert [x.errors for x in d] == [[], [], []]
    assert (d[0].payload["registered_store"], d[0].payload["registered_till"]) == ("00123", "0042")
    assert d[2].payload["registered_till"] == "0042"
    cols = creates(2, registered_store=["123", "0123"])
    assert [x.errors for x in run_columns(cols, 2)] == [["registered_store is invalid"]] * 2


def test_3_national_mobile_takes_base_country() -> None:
    cols = creates(2, mobile=["98765 43210", "098765-43210"])
    d = run_columns(cols, 2)
    assert [x.payload.get("mobile") for x in d] == ["919876543210", "919876543210"]
    # the same national number in an org whose base country's rules it breaks
    us = org_with(base_country="US", supported_countries=["US"], stores=[{"code": "STORE001", "tills": []}])
    d = run_columns(creates(1, mobile=["9876543210"]), 1, org=us)
    assert d[0].errors == ["mobile is invalid"]
    for hostile in ["+", "++91", "()", "-", "0" * 17, "9" * 40, "+0", "+999 123", "١٢٣٤٥٦٧٨٩٠"]:
        assert run_columns(creates(1, mobile=[hostile]), 1, org=us)[0].errors == ["mobile is invalid"], hostile


def test_4_emails_differing_in_case_declare_the_same_key() -> None:
    d = run_records([
        {**VALID_CREATE, "mobile": "9123456701", "email": "Sam@Example.com"},
        {**VALID_CREATE, "mobile": "9123456702", "email": "sam@EXAMPLE.COM"},
    ])
    assert d[0].valid and d[1].valid
    assert d[0].dedupe_keys["email"] == d[1].dedupe_keys["email"] == "sam@example.com"


def test_5_same_external_id_twice_in_upsert_declares_the_same_key() -> None:
    from customer_helpers import run_columns as run
    from dataimport.profiles.customer import CustomerState

    existing = [CustomerState(7, mobile="919800000000", external_id="E-1", loyalty_type="loyalty", slab="Silver",
                              status_label="Active")]
    # both match the same customer
    d = run({"external_id": ["E-1", "E-1"], "first_name": ["A", "B"]}, 2, method="upsert",
            unique_id="EXTERNAL_ID", existing=existing)
    assert d[0].dedupe_keys == d[1].dedupe_keys == {"external_id": "E-1"}
    # both would create
    cols = creates(2, external_id=["E-2", "E-2 "])
    d = run(cols, 2, method="upsert", unique_id="EXTERNAL_ID", existing=existing)
    assert d[0].valid and d[1].valid
    assert d[0].dedupe_keys["external_id"] == d[1].dedupe_keys["external_id"] == "E-2"


def test_6_naive_timestamp_is_read_in_org_timezone() -> None:
    naive = pa.array([dt.datetime(2020, 1, 5, 10, 0), None], pa.timestamp("us"))
    d = run_columns(creates(2, registered_on=naive), 2)
    assert d[0].payload["registered_on"] == "2020-01-05T04:30:00+00:00"  # 10:00 Asia/Kolkata
    assert d[1].errors == ["registered_on is mandatory"]
    text = run_columns(creates(1, registered_on=["2020-01-05 10:00:00"]), 1)
    assert text[0].payload["registered_on"] == "2020-01-05T04:30:00+00:00"
    aware = pa.array([dt.datetime(2020, 1, 5, 10, 0, tzinfo=dt.UTC)], pa.timestamp("us", tz="UTC"))
    assert run_columns(creates(1, registered_on=aware), 1)[0].payload["registered_on"] == "2020-01-05T10:00:00+00:00"
    offset = run_columns(creates(1, registered_on=["2020-01-05T10:00:00+04:00"]), 1)
    assert offset[0].payload["registered_on"] == "2020-01-05T06:00:00+00:00"
    ns = pa.array([1578218400_000_000_000], pa.timestamp("ns"))  # 2020-01-05 10:00 naive
    assert run_columns(creates(1, registered_on=ns), 1)[0].payload["registered_on"] == "2020-01-05T04:30:00+00:00"
    # a DATE is never shifted by the timezone
    date_col = pa.array([dt.date(2020, 1, 5)], pa.date32())
    assert run_columns(creates(1, registered_on=date_col), 1)[0].payload["registered_on"] == (
        "2020-01-05T00:00:00+00:00"
    )


def test_7_nul_byte_in_a_name_fails_only_that_record() -> None:
    cols = creates(3, first_name=["Ann", "Bo\x00b", "Cy"])
    d = run_columns(cols, 3)
    assert [x.errors for x in d] == [[], ["first_name is invalid"], []]
    assert d[0].payload["first_name"] == "Ann" and d[2].payload["first_name"] == "Cy"


# ---- typed inputs ---------------------------------------------------------------------------------------------


def test_mobile_as_bigint_and_decimal_is_not_mangled() -> None:
    cols = creates(3, mobile=pa.array([919876543210, 9876543211, None], pa.int64()))
    d = run_columns(cols, 3)
    assert d[0].payload["mobile"] == "919876543210"
    assert d[1].payload["mobile"] == "919876543211"
    dec = pa.array([Decimal("919876543212"), Decimal("9876543213")], pa.decimal128(12, 0))
    d = run_columns(creates(2, mobile=dec), 2)
    assert [x.payload["mobile"] for x in d] == ["919876543212", "919876543213"]
    fractional = pa.array([Decimal("9876543213.50")], pa.decimal128(12, 2))
    assert run_columns(creates(1, mobile=fractional), 1)[0].errors == ["mobile is invalid"]
    for text in ["9.876543210E9", "9876543210.0", "919876543210e0", "9,876,543,210"]:
        assert run_columns(creates(1, mobile=[text]), 1)[0].errors == ["mobile is invalid"], text


def test_typed_custom_and_extended_values() -> None:
    cols = creates(
        2,
        **{
            "custom.newsletter": pa.array([True, False]),
            "custom.visits": pa.array([Decimal("3"), Decimal("4")], pa.decimal128(5, 0)),
            "extended.dob": pa.array([dt.date(1990, 2, 28), None], pa.date32()),
            "custom.fav_category": pa.array([12, None], pa.int32()),
        },
    )
    d = run_columns(cols, 2)
    assert d[0].payload["custom"] == {"newsletter": True, "visits": 3, "fav_category": "12"}
    assert d[0].payload["extended"] == {"dob": "1990-02-28"}
    assert d[1].payload["custom"] == {"newsletter": False, "visits": 4}


def test_double_and_date_custom_fields() -> None:
    org = org_with(custom_fields=[{"name": "score", "type": "double"}, {"name": "since", "type": "date"}])
    d = run_columns(
        creates(4, **{"custom.score": ["1.5", "abc", "1e3", None], "custom.since": ["2020-01-01", None, None, "x"]}),
        4, org=org,
    )
    assert d[0].payload["custom"] == {"score": 1.5, "since": "2020-01-01"}
    assert d[1].errors == ["custom.score is invalid"]
    assert d[2].errors == ["custom.score is invalid"]
    assert d[3].errors == ["custom.since is invalid"]


def test_extended_country_and_language() -> None:
    org = org_with(extended_fields={"enabled": ["nationality", "preferred_language", "city"], "enum_values": {}})
    d = run_columns(
        creates(3, **{"extended.nationality": ["in", "XX", None], "extended.preferred_language": ["EN", None, "zz"],
                      "extended.city": [" Pune ", None, None]}),
        3, org=org,
    )
    assert d[0].payload["extended"] == {"nationality": "IN", "preferred_language": "en", "city": "Pune"}
    assert d[1].errors == ["extended.nationality is invalid"]
    assert d[2].errors == ["extended.preferred_language is invalid"]


def test_whitespace_and_invisible_characters_make_a_value_missing() -> None:
    cols = creates(4, first_name=["\u00a0\ufeff", " \u200b ", "\t", ""])
    d = run_columns(cols, 4)
    assert all(x.valid and "first_name" not in x.payload for x in d)


def test_binary_column_with_bad_utf8_is_invalid_not_a_crash() -> None:
    cols = creates(2, first_name=pa.array([b"Ann", b"\xff\xfe"], pa.binary()))
    d = run_columns(cols, 2)
    assert d[0].payload["first_name"] == "Ann"
    assert d[1].errors == ["first_name is invalid"]


HOSTILE: list[Any] = [
    "", " ", "\x00", "a\x00b", "\ud800", "x" * 100_000, "\u202e", "💥" * 60, "9" * 400, "1e309", "nan", "-inf",
    "0000-00-00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "0001-01-01", "<script>",
    "'; DROP TABLE customers;--", "\r\n", b"\xff", b"", 0, -1, 2**70, -(2**70), 1.5, float("nan"), float("inf"),
    Decimal("NaN"), Decimal("1E+30"), Decimal("-0"), True, False, dt.date.min, dt.date.max, dt.datetime.min,
    dt.datetime.max, dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.UTC), dt.time(1, 2), [1, 2], {"a": 1}, object(),
]


@pytest.mark.parametrize("field", field_order(demo_org_config()))
def test_hostile_values_never_raise(field: str) -> None:
    org = demo_org_config()
    rule = rules.rule_for(field, org, NOW)
    for value in HOSTILE:
        got = rule(value)
        assert got is None or got is INVALID or isinstance(got, (str, int, float, bool)), (field, value, got)
    assert rules.name_rule("Lee\ud800") is INVALID
