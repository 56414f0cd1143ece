"""A small REST client for the job API, used by the demo, the benchmark and the end-to-end tests."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

TERMINAL = ("VALIDATION_FAILED", "REJECTED", "COMPLETED", "COMPLETED_PARTIAL", "FAILED")


class ApiError(Exception):
    def __init__(self, response: httpx.Response):
        self.response = response
        try:
            body = response.json()
        except ValueError:
            body = response.text
        self.body = body
        super().__init__(f"{response.request.method} {response.request.url.path} -> {response.status_code}: {body}")


class JobApiClient:
    def __init__(self, base_url: str = "http://127.0.0.1:8080", token: str | None = None, timeout: float = 60.0):
        if token is None:
            token = Path(".data/dev-token").read_text().strip()
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        r = self.http.request(method, path, **kw)
        if r.status_code >= 400:
            raise ApiError(r)
        return r.json() if r.content else None

    def put_config(self, org_id: int, config: dict) -> dict:
        return self._call("PUT", f"/v1/orgs/{org_id}/config", json=config)

    def create_job(self, org_id: int, body: dict) -> dict:
        return self._call("POST", f"/v1/orgs/{org_id}/jobs", json=body)

    def job(self, org_id: int, job_id: str) -> dict:
        return self._call("GET", f"/v1/orgs/{org_id}/jobs/{job_id}")

    def validate(self, org_id: int, job_id: str) -> dict:
        return self._call("POST", f"/v1/orgs/{org_id}/jobs/{job_id}/validate")

    def approve(self, org_id: int, job_id: str) -> dict:
        return self._call("POST", f"/v1/orgs/{org_id}/jobs/{job_id}/approve")

    def reject(self, org_id: int, job_id: str) -> dict:
        return self._call("POST", f"/v1/orgs/{org_id}/jobs/{job_id}/reject")

    def errors(self, org_id: int, job_id: str, phase: str = "validate") -> dict:
        return self._call("GET", f"/v1/orgs/{org_id}/jobs/{job_id}/errors", params={"phase": phase})

    def customer(self, org_id: int, **key: Any) -> dict | None:
        r = self.http.get(f"/v1/orgs/{org_id}/customers", params=key)
        if r.status_code == 404:
            return None
        if r.status_code >= 400:
            raise ApiError(r)
        return r.json()

    def wait_for(self, org_id: int, job_id: str, statuses: tuple[str, ...], timeout: float = 600.0) -> dict:
        """Poll until the job reaches one of ``statuses`` (or any terminal state); returns the job."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(org_id, job_id)
            if job["status"] in statuses or job["status"] in TERMINAL:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job['status']} after {timeout:.0f}s")
            time.sleep(0.25)
