"""Report table rows (SPEC 5) built from a source chunk and the stored outcomes."""

import pyarrow as pa
import pytest

from reporter.report_rows import ingest_part, validate_part


def _source():
    return pa.table({"_row_id": pa.array([10, 11, 12], pa.int64()), "mobile": ["1", "2", "3"], "n": [1, None, 3]})


def test_validate_rows_carry_status_errors_and_joined_message():
    part = validate_part(_source(), {10: [], 11: ["mobile is invalid", "email is invalid"], 12: []})
    rows = part.to_pylist()
    assert part.column_names == ["_row_id", "mobile", "n", "_status", "_errors", "_error_message"]
    assert rows[0] == {"_row_id": 10, "mobile": "1", "n": 1, "_status": "VALID", "_errors": [], "_error_message": None}
    assert rows[1]["_status"] == "INVALID"
    assert rows[1]["_errors"] == ["mobile is invalid", "email is invalid"]
    assert rows[1]["_error_message"] == "mobile is invalid; email is invalid"
    assert rows[1]["n"] is None  # original values, nulls kept


def test_a_record_without_an_outcome_is_an_error_not_a_valid_row():
    with pytest.raises(KeyError):
        validate_part(_source(), {10: [], 12: []})


def test_ingest_rows_are_only_the_attempted_records():
    part = ingest_part(_source(), {10: ("ADDED", None, 7), 12: ("FAILED", "USER_INSERTION_FAILED: mobile already exists", None)})
    rows = part.to_pylist()
    assert [r["_row_id"] for r in rows] == [10, 12]
    assert part.column_names == ["_row_id", "mobile", "n", "_status", "_error_message", "_user_id"]
    assert rows[0]["_status"] == "ADDED" and rows[0]["_user_id"] == 7
    assert rows[1]["_error_message"].startswith("USER_INSERTION_FAILED")
