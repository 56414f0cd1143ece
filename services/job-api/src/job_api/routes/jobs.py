"""Job endpoints: drafts, validation, approval, progress, reports (SPEC 6)."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import StreamingResponse

from job_api import job_commands as commands
from job_api import jobs_repo as repo
from job_api.auth import Approver, Editor, OrgId, Reader
from job_api.deps import Deps
from job_api.job_view import job_out
from job_api.problems import Problem
from job_api.schemas import (
    SETTLED,
    ErrorCount,
    ErrorSummary,
    History,
    HistoryItem,
    JobCreate,
    JobList,
    JobOut,
    JobPatch,
    JobStatus,
    RecordsPage,
)

router = APIRouter(prefix="/v1/orgs/{org_id}/jobs", tags=["jobs"])


async def _job(deps, org_id: int, job_id: UUID) -> JobOut:
    row = await repo.get_job(deps.pool, org_id, job_id)
    if row is None:
        raise Problem(404, "Job not found.")
    return job_out(row, stalled_after_seconds=deps.settings.stalled_after_seconds)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a job (a DRAFT)")
async def create_job(org_id: OrgId, body: JobCreate, principal: Editor, deps: Deps) -> JobOut:
    job_id = await commands.create_job(deps, org_id, body, principal)
    return await _job(deps, org_id, job_id)


@router.get("", summary="Jobs of the org, newest first")
async def list_jobs(
    org_id: OrgId,
    principal: Reader,
    deps: Deps,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> JobList:
    rows = await repo.list_jobs(deps.pool, org_id, status, limit)
    return JobList(items=[job_out(r, stalled_after_seconds=deps.settings.stalled_after_seconds) for r in rows])


@router.get("/{job_id}", summary="One job with its validation and ingest progress")
async def get_job(org_id: OrgId, job_id: UUID, principal: Reader, deps: Deps) -> JobOut:
    return await _job(deps, org_id, job_id)


@router.patch("/{job_id}", summary="Edit a draft (409 once validation started)")
async def patch_job(org_id: OrgId, job_id: UUID, body: JobPatch, principal: Editor, deps: Deps) -> JobOut:
    await commands.patch_job(deps, org_id, job_id, body, principal)
    return await _job(deps, org_id, job_id)


@router.post("/{job_id}/validate", status_code=status.HTTP_202_ACCEPTED, summary="Start validation")
async def validate(org_id: OrgId, job_id: UUID, principal: Editor, deps: Deps) -> JobOut:
    await commands.start_validation(deps, org_id, job_id, principal)
    return await _job(deps, org_id, job_id)


@router.post("/{job_id}/approve", status_code=status.HTTP_202_ACCEPTED, summary="Approve: ingest the valid records")
async def approve(org_id: OrgId, job_id: UUID, principal: Approver, deps: Deps) -> JobOut:
    await commands.approve(deps, org_id, job_id, principal)
    return await _job(deps, org_id, job_id)


@router.post("/{job_id}/reject", summary="Reject: cancel the job, nothing is written")
async def reject(org_id: OrgId, job_id: UUID, principal: Approver, deps: Deps) -> JobOut:
    await commands.reject(deps, org_id, job_id, principal)
    return await _job(deps, org_id, job_id)


@router.get("/{job_id}/history", summary="Who created, started validation, approved or rejected, and when")
async def job_history(org_id: OrgId, job_id: UUID, principal: Reader, deps: Deps) -> History:
    await _job(deps, org_id, job_id)
    rows = await repo.history(deps.pool, job_id)
    return History(items=[HistoryItem(**dict(r)) for r in rows])


@router.get("/{job_id}/errors", summary="Error summary: each message with its count")
async def errors(
    org_id: OrgId, job_id: UUID, principal: Reader, deps: Deps, phase: Literal["validate", "ingest"] = "validate"
) -> ErrorSummary:
    await _job(deps, org_id, job_id)
    if phase == "validate":
        sql = (
            "SELECT e AS message, count(*) AS count FROM dataimport.validation_records, unnest(errors) AS e "
            "WHERE job_id = $1 GROUP BY e ORDER BY count(*) DESC, e"
        )
    else:
        sql = (
            "SELECT error_message AS message, count(*) AS count FROM dataimport.ingest_records "
            "WHERE job_id = $1 AND status = 'FAILED' GROUP BY error_message ORDER BY count(*) DESC, error_message"
        )
    rows = await deps.pool.fetch(sql, job_id)
    return ErrorSummary(phase=phase, items=[ErrorCount(message=r["message"], count=r["count"]) for r in rows])


def _cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": row_id}).encode()).decode()


def _after(cursor: str | None) -> int:
    if not cursor:
        return -1
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))["after"]
        if not isinstance(value, int):
            raise ValueError
        return value
    except Exception:
        raise Problem(422, "Invalid cursor.", errors=[{"field": "cursor", "message": "not a cursor from this API"}]) from None


@router.get("/{job_id}/records", summary="Report rows, paged (cursor in `next`)")
async def records(
    org_id: OrgId,
    job_id: UUID,
    principal: Reader,
    deps: Deps,
    phase: Literal["validate", "ingest"] = "validate",
    status: Annotated[Literal["VALID", "INVALID", "ADDED", "UPDATED", "FAILED"] | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> RecordsPage:
    await _job(deps, org_id, job_id)
    after = _after(cursor)
    if phase == "validate":
        rows = await deps.pool.fetch(
            "SELECT row_id, errors FROM dataimport.validation_records WHERE job_id = $1 AND row_id > $2 "
            "AND ($3::text IS NULL OR ($3 = 'VALID') = (cardinality(errors) = 0)) ORDER BY row_id LIMIT $4",
            job_id, after, status, limit,
        )
        items = [
            {"_row_id": r["row_id"], "_status": "INVALID" if r["errors"] else "VALID", "_errors": list(r["errors"]),
             "_error_message": "; ".join(r["errors"]) or None}
            for r in rows
        ]
    else:
        rows = await deps.pool.fetch(
            "SELECT row_id, status, error_message, user_id FROM dataimport.ingest_records WHERE job_id = $1 "
            "AND row_id > $2 AND ($3::text IS NULL OR status = $3) ORDER BY row_id LIMIT $4",
            job_id, after, status, limit,
        )
        items = [
            {"_row_id": r["row_id"], "_status": r["status"], "_error_message": r["error_message"], "_user_id": r["user_id"]}
            for r in rows
        ]
    return RecordsPage(items=items, next=_cursor(rows[-1]["row_id"]) if len(rows) == limit else None)


@router.get("/{job_id}/events", summary="Server-sent events with the job's progress until it settles",
            response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}})
async def events(org_id: OrgId, job_id: UUID, principal: Reader, deps: Deps, request: Request) -> StreamingResponse:
    await _job(deps, org_id, job_id)

    async def stream():
        last = None
        idle = 0
        while True:
            job = await _job(deps, org_id, job_id)
            body = job.model_dump_json()
            if body != last:
                yield f"event: job\ndata: {body}\n\n"
                last = body
                idle = 0
            elif idle >= 15:
                yield ": keep-alive\n\n"
                idle = 0
            if job.status in SETTLED or job.status == "DRAFT":
                yield "event: end\ndata: {}\n\n"
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(1.0)
            idle += 1

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
