"""``Idempotency-Key`` on POSTs: a retried request never acts twice.

The first request with a key claims it (a row in ``dataimport.idempotency_keys`` with ``status_code`` 0) before
it acts, then stores its answer. A later request with the same token and key:
- same method, path and body: gets the stored answer again (header ``Idempotent-Replayed: true``);
- anything else: 422;
- while the first is still running: 409 (concurrent duplicates: exactly one acts).
Only successful answers are stored: after an error (a 422 listing configuration problems, a 409, a 5xx) the claim
is released, so the same request can be retried with the same key once the cause is fixed.
A claim left by a process that died mid-request is taken over after ``STALE_CLAIM_SECONDS``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from dataimport.tokens import Principal
from job_api.deps import AppDeps
from job_api.problems import PROBLEM_JSON, Problem

STALE_CLAIM_SECONDS = 300
KEY_RE = r"^[\x21-\x7e]{1,255}$"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=KEY_RE,
        description="Any unique string (1-255 visible ASCII characters, e.g. a UUID). A retry with the same key and "
        "the same request gets the first answer again instead of acting twice; the same key with a different "
        "request gets 422.",
        examples=["5f0c3b9e-8a51-4d2e-9d7f-0b6a3a1e2c44"],
    ),
]


def _request_hash(request: Request, body: BaseModel | None) -> str:
    canonical = {
        "method": request.method,
        "path": request.url.path,
        "body": jsonable_encoder(body.model_dump(mode="json", exclude_unset=True)) if body is not None else None,
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


async def run_idempotent(
    deps: AppDeps,
    request: Request,
    principal: Principal,
    key: str | None,
    status_code: int,
    body: BaseModel | None,
    act: Callable[[], Awaitable[Any]],
) -> Any:
    """Run ``act`` (returning the response model) at most once per (token, key)."""
    if key is None:
        return await act()
    digest = _request_hash(request, body)
    claimed = await deps.pool.fetchval(
        "INSERT INTO dataimport.idempotency_keys (token_id, key, request_hash, status_code, body) "
        "VALUES ($1, $2, $3, 0, NULL) "
        "ON CONFLICT (token_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, created_at = now() "
        "WHERE idempotency_keys.status_code = 0 AND idempotency_keys.request_hash = EXCLUDED.request_hash "
        "AND idempotency_keys.created_at < now() - make_interval(secs => $4) "
        "RETURNING true",
        principal.token_id, key, digest, float(STALE_CLAIM_SECONDS),
    )
    if not claimed:
        row = await deps.pool.fetchrow(
            "SELECT request_hash, status_code, body FROM dataimport.idempotency_keys WHERE token_id = $1 AND key = $2",
            principal.token_id, key,
        )
        if row is None:  # released between our insert and select (the first answer was a 5xx): try again later
            raise Problem(409, "A request with this Idempotency-Key is being processed; retry shortly.")
        if row["request_hash"] != digest:
            raise Problem(422, "This Idempotency-Key was already used for a different request.",
                          errors=[{"field": "Idempotency-Key", "code": "idempotency_key_reused",
                                   "message": "use a new key for a different request"}])
        if row["status_code"] == 0:
            raise Problem(409, "A request with this Idempotency-Key is being processed; retry shortly.")
        media = PROBLEM_JSON if row["status_code"] >= 400 else "application/json"
        return JSONResponse(row["body"], status_code=row["status_code"], media_type=media,
                            headers={"Idempotent-Replayed": "true"})
    try:
        result = await act()
    except BaseException:
        await _release(deps, principal, key)
        raise
    await _store(deps, principal, key, status_code, jsonable_encoder(result))
    return result


async def _store(deps: AppDeps, principal: Principal, key: str, status_code: int, body: Any) -> None:
    await deps.pool.execute(
        "UPDATE dataimport.idempotency_keys SET status_code = $3, body = $4 WHERE token_id = $1 AND key = $2",
        principal.token_id, key, status_code, body,
    )


async def _release(deps: AppDeps, principal: Principal, key: str) -> None:
    await deps.pool.execute(
        "DELETE FROM dataimport.idempotency_keys WHERE token_id = $1 AND key = $2 AND status_code = 0",
        principal.token_id, key,
    )
