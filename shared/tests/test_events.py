"""Event contracts: topic names, keys, and add-only evolution (old consumers ignore new fields)."""

import uuid

from dataimport.events import (
    ALL_TOPICS,
    ChunkRef,
    IngestChunkRequested,
    JobRejected,
    JobSpec,
    ValidationChunkRequested,
    key_of,
    topic_of,
)

SPEC = JobSpec(name="t", profile="customer", source_table="s", snapshot_version=1, records_total=10, chunk_size=5,
               method="insert", unique_id="MOBILE", mapping=(), org_config={}, validate_table="v", ingest_table="i")


def test_topics_follow_the_naming_convention():
    assert all(t.startswith("dataimport.") and t.endswith(".v1") for t in ALL_TOPICS)
    assert topic_of(JobRejected) == "dataimport.job-rejected.v1"
    assert len(set(ALL_TOPICS)) == len(ALL_TOPICS)


def test_job_events_are_keyed_by_job_and_chunk_requests_by_job_and_chunk():
    job_id = uuid.uuid4()
    assert key_of(JobRejected(job_id=job_id, org_id=1, rejected_by="u")) == str(job_id).encode()
    req = ValidationChunkRequested(job_id=job_id, org_id=1, spec=SPEC, chunk=ChunkRef(chunk_no=3, first_row_id=15,
                                   row_count=5, locator="x"), chunks_total=4)
    assert key_of(req) == f"{job_id}:3".encode()
    ing = IngestChunkRequested(job_id=job_id, org_id=1, spec=SPEC, chunk_no=2, chunks_total=4)
    assert key_of(ing) == f"{job_id}:2".encode()


def test_unknown_fields_from_a_newer_producer_are_ignored():
    payload = JobRejected(job_id=uuid.uuid4(), org_id=1, rejected_by="u").model_dump(mode="json")
    payload["added_in_v1_1"] = "something"
    assert JobRejected.model_validate(payload).rejected_by == "u"
