"""Serves the web UI (the single-page app built from ``ui/`` into ``ui/dist``) at ``/``.

Every GET/HEAD whose first path segment is not one of the API's (``/v1``, ``/docs``, ``/openapi.json``,
``/livez``, ...) is answered from the build: a file when there is one (hashed ``/assets/*`` cached for a year,
the rest revalidated), otherwise ``index.html`` so the app's own routes (``/orgs/1001/jobs/...``) survive a reload.
The API's routes always win, whatever order they were added in. Without a build, the API runs alone.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse, PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from dataimport.observability import get_logger

log = get_logger(__name__)

ASSET_CACHE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Path prefixes that are never the UI's, even before the app's routes are known.
RESERVED = frozenset({"v1", "docs", "redoc", "openapi.json", "livez", "readyz", "metrics"})


def default_dist_dir() -> Path:
    """``UI_DIST_DIR``, else ``ui/dist`` of the repository (services run from the repo root)."""
    env = os.environ.get("UI_DIST_DIR")
    if env:
        return Path(env)
    cwd = Path.cwd() / "ui" / "dist"
    return cwd if cwd.is_dir() else Path(__file__).resolve().parents[4] / "ui" / "dist"


class _SpaMiddleware:
    def __init__(self, app: ASGIApp, *, fastapi_app: FastAPI, dist: Path) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.dist = dist
        self._api_prefixes: frozenset[str] | None = None

    def _prefixes(self) -> frozenset[str]:
        if self._api_prefixes is None:
            found = set(RESERVED)
            for route in self.fastapi_app.routes:
                path = getattr(route, "path", "") or ""
                first = path.strip("/").split("/", 1)[0]
                if first and "{" not in first:
                    found.add(first)
            self._api_prefixes = frozenset(found)
        return self._api_prefixes

    def _file(self, path: str) -> Path | None:
        rel = path.lstrip("/")
        if not rel:
            return None
        candidate = (self.dist / rel).resolve()
        try:
            candidate.relative_to(self.dist)
        except ValueError:
            return None
        return candidate if candidate.is_file() else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        first = path.strip("/").split("/", 1)[0]
        if first in self._prefixes():
            await self.app(scope, receive, send)
            return
        file = self._file(path)
        if file is not None:
            cache = ASSET_CACHE if path.startswith("/assets/") else REVALIDATE
            response = FileResponse(file, headers={"Cache-Control": cache})
        elif first == "assets" or "." in path.rsplit("/", 1)[-1]:
            response = PlainTextResponse("Not found", status_code=404)
        elif (self.dist / "index.html").is_file():
            response = FileResponse(self.dist / "index.html", media_type="text/html",
                                    headers={"Cache-Control": REVALIDATE})
        else:  # the build was removed (or is being rebuilt) while running
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)


def mount_ui(app: FastAPI, dist_dir: str | Path | None = None) -> bool:
    """Serve the built UI at ``/`` with an SPA fallback; returns False (and logs why) when there is no build."""
    dist = Path(dist_dir) if dist_dir is not None else default_dist_dir()
    dist = dist.resolve()
    if not (dist / "index.html").is_file():
        log.warning("ui_not_served", reason="no build: run `make ui`", dist_dir=str(dist))
        return False
    app.add_middleware(_SpaMiddleware, fastapi_app=app, dist=dist)
    log.info("ui_served", dist_dir=str(dist))
    return True
