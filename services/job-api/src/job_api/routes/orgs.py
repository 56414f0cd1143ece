"""Org-level endpoints: configuration, source tables and previews, the field catalog, customer look-up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from dataimport.orgs import SPEC_EXAMPLE as CONFIG_EXAMPLE
from dataimport.orgs import OrgConfig
from dataimport.profiles.customer.lookup import lookup_key
from dataimport.profiles.registry import get_plugin
from dataimport.warehouse.names import InvalidName, check_table_name
from dataimport.warehouse.port import TableNotFound
from job_api import jobs_repo as repo
from job_api.auth import Admin, OrgId, Reader
from job_api.deps import Deps
from job_api.jsonable import jsonable
from job_api.problems import Problem, problem_responses
from job_api.schemas import Customer, FieldCatalog, FieldInfo, Preview, TableList

router = APIRouter(prefix="/v1/orgs/{org_id}")

READ = problem_responses(401, 404, 422)
ADMIN = problem_responses(401, 403, 404, 413, 422)

def _table(table: str) -> str:
    try:
        return check_table_name(table)
    except InvalidName as exc:
        raise Problem(404, f"Table not found: {exc}") from None


@router.put("/config", tags=["org"], summary="Set the org configuration (SPEC 3)", responses=ADMIN,
            response_model=OrgConfig)
async def put_config(
    org_id: OrgId,
    principal: Admin,
    deps: Deps,
    config: Annotated[OrgConfig, Body(openapi_examples={"example": {"summary": "An org in India",
                                                                     "value": CONFIG_EXAMPLE}})],
) -> dict[str, Any]:
    """Replaces the whole configuration; answers it as stored. Every problem is listed at once (422). Role: admin."""
    stored = config.model_dump(mode="json")
    await repo.put_org_config(deps.pool, org_id, stored, principal.user)
    return stored


@router.get("/config", tags=["org"], summary="The org configuration", responses=READ, response_model=OrgConfig)
async def get_config(org_id: OrgId, principal: Reader, deps: Deps) -> dict[str, Any]:
    config = await repo.get_org_config(deps.pool, org_id)
    if config is None:
        raise Problem(404, f"Organisation {org_id} has no configuration yet.")
    return config


@router.get("/tables", tags=["source"], summary="Tables in import_<org_id>, live", responses=READ)
async def list_tables(org_id: OrgId, principal: Reader, deps: Deps) -> TableList:
    return TableList(tables=await deps.warehouse.list_tables(org_id))


@router.get("/tables/{table}/preview", tags=["source"], summary="Total records, fields and the top rows",
            responses=READ)
async def preview(
    org_id: OrgId,
    table: Annotated[str, Path(max_length=200, description="A table of import_<org_id>: letters, digits and '_'")],
    principal: Reader,
    deps: Deps,
    limit: Annotated[int, Query(ge=0, le=500)] = 50,
) -> Preview:
    table = _table(table)
    try:
        columns = await deps.warehouse.schema(org_id, table)
        total = await deps.warehouse.count(org_id, table)
        rows = await deps.warehouse.preview(org_id, table, limit)
    except TableNotFound:
        raise Problem(404, f"Table import_{org_id}.{table} not found.") from None
    return Preview(
        table=table,
        total_records=total,
        fields=[FieldInfo(name=c.name, type=c.type) for c in columns],
        rows=[jsonable(r) for r in rows.to_pylist()],
    )


@router.get("/profiles/{profile}/fields", tags=["org"], summary="The profile's field catalog for this org",
            responses=READ, response_model=FieldCatalog, response_model_exclude_none=True)
async def field_catalog(
    org_id: OrgId,
    profile: Annotated[str, Path(max_length=64, examples=["customer"])],
    principal: Reader,
    deps: Deps,
) -> dict[str, Any]:
    try:
        plugin = get_plugin(profile)
    except KeyError:
        raise Problem(404, f"Unknown profile {profile!r}.") from None
    raw = await repo.get_org_config(deps.pool, org_id)
    if raw is None:
        raise Problem(404, f"Organisation {org_id} has no configuration yet.")
    return jsonable(plugin.profile.field_catalog(OrgConfig.model_validate(raw)))


@router.get("/customers", tags=["customers"], summary="Look up one customer in the customer database",
            responses=READ, response_model=Customer)
async def customer(
    org_id: OrgId,
    principal: Reader,
    deps: Deps,
    mobile: Annotated[str | None, Query(max_length=64)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    external_id: Annotated[str | None, Query(max_length=200)] = None,
    user_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> dict[str, Any]:
    given = {k: v for k, v in {"mobile": mobile, "email": email, "external_id": external_id, "user_id": user_id}.items() if v is not None}
    if len(given) != 1:
        raise Problem(422, "Give exactly one of mobile, email, external_id, user_id.",
                      errors=[{"field": "query", "message": "exactly one look-up key is required"}])
    (field, value), = given.items()
    if isinstance(value, str):
        raw = await repo.get_org_config(deps.pool, org_id)
        value = lookup_key(field, value, OrgConfig.model_validate(raw) if raw is not None else None)
    store = get_plugin("customer").store_factory(deps.pool)
    found = await store.get_one(org_id, field, value)
    if found is None:
        raise Problem(404, "Customer not found.")
    return jsonable(found)
