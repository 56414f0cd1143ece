"""job_api.ui.mount_ui: the built app at /, its routes falling back to index.html, hashed assets cached, the
API's routes untouched whatever order they were added in, and no build = the API alone."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from job_api.ui import mount_ui


def _dist(tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>Data Import</title>")
    (dist / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("secret")
    return dist


def test_serves_the_app_with_spa_fallback_and_leaves_the_api_alone(tmp_path):
    app = FastAPI()

    @app.get("/v1/orgs/{org}/jobs")
    def jobs(org: int):
        return {"items": []}

    assert mount_ui(app, _dist(tmp_path)) is True

    @app.get("/livez")  # added after mount_ui: still the API's
    def livez():
        return {"ok": True}

    client = TestClient(app)
    for path in ("/", "/orgs/1001/jobs", "/orgs/1001/jobs/3d201638-6f00-4460-bc4c-bf45fc64aa75/edit?step=3"):
        res = client.get(path)
        assert res.status_code == 200 and "<title>Data Import</title>" in res.text, path
        assert res.headers["cache-control"] == "no-cache"
    asset = client.get("/assets/index-abc123.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    assert client.get("/assets/gone-000.js").status_code == 404
    assert client.get("/favicon.ico").status_code == 404
    assert client.get("/v1/orgs/1/jobs").json() == {"items": []}
    assert client.get("/v1/orgs/1/nothing").status_code == 404
    assert client.get("/livez").json() == {"ok": True}
    assert client.post("/orgs/1001/jobs").status_code in (404, 405)  # only GET/HEAD reach the UI
    assert "secret" not in client.get("/%2E%2E/secret.txt").text


def test_without_a_build_the_api_runs_alone(tmp_path):
    app = FastAPI()
    assert mount_ui(app, tmp_path / "missing") is False
    assert TestClient(app).get("/").status_code == 404
