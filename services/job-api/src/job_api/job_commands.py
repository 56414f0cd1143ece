"""Job use cases behind the REST API: drafts, start of validation, approval, rejection.

Each state change and the event it emits are stored in one transaction (the outbox), so a job never exists
without its event or the reverse.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from dataimport.events import JobApproved, JobRejected, JobSpec, JobSubmitted
from dataimport.orgs import OrgConfig
from dataimport.profiles.base import FieldMapping, JobConfig, Problem as ConfigProblem
from dataimport.profiles.registry import get_plugin
from dataimport.tokens import Principal
from dataimport.warehouse.names import InvalidName, check_table_name, new_report_suffix, report_table_names
from dataimport.warehouse.port import WarehouseError
from job_api import jobs_repo as repo
from job_api.deps import AppDeps
from job_api.problems import Problem
from job_api.schemas import JobCreate, JobPatch

EDITABLE = ("DRAFT",)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _job_values(body: JobCreate | JobPatch, *, partial: bool) -> dict[str, Any]:
    data = body.model_dump(exclude_unset=partial)
    values: dict[str, Any] = {}
    for key in ("name", "description", "profile", "method", "unique_id"):
        if key in data:
            values[key] = data[key]
    if "source" in data:
        values["source_table"] = data["source"]["table"] if data["source"] else None
    if "mapping" in data:
        values["mapping"] = data["mapping"]
    if values.get("source_table") is not None:
        try:
            check_table_name(values["source_table"])
        except InvalidName as exc:
            raise Problem(422, str(exc), errors=[{"field": "source.table", "message": str(exc)}]) from None
    return values


async def create_job(deps: AppDeps, org_id: int, body: JobCreate, principal: Principal) -> UUID:
    job_id = uuid.uuid4()
    values = {
        "id": job_id,
        "org_id": org_id,
        "status": "DRAFT",
        "created_by": principal.user,
        **_job_values(body, partial=False),
    }
    async with deps.pool.acquire() as conn, conn.transaction():
        await repo.insert_job(conn, values)
        await repo.add_history(conn, job_id, "created", principal.user)
    return job_id


async def patch_job(deps: AppDeps, org_id: int, job_id: UUID, body: JobPatch, principal: Principal) -> None:
    values = _job_values(body, partial=True)
    async with deps.pool.acquire() as conn, conn.transaction():
        job = await repo.get_job(conn, org_id, job_id, for_update=True)
        if job is None:
            raise Problem(404, "Job not found.")
        if job["status"] not in EDITABLE:
            raise Problem(409, f"The job is {job['status']}: only drafts can be edited.")
        if values:
            await repo.update_job(conn, job_id, values)
            await repo.add_history(conn, job_id, "edited", principal.user, {"fields": sorted(values)})


async def org_config_or_problem(deps: AppDeps, org_id: int) -> OrgConfig:
    raw = await repo.get_org_config(deps.pool, org_id)
    if raw is None:
        raise Problem(422, f"Organisation {org_id} has no configuration yet (PUT /v1/orgs/{org_id}/config).",
                      errors=[{"field": "org_config", "message": "missing"}])
    return OrgConfig.model_validate(raw)


async def configuration_problems(deps: AppDeps, org_id: int, job) -> tuple[list[dict[str, Any]], OrgConfig | None]:
    """Every problem that stops a job from starting validation, all at once."""
    problems: list[dict[str, Any]] = []
    for key, label in (("source_table", "source.table"), ("method", "method"), ("unique_id", "unique_id")):
        if not job[key]:
            problems.append({"field": label, "code": "missing", "message": f"{label} is required to start validation"})
    if not job["mapping"]:
        problems.append({"field": "mapping", "code": "missing", "message": "mapping is required to start validation"})
    raw = await repo.get_org_config(deps.pool, org_id)
    org = OrgConfig.model_validate(raw) if raw is not None else None
    if org is None:
        problems.append({"field": "org_config", "code": "missing",
                         "message": f"organisation {org_id} has no configuration yet"})
    columns: list[str] | None = None
    if job["source_table"]:
        try:
            columns = [c.name for c in await deps.warehouse.schema(org_id, job["source_table"])]
        except WarehouseError as exc:
            problems.append({"field": "source.table", "code": "table_not_found", "message": str(exc)})
    if org is not None and job["method"] and job["unique_id"] and job["mapping"] is not None:
        profile = get_plugin(job["profile"]).profile
        config = JobConfig(
            method=job["method"],
            unique_id=job["unique_id"],
            mapping=tuple(FieldMapping(m["source_column"], m["field"], m.get("mandatory", False)) for m in job["mapping"]),
        )
        for p in profile.check_job(config, org, columns if columns is not None else [m["source_column"] for m in job["mapping"]]):
            problems.append(_problem_dict(p))
    return problems, org


def _problem_dict(p: ConfigProblem) -> dict[str, Any]:
    return {"field": p.field or "mapping", "code": p.code, "message": p.detail}


async def start_validation(deps: AppDeps, org_id: int, job_id: UUID, principal: Principal) -> None:
    job = await repo.get_job(deps.pool, org_id, job_id)
    if job is None:
        raise Problem(404, "Job not found.")
    if job["status"] != "DRAFT":
        raise Problem(409, f"The job is {job['status']}: validation can only start from DRAFT.")
    problems, org = await configuration_problems(deps, org_id, job)
    if problems:
        raise Problem(422, f"The job cannot start validation: {len(problems)} problem(s) to fix.", errors=problems)
    try:
        snapshot = await deps.warehouse.snapshot(org_id, job["source_table"])
    except WarehouseError as exc:
        raise Problem(422, str(exc), errors=[{"field": "source.table", "code": "table_not_found", "message": str(exc)}])
    suffix = new_report_suffix()
    validate_table, ingest_table = report_table_names(job["profile"], job["name"], suffix)
    spec = JobSpec(
        name=job["name"],
        profile=job["profile"],
        source_table=job["source_table"],
        snapshot_version=snapshot.version,
        records_total=snapshot.records,
        chunk_size=deps.settings.chunk_size,
        report_part_chunks=max(1, deps.settings.report_part_rows // deps.settings.chunk_size),
        method=job["method"],
        unique_id=job["unique_id"],
        mapping=job["mapping"],
        org_config=org.model_dump(mode="json"),
        validate_table=validate_table,
        ingest_table=ingest_table,
    )
    now = _now()
    async with deps.pool.acquire() as conn, conn.transaction():
        changed = await repo.update_job(
            conn,
            job_id,
            {
                "status": "VALIDATING",
                "spec": spec.model_dump(mode="json"),
                "report_suffix": suffix,
                "validate_table": validate_table,
                "ingest_table": ingest_table,
                "records_total": snapshot.records,
                "validation_started_by": principal.user,
                "validation_started_at": now,
                "last_progress_at": now,
            },
            only_status=("DRAFT",),
        )
        if not changed:
            raise Problem(409, "The job is no longer a draft (validation was started by another request).")
        await repo.add_history(conn, job_id, "validation_started", principal.user,
                               {"snapshot_version": snapshot.version, "records": snapshot.records})
        await repo.enqueue(conn, JobSubmitted(job_id=job_id, org_id=org_id, spec=spec, started_by=principal.user))


async def approve(deps: AppDeps, org_id: int, job_id: UUID, principal: Principal) -> None:
    async with deps.pool.acquire() as conn, conn.transaction():
        job = await repo.get_job(conn, org_id, job_id, for_update=True)
        if job is None:
            raise Problem(404, "Job not found.")
        if job["status"] != "AWAITING_APPROVAL":
            raise Problem(409, f"The job is {job['status']}: only a job awaiting approval can be approved.")
        spec = JobSpec.model_validate(job["spec"])
        if spec.org_config.get("require_distinct_approver") and principal.user == job["validation_started_by"]:
            raise Problem(403, "This organisation requires the approver to differ from the user who started validation.")
        now = _now()
        await repo.update_job(
            conn,
            job_id,
            {"status": "IMPORTING", "approved_by": principal.user, "ingest_started_at": now, "last_progress_at": now},
        )
        await repo.add_history(conn, job_id, "approved", principal.user)
        await repo.enqueue(
            conn,
            JobApproved(job_id=job_id, org_id=org_id, spec=spec, approved_by=principal.user,
                        chunks_total=job["chunks_total"] or 0),
        )


async def reject(deps: AppDeps, org_id: int, job_id: UUID, principal: Principal) -> None:
    async with deps.pool.acquire() as conn, conn.transaction():
        job = await repo.get_job(conn, org_id, job_id, for_update=True)
        if job is None:
            raise Problem(404, "Job not found.")
        if job["status"] not in ("DRAFT", "AWAITING_APPROVAL"):
            raise Problem(409, f"The job is {job['status']}: only a draft or a job awaiting approval can be rejected.")
        await repo.update_job(conn, job_id, {"status": "REJECTED", "rejected_by": principal.user})
        await repo.add_history(conn, job_id, "rejected", principal.user)
        await repo.enqueue(conn, JobRejected(job_id=job_id, org_id=org_id, rejected_by=principal.user))
