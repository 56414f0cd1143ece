"""Job endpoints: drafts, validation, approval, progress, reports (SPEC 6)."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
from typing import Annotated, Any, Literal
from uuid import UUID

import pyarrow as pa
import structlog
from fastapi import APIRouter, Body, Query, Request, status
from fastapi.responses import StreamingResponse

from dataimport.warehouse.port import ROW_ID, WarehouseError
from job_api import job_commands as commands
from job_api import jobs_repo as repo
from job_api.auth import Approver, Editor, OrgId, Reader
from job_api.deps import Deps
from job_api.idempotency import IdempotencyKey, run_idempotent
from job_api.job_view import job_out
from job_api.jsonable import jsonable
from job_api.problems import Problem, problem_responses
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

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/v1/orgs/{org_id}/jobs", tags=["jobs"])

READ = problem_responses(401, 404, 422)
EDIT = problem_responses(401, 403, 404, 409, 413, 422)
JOB_ID_DOC = "Job id (a UUID)"

JOB_CREATE_EXAMPLES = {
    "complete": {
        "summary": "A complete job, ready to validate",
        "value": {
            "name": "testing",
            "description": None,
            "source": {"table": "customer_registration_10k"},
            "profile": "customer",
            "method": "insert",
            "unique_id": "MOBILE",
            "mapping": [
                {"source_column": "mobile_no", "field": "mobile", "mandatory": True},
                {"source_column": "registration_date", "field": "registered_on", "mandatory": True},
                {"source_column": "store_code", "field": "registered_store", "mandatory": True},
                {"source_column": "loyalty", "field": "loyalty_type", "mandatory": True},
                {"source_column": "email_id", "field": "email"},
            ],
        },
    },
    "draft": {"summary": "A draft with only a name", "value": {"name": "March migration"}},
}
JOB_PATCH_EXAMPLES = {
    "source": {"summary": "Choose the source table", "value": {"source": {"table": "customer_registration_10k"}}},
    "method": {"summary": "Set method and unique ID", "value": {"method": "update", "unique_id": "EXTERNAL_ID"}},
}


async def _job(deps, org_id: int, job_id: UUID) -> JobOut:
    row = await repo.get_job(deps.pool, org_id, job_id)
    if row is None:
        raise Problem(404, "Job not found.")
    return job_out(row, stalled_after_seconds=deps.settings.stalled_after_seconds)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a job (a DRAFT)", responses=EDIT,
             response_model=JobOut)
async def create_job(
    org_id: OrgId,
    body: Annotated[JobCreate, Body(openapi_examples=JOB_CREATE_EXAMPLES)],
    principal: Editor,
    deps: Deps,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Every field but `name` may be absent in a draft; the configuration is checked only when validation starts.
    Role: editor."""

    async def act() -> JobOut:
        job_id = await commands.create_job(deps, org_id, body, principal)
        return await _job(deps, org_id, job_id)

    return await run_idempotent(deps, request, principal, idempotency_key, 201, body, act)


@router.get("", summary="Jobs of the org, newest first", responses=READ)
async def list_jobs(
    org_id: OrgId,
    principal: Reader,
    deps: Deps,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> JobList:
    rows = await repo.list_jobs(deps.pool, org_id, status, limit)
    return JobList(items=[job_out(r, stalled_after_seconds=deps.settings.stalled_after_seconds) for r in rows])


@router.get("/{job_id}", summary="One job with its validation and ingest progress", responses=READ)
async def get_job(org_id: OrgId, job_id: UUID, principal: Reader, deps: Deps) -> JobOut:
    return await _job(deps, org_id, job_id)


@router.patch("/{job_id}", summary="Edit a draft (409 once validation started)", responses=EDIT)
async def patch_job(
    org_id: OrgId,
    job_id: UUID,
    body: Annotated[JobPatch, Body(openapi_examples=JOB_PATCH_EXAMPLES)],
    principal: Editor,
    deps: Deps,
) -> JobOut:
    """Only the fields given change (`null` clears one). Role: editor."""
    await commands.patch_job(deps, org_id, job_id, body, principal)
    return await _job(deps, org_id, job_id)


@router.post("/{job_id}/validate", status_code=status.HTTP_202_ACCEPTED, summary="Start validation", responses=EDIT,
             response_model=JobOut)
async def validate(
    org_id: OrgId, job_id: UUID, principal: Editor, deps: Deps, request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Checks the configuration first and answers 422 listing every problem at once (source table missing, unknown
    or duplicated source columns, a profile field mapped twice, unmapped mandatory fields with the "n of m
    mandatory profile fields mapped" numbers, a unique ID or method the org does not allow). Then pins the
    source table's version and starts validation. 409 unless the job is a DRAFT. Role: editor."""

    async def act() -> JobOut:
        await commands.start_validation(deps, org_id, job_id, principal)
        return await _job(deps, org_id, job_id)

    return await run_idempotent(deps, request, principal, idempotency_key, 202, None, act)


@router.post("/{job_id}/approve", status_code=status.HTTP_202_ACCEPTED, summary="Approve: ingest the valid records",
             responses=EDIT, response_model=JobOut)
async def approve(
    org_id: OrgId, job_id: UUID, principal: Approver, deps: Deps, request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """409 unless the job is AWAITING_APPROVAL; 403 when the org requires the approver to differ from the user
    who started validation. Role: approver."""

    async def act() -> JobOut:
        await commands.approve(deps, org_id, job_id, principal)
        return await _job(deps, org_id, job_id)

    return await run_idempotent(deps, request, principal, idempotency_key, 202, None, act)


@router.post("/{job_id}/reject", summary="Reject: cancel the job, nothing is written", responses=EDIT,
             response_model=JobOut)
async def reject(
    org_id: OrgId, job_id: UUID, principal: Approver, deps: Deps, request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A DRAFT or a job AWAITING_APPROVAL can be rejected (409 otherwise). Role: approver."""

    async def act() -> JobOut:
        await commands.reject(deps, org_id, job_id, principal)
        return await _job(deps, org_id, job_id)

    return await run_idempotent(deps, request, principal, idempotency_key, 200, None, act)


@router.get("/{job_id}/history", summary="Who created, started validation, approved or rejected, and when",
            responses=READ)
async def job_history(org_id: OrgId, job_id: UUID, principal: Reader, deps: Deps) -> History:
    await _job(deps, org_id, job_id)
    rows = await repo.history(deps.pool, job_id)
    return History(items=[HistoryItem(**dict(r)) for r in rows])


@router.get("/{job_id}/errors", summary="Error summary: each message with its count", responses=READ)
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


REPORT_COLUMNS = {"_row_id", "_status", "_errors", "_error_message", "_user_id"}
PHASE_STATUSES = {"validate": ("VALID", "INVALID"), "ingest": ("ADDED", "UPDATED", "FAILED")}
CSV_PAGE = 5000


SSE_EVENT = {
    "type": "object",
    "description": "One server-sent event",
    "properties": {
        "event": {"type": "string", "enum": ["job", "end"]},
        "data": {"type": "string", "description": "`job`: the job as JSON (as GET .../jobs/{job_id}); `end`: `{}`"},
    },
    "required": ["event", "data"],
}


def _report_table(row, phase: str) -> str | None:
    """The phase's report table once the reporter has written it whole, else None."""
    if phase == "validate":
        done = row["validation_finished_at"] is not None and row["status"] != "VALIDATION_FAILED"
        return row["validate_table"] if done else None
    done = row["ingest_finished_at"] is not None and row["status"] in ("COMPLETED", "COMPLETED_PARTIAL")
    return row["ingest_table"] if done else None


async def _warehouse_page(deps, org_id: int, table: str, after: int, limit: int, status: str | None) -> pa.Table | None:
    read = getattr(deps.warehouse, "read_report_rows", None)
    if read is None:
        return None
    try:
        return await read(org_id, table, after, limit, status)
    except NotImplementedError:
        return None


def _items(page: pa.Table) -> list[dict[str, Any]]:
    return [jsonable(r) for r in page.to_pylist()]


async def _db_items(deps, job_id: UUID, phase: str, after: int, limit: int, status: str | None) -> list[dict[str, Any]]:
    if phase == "validate":
        rows = await deps.pool.fetch(
            "SELECT row_id, errors FROM dataimport.validation_records WHERE job_id = $1 AND row_id > $2 "
            "AND ($3::text IS NULL OR ($3 = 'VALID') = (cardinality(errors) = 0)) ORDER BY row_id LIMIT $4",
            job_id, after, status, limit,
        )
        return [
            {"_row_id": r["row_id"], "_status": "INVALID" if r["errors"] else "VALID", "_errors": list(r["errors"]),
             "_error_message": "; ".join(r["errors"]) or None}
            for r in rows
        ]
    rows = await deps.pool.fetch(
        "SELECT row_id, status, error_message, user_id FROM dataimport.ingest_records WHERE job_id = $1 "
        "AND row_id > $2 AND ($3::text IS NULL OR status = $3) ORDER BY row_id LIMIT $4",
        job_id, after, status, limit,
    )
    return [
        {"_row_id": r["row_id"], "_status": r["status"], "_error_message": r["error_message"], "_user_id": r["user_id"]}
        for r in rows
    ]


@router.get("/{job_id}/records", summary="Report rows, paged (cursor in `next`)", responses=READ)
async def records(
    org_id: OrgId,
    job_id: UUID,
    principal: Reader,
    deps: Deps,
    phase: Literal["validate", "ingest"] = "validate",
    status: Annotated[Literal["VALID", "INVALID", "ADDED", "UPDATED", "FAILED"] | None,
                      Query(description="VALID / INVALID (validate), ADDED / UPDATED / FAILED (ingest)")] = None,
    cursor: Annotated[str | None, Query(max_length=200, description="`next` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> RecordsPage:
    """Rows of the phase's report in `_row_id` order. Once the report table is written, each row carries the
    source columns with their original values plus `_row_id`, `_status`, `_errors` / `_error_message` (and
    `_user_id` for ingest), read from the report table in the warehouse; while the phase runs, the outcomes
    recorded so far (without the source columns)."""
    if status is not None and status not in PHASE_STATUSES[phase]:
        raise Problem(422, f"status {status} does not belong to the {phase} phase.",
                      errors=[{"field": "status", "message": f"one of {', '.join(PHASE_STATUSES[phase])} for {phase}"}])
    row = await repo.get_job(deps.pool, org_id, job_id)
    if row is None:
        raise Problem(404, "Job not found.")
    after = _after(cursor)
    items: list[dict[str, Any]] | None = None
    table = _report_table(row, phase)
    if table is not None:
        try:
            page = await _warehouse_page(deps, org_id, table, after, limit, status)
        except WarehouseError as exc:
            log.warning("report_table_unreadable", job_id=str(job_id), table=table, error=str(exc))
            page = None
        if page is not None:
            items = _items(page)
    if items is None:
        items = await _db_items(deps, job_id, phase, after, limit, status)
    return RecordsPage(items=items, next=_cursor(items[-1]["_row_id"]) if len(items) == limit else None)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value
    value = jsonable(value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@router.get(
    "/{job_id}/invalid-records.csv",
    summary="The invalid records with their error messages, as CSV",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"},
                                              "example": "mobile,email,_row_id,_error_message\r\n"
                                                         "12345,a@example.com,2,mobile is invalid\r\n"}},
                     "description": "CSV (UTF-8, header row): source columns, `_row_id`, `_error_message`"},
               **problem_responses(401, 404, 409, 422)},
)
async def invalid_records_csv(org_id: OrgId, job_id: UUID, principal: Reader, deps: Deps) -> StreamingResponse:
    """Every INVALID record of the validate report with its source columns' original values, `_row_id` and
    `_error_message`: the file to fix and import again. Streamed page by page from the report table. 409 until
    the validate report table is written."""
    row = await repo.get_job(deps.pool, org_id, job_id)
    if row is None:
        raise Problem(404, "Job not found.")
    table = _report_table(row, "validate")
    if table is None:
        raise Problem(409, f"The job is {row['status']}: the validate report is not written (yet).")
    if getattr(deps.warehouse, "read_report_rows", None) is None:
        raise Problem(409, "This warehouse cannot page report tables yet.")
    try:
        columns = [c.name for c in await deps.warehouse.schema(org_id, table)]
        first = await deps.warehouse.read_report_rows(org_id, table, -1, CSV_PAGE, "INVALID")
    except WarehouseError as exc:
        raise Problem(409, f"The validate report table cannot be read: {exc}") from None
    header = [c for c in columns if c not in REPORT_COLUMNS] + [ROW_ID, "_error_message"]

    def encode(page: pa.Table, with_header: bool) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        if with_header:
            writer.writerow(header)
        data = page.to_pydict()
        for i in range(page.num_rows):
            writer.writerow([_csv_value(data[c][i]) if c in data else "" for c in header])
        return buf.getvalue()

    async def stream():
        page = first
        yield encode(page, True)
        while page.num_rows == CSV_PAGE:
            after = page.column(ROW_ID)[-1].as_py()
            page = await deps.warehouse.read_report_rows(org_id, table, after, CSV_PAGE, "INVALID")
            yield encode(page, False)

    filename = f"{table}_invalid.csv"
    return StreamingResponse(stream(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/{job_id}/events", summary="Server-sent events with the job's progress until it settles",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {"schema": SSE_EVENT,
                                                               "example": "event: job\ndata: {\"id\": \"...\", "
                                                                          "\"status\": \"VALIDATING\", ...}\n\n"}},
                             "description": "`event: job` with the job (as GET .../jobs/{job_id}) whenever it "
                                           "changes, then `event: end` once it settles"},
                       **READ})
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
