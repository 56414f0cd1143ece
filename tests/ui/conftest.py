"""Browser fixtures for the UI tests: headless Chromium (Debian's package, driven by Playwright from PyPI) against
the web UI that job-api serves at / on the running stack. Screenshots go to .data/screenshots/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pyarrow as pa
import pytest
from deltalake import write_deltalake

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / ".data" / "screenshots"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

ORG_CONFIG = {
    "base_country": "IN",
    "supported_countries": ["IN", "AE"],
    "timezone": "Asia/Kolkata",
    "allow_registration_from_any_identifier": False,
    "identifier_flexibility": False,
    "email_unique": True,
    "min_registration_date": "2000-01-01",
    "stores": [{"code": "STORE001", "tills": ["TILL001"]}],
    "slabs": ["Silver", "Gold", "Platinum"],
    "status_labels": [{"label": "Active", "status": "ACTIVE"}, {"label": "Deleted", "status": "DELETED"}],
    "custom_fields": [{"name": "fav_category", "type": "string"}],
    "extended_fields": {"enabled": ["city"], "enum_values": {}},
}

COLUMNS = ["mobile", "email", "first_name", "registered_on", "store", "loyalty_type", "slab"]
GOOD = {"email": None, "first_name": "Asha", "registered_on": "2024-01-15 10:00:00", "store": "STORE001",
        "loyalty_type": "loyalty", "slab": "Gold"}
# 9 valid records, 3 invalid ones (each with one error).
ROWS = [
    *({**GOOD, "mobile": f"98765432{n:02d}", "email": f"ui{n}@example.com"} for n in range(9)),
    {**GOOD, "mobile": "12345"},                                  # mobile is invalid
    {**GOOD, "mobile": "9876500001", "loyalty_type": "gold"},     # loyalty_type is invalid
    {**GOOD, "mobile": "9876500002", "slab": "Diamond"},          # slab name is invalid
]
N_VALID, N_INVALID = 9, 3


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def base_url() -> str:
    url = os.environ.get("DATAIMPORT_API", "http://127.0.0.1:8080")
    try:
        res = httpx.get(url + "/", timeout=10)
    except httpx.HTTPError as exc:
        pytest.fail(f"job-api is not reachable at {url}: {exc} (make up)")
    if res.status_code != 200 or "<html" not in res.text.lower():
        pytest.fail(f"job-api does not serve the web UI at {url}/ (answer {res.status_code}): run `make ui`, restart job-api")
    return url


@pytest.fixture(scope="session")
def token() -> str:
    return (REPO / ".data" / "dev-token").read_text().strip()


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    exe = chromium_path()
    if exe is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(base_url=base_url, viewport={"width": 1360, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.fixture
def shot(request):
    """shot(page, "name") saves .data/screenshots/<test>-<name>.png (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = request.node.name.removeprefix("test_")

    def take(pg, name: str) -> Path:
        path = SCREENSHOTS / f"{prefix}-{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def ui_org(api, org_id, warehouse_root):
    """A fresh org with a configuration and a 12-record source table `ui_customers`."""

    def make(**config) -> tuple[int, str]:
        api.put_config(org_id, {**ORG_CONFIG, **config})
        table = "ui_customers"
        data = pa.table({c: pa.array([r.get(c) for r in ROWS], pa.string()) for c in COLUMNS})
        write_deltalake(f"{warehouse_root}/import_{org_id}/{table}", data, mode="overwrite")
        return org_id, table

    return make


@pytest.fixture
def sign_in(token):
    """sign_in(page, org): the login box with the dev token, then the org chosen in the header."""

    def go(pg, org: int) -> None:
        pg.goto("/")
        pg.get_by_label("API token").fill(token)
        pg.get_by_role("button", name="Sign in").click()
        pg.get_by_role("heading", name="Imports", level=1).wait_for()
        pg.get_by_label("Organisation ID").fill(str(org))
        pg.get_by_role("button", name="Switch").click()
        pg.get_by_text(f"Organisation {org} · source database import_{org}").wait_for()

    return go
