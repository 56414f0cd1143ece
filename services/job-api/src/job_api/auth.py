"""Bearer-token authentication and per-org roles (SPEC 8). A token that does not cover an org gets 404 for
everything of that org, so other orgs' existence is never revealed."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from dataimport.tokens import Principal, authenticate
from job_api.problems import Problem

bearer = HTTPBearer(auto_error=False, description="API token (`dataimport tokens create`)")

OrgId = Annotated[int, Path(ge=1, le=2**53, description="Organisation id")]


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise Problem(401, "Missing bearer token: send 'Authorization: Bearer <token>'.")
    token = credentials.credentials
    if len(token) > 200:
        raise Problem(401, "Invalid or revoked token.")
    principal = await authenticate(request.app.state.deps.pool, token)
    if principal is None:
        raise Problem(401, "Invalid or revoked token.")
    return principal


def require(role: str):
    """Dependency: the caller holds ``role`` on the path's org (404 when the token does not cover the org)."""

    async def check(org_id: OrgId, principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        roles = principal.roles_for(org_id)
        if not roles:
            raise Problem(404, f"Organisation {org_id} not found.")
        if role not in roles:
            raise Problem(403, f"This operation needs the '{role}' role on organisation {org_id}.")
        return principal

    return check


def any_role():
    async def check(org_id: OrgId, principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.covers(org_id):
            raise Problem(404, f"Organisation {org_id} not found.")
        return principal

    return check


Reader = Annotated[Principal, Depends(any_role())]
Editor = Annotated[Principal, Depends(require("editor"))]
Approver = Annotated[Principal, Depends(require("approver"))]
Admin = Annotated[Principal, Depends(require("admin"))]
