"""Duplicates inside a source (SPEC 4: ``duplicate <field> in source``, every holder gets the error), over chunks
saved in any order by concurrent validators, and the job's totals after the pass -- against the real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from dataimport.db.pool import create_pool
from dataimport.profiles.base import RecordDecision
from dataimport.settings import CommonSettings
from validator.results_repo import mark_duplicates, save_chunk_results, validation_totals

pytestmark = pytest.mark.integration


def _valid(row_id: int, **keys: str) -> RecordDecision:
    return RecordDecision(row_id=row_id, errors=[], action="create", payload={"first_name": "A"}, dedupe_keys=keys)


def _message(key: str) -> str:
    return f"duplicate {key} in source"


async def _errors(pool, job_id) -> dict[int, list[str]]:
    rows = await pool.fetch("SELECT row_id, errors FROM dataimport.validation_records WHERE job_id = $1", job_id)
    return {r["row_id"]: list(r["errors"]) for r in rows}


async def _save(pool, job_id, chunk_no: int, decisions: list[RecordDecision]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await save_chunk_results(conn, job_id, chunk_no, decisions)


def test_every_holder_of_a_shared_value_is_marked_whatever_the_chunk_order_and_concurrency():
    async def run():
        pool = await create_pool(CommonSettings().database_url)
        try:
            job_id = uuid.uuid4()
            chunks = {
                # chunk 0: 0 and 1 share a mobile inside the chunk; 2 shares its email with 12 (chunk 1)
                0: [_valid(0, mobile="911"), _valid(1, mobile="911"), _valid(2, mobile="912", email="a@x.io"),
                    _valid(3, mobile="913", email="b@x.io")],
                # chunk 1: 10 shares a mobile with 20 and 21 (chunk 2); 12 the email of 2; 11 nothing
                1: [_valid(10, mobile="914"), _valid(11, mobile="915", email="c@x.io"),
                    _valid(12, mobile="916", email="a@x.io")],
                # chunk 2: 20 and 21 both hold 914 and share an external id with each other
                2: [_valid(20, mobile="914", external_id="E1"), _valid(21, mobile="914", external_id="E1"),
                    _valid(22, mobile="917", external_id="E2")],
                # chunk 3: an invalid record's identifiers are not keys (it declares none); 33 (already invalid, a
                # profile that declares keys anyway) shares 32's mobile: both marked, one of them was valid
                3: [RecordDecision(row_id=30, errors=["email is invalid"], dedupe_keys={}), _valid(31, mobile="918"),
                    _valid(32, mobile="919"),
                    RecordDecision(row_id=33, errors=["slab is invalid"], dedupe_keys={"mobile": "919"})],
            }  # fmt: skip
            # the last chunk first, the others at the same time (as several validator replicas would)
            await _save(pool, job_id, 3, chunks[3])
            await asyncio.gather(*(_save(pool, job_id, n, chunks[n]) for n in (2, 0, 1)))
            for n, decisions in chunks.items():
                counts = {"records": len(decisions), "valid": sum(1 for d in decisions if d.valid)}
                await pool.execute(
                    "INSERT INTO dataimport.processed_chunks (job_id, phase, chunk_no, counts) VALUES ($1, $2, $3, $4)",
                    job_id, "validate", n, counts,
                )  # fmt: skip
            async with pool.acquire() as conn, conn.transaction():
                invalidated = await mark_duplicates(conn, job_id, _message)
                totals = await validation_totals(conn, job_id, "validate", invalidated)
            assert invalidated == 8  # 0, 1, 2, 10, 12, 20, 21, 32 (33 was invalid already)
            assert totals == {"records": 14, "valid": 4, "invalid": 10}  # valid: 3, 11, 22, 31
            errors = await _errors(pool, job_id)
            assert errors == {
                0: ["duplicate mobile in source"],
                1: ["duplicate mobile in source"],
                2: ["duplicate email in source"],
                3: [],
                10: ["duplicate mobile in source"],
                11: [],
                12: ["duplicate email in source"],
                20: ["duplicate external_id in source", "duplicate mobile in source"],
                21: ["duplicate external_id in source", "duplicate mobile in source"],
                22: [],
                30: ["email is invalid"],
                31: [],
                32: ["duplicate mobile in source"],
                33: ["slab is invalid", "duplicate mobile in source"],
            }
            marked_rows = await pool.fetch(
                "SELECT row_id, action, payload FROM dataimport.validation_records WHERE job_id = $1 "
                "AND cardinality(errors) > 0",
                job_id,
            )
            assert all(r["action"] is None and r["payload"] is None for r in marked_rows)
        finally:
            await pool.close()

    asyncio.run(run())


def test_a_job_without_shared_values_marks_nothing():
    async def run():
        pool = await create_pool(CommonSettings().database_url)
        try:
            job_id = uuid.uuid4()
            await _save(pool, job_id, 0, [_valid(0, mobile="911", email="a@x.io"), _valid(1, mobile="912")])
            await _save(pool, job_id, 1, [_valid(2, mobile="913", email="A@x.io")])  # keys are already normalised
            async with pool.acquire() as conn, conn.transaction():
                assert await mark_duplicates(conn, job_id, _message) == 0
            assert await _errors(pool, job_id) == {0: [], 1: [], 2: []}
        finally:
            await pool.close()

    asyncio.run(run())
