"""The time-remaining estimate of a running phase, from the throughput so far."""

from job_api.job_view import _eta


def test_estimate_from_throughput():
    assert _eta(250, 1000, 10.0, True) == 30.0  # 25 records/s, 750 to go
    assert _eta(1000, 1000, 40.0, True) == 0.0


def test_no_estimate_without_progress_or_once_settled():
    assert _eta(0, 1000, 5.0, True) is None
    assert _eta(10, None, 5.0, True) is None
    assert _eta(10, 1000, None, True) is None
    assert _eta(500, 1000, 5.0, False) is None
