"""Errors as RFC 9457 ``application/problem+json``: a human-readable ``detail`` and, for invalid requests,
the list of what is wrong."""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class ProblemItem(BaseModel):
    """One thing wrong with a request."""

    model_config = ConfigDict(extra="allow")
    field: str = Field(description="Where: a dotted path into the body, a query parameter, or a configuration item")
    message: str
    code: str | None = Field(None, description="A stable machine-readable code, when there is one")
    type: str | None = None


class ProblemDetails(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")
    type: str = "about:blank"
    title: str
    status: int
    detail: str = Field(description="What went wrong, for a person")
    errors: list[ProblemItem] | None = Field(None, description="For invalid requests: every problem at once")


_EXAMPLES: dict[int, dict[str, Any]] = {
    400: {"type": "about:blank", "title": "Bad Request", "status": 400, "detail": "The request is malformed."},
    401: {"type": "about:blank", "title": "Unauthorized", "status": 401,
          "detail": "Missing bearer token: send 'Authorization: Bearer <token>'."},
    403: {"type": "about:blank", "title": "Forbidden", "status": 403,
          "detail": "This operation needs the 'approver' role on organisation 1001."},
    404: {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "Job not found."},
    409: {"type": "about:blank", "title": "Conflict", "status": 409,
          "detail": "The job is VALIDATING: only drafts can be edited."},
    413: {"type": "about:blank", "title": "Content Too Large", "status": 413,
          "detail": "Request bodies are limited to 1048576 bytes."},
    422: {"type": "about:blank", "title": "Unprocessable Content", "status": 422,
          "detail": "The job cannot start validation: 2 problem(s) to fix.",
          "errors": [
              {"field": "registered_on", "code": "mandatory_field_unmapped",
               "message": "registered_on must be mapped (2 of 4 mandatory profile fields mapped)"},
              {"field": "mapping", "code": "unknown_source_column",
               "message": "source column 'mobile_no' is not in the source table"},
          ]},
}

_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing, invalid or revoked bearer token",
    403: "The token lacks the role this operation needs on the org",
    404: "Not found (also for orgs the token does not cover)",
    409: "The job is not in a state that allows this",
    413: "Request body too large",
    422: "Invalid request: every problem listed in `errors`",
}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problem+json errors a route can answer."""
    return {
        code: {
            "description": _DESCRIPTIONS.get(code, _TITLES.get(code, "Error")),
            "model": ProblemDetails,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"},
                                       "example": _EXAMPLES.get(code)}},
        }
        for code in codes
    }


READ_ERRORS = (401, 404, 422)
WRITE_ERRORS = (401, 403, 404, 413, 422)


class Problem(Exception):
    def __init__(self, status: int, detail: str, *, errors: list[dict[str, Any]] | None = None, **extra: Any):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.extra = extra


def problem_response(status: int, detail: str, errors: list[dict[str, Any]] | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _safe(value: Any) -> Any:
    """Echo request input in an error without ever failing to encode it."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value if not isinstance(value, str) else value[:200].encode("utf-8", "replace").decode("utf-8")
    return str(value)[:200].encode("utf-8", "replace").decode("utf-8")


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.detail, exc.errors, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body",
                "message": e.get("msg", "invalid"),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        names = ", ".join(sorted({e["field"] for e in errors})) or "body"
        return problem_response(422, f"The request is invalid: {names}", errors)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail))

    async def on_unstorable_text(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(
            422, "The request holds text that cannot be stored: a NUL character or invalid Unicode.",
            [{"field": "request", "message": "remove NUL characters and unpaired surrogates", "code": "invalid_text"}],
        )

    for exc_class in (UnicodeEncodeError, asyncpg.exceptions.CharacterNotInRepertoireError,
                      asyncpg.exceptions.UntranslatableCharacterError):
        app.add_exception_handler(exc_class, on_unstorable_text)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        structlog.get_logger(__name__).error("unexpected_error", path=request.url.path, method=request.method,
                                             exc_info=exc)
        return problem_response(500, "An unexpected error occurred; it has been logged.")
