"""SPEC 5 naming rules and the checks on names that come from requests."""

import re

import pytest

from dataimport.warehouse.names import InvalidName, check_table_name, job_name_slug, new_report_suffix, org_schema, report_table_names


def test_job_name_is_lower_cased_and_every_other_character_becomes_underscore():
    assert job_name_slug("testing") == "testing"
    assert job_name_slug("My Import-2024!") == "my_import_2024_"
    assert job_name_slug("Ünïcode naïve") == "_n_code_na_ve"


def test_report_tables_share_one_suffix_of_seven_lowercase_alphanumerics():
    suffix = new_report_suffix()
    assert re.fullmatch(r"[a-z0-9]{7}", suffix)
    validate, ingest = report_table_names("customer", "testing", "08kar5z")
    assert validate == "report_customer_testing_validate_08kar5z"
    assert ingest == "report_customer_testing_ingest_08kar5z"


def test_suffixes_are_random():
    assert len({new_report_suffix() for _ in range(200)}) > 190


@pytest.mark.parametrize("bad", ["", "a.b", "import_1.t", "t;drop", "a b", "a/b", "..", "`x`", '"x"', "a" * 129, "t\x00"])
def test_table_names_outside_the_org_namespace_cannot_be_named(bad):
    with pytest.raises(InvalidName):
        check_table_name(bad)


def test_org_schema():
    assert org_schema(1001) == "import_1001"
    for bad in (0, -1, True, "1001"):
        with pytest.raises(InvalidName):
            org_schema(bad)
