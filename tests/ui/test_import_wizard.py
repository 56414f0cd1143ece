"""The web UI in headless Chromium against the running stack: the four-step wizard, the job status page with
live validation, approval and the import summary; a draft saved at step 3 and resumed; a refused configuration.
Screenshots of each step land in .data/screenshots/."""

from __future__ import annotations

import asyncio
import csv
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import asyncpg
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.integration

N_VALID, N_INVALID = 9, 3  # the source table of conftest.ui_org
MAPPING = {"mobile": "mobile", "email": "email", "first_name": "first_name", "registered_on": "registered_on",
           "store": "registered_store", "loyalty_type": "loyalty_type", "slab": "slab"}
JOB_TIMEOUT = 120_000


async def _race_customer(dsn: str, org_id: int, mobile: str) -> None:
    """Another writer creates a customer with a mobile that this job validated as new: its import fails that record."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO customer.customers (org_id, mobile, registered_on, registered_store, loyalty_type, slab, "
            "status_label) VALUES ($1, $2, $3, 'STORE001', 'loyalty', 'Silver', 'Active')",
            org_id, mobile, datetime(2020, 1, 1, tzinfo=timezone.utc),
        )
    finally:
        await conn.close()


def step1(page, table: str) -> None:
    page.get_by_role("link", name="+ New import job").click()
    expect(page.get_by_role("heading", name="Step 1: Data to import")).to_be_visible()
    expect(page.get_by_text("Warehouse connection established")).to_be_visible()
    page.get_by_label("Table name").select_option(table)
    expect(page.locator("#total-records")).to_have_text("12")
    expect(page.locator("#field-count")).to_have_text("7")
    expect(page.locator(".preview-table tbody tr")).to_have_count(12)


def step2(page, method: str = "insert", unique_id: str = "MOBILE") -> None:
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Step 2: Profile and method")).to_be_visible()
    expect(page.get_by_label("Import profile")).to_have_value("customer")
    page.locator(f"#method-{method}").check()
    page.locator(f"#unique-{unique_id}").check()


def test_full_run_from_new_job_to_import_summary(page, sign_in, ui_org, shot, settings):
    org, table = ui_org()
    sign_in(page, org)
    expect(page.get_by_text("No import jobs yet")).to_be_visible()
    shot(page, "0-imports-empty")

    step1(page, table)
    shot(page, "1-data-to-import")

    step2(page)
    expect(page.locator("#method-upsert")).to_be_enabled()
    expect(page.locator("#unique-USER_ID")).to_be_disabled()  # USER_ID works with Update only
    shot(page, "2-profile-and-method")

    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Step 3: Fields mapping")).to_be_visible()
    banner = page.locator("#mandatory-count")
    expect(banner).to_have_text("0/4 mandatory profile fields mapped")
    for n, (column, target) in enumerate(MAPPING.items()):
        page.get_by_label(f"Customer profile field for {column}").select_option(target)
        if column == "registered_on":
            expect(banner).to_have_text("2/4 mandatory profile fields mapped")  # updated live
    expect(banner).to_have_text("4/4 mandatory profile fields mapped")
    expect(page.get_by_label("Mark mobile as mandatory")).to_be_checked()       # ticked automatically
    expect(page.get_by_label("Mark store as mandatory")).to_be_checked()
    expect(page.get_by_label("Mark first_name as mandatory")).not_to_be_checked()
    expect(page.get_by_label("Mark first_name as mandatory")).to_be_enabled()   # available for the others
    page.get_by_role("button", name="View mandatory fields").click()
    dialog = page.get_by_role("dialog", name="Mandatory fields")
    expect(dialog).to_contain_text("registered_store or registered_till")
    shot(page, "3b-mandatory-fields")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    shot(page, "3-fields-mapping")

    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Step 4: Review and proceed")).to_be_visible()
    page.get_by_label("Job name").fill("UI full run")
    page.get_by_label("Description (optional)").fill("From the browser test")
    page.get_by_role("button", name="Show additional configurations").click()
    expect(page.get_by_role("button", name="Hide additional configurations")).to_be_visible()
    page.get_by_role("button", name="Show mapping").click()
    expect(page.locator(".mapping-summary tbody tr")).to_have_count(len(MAPPING))
    shot(page, "4-review-and-proceed")

    page.get_by_role("button", name="Proceed to validate").click()
    page.get_by_role("button", name="Yes, validate").click()

    # The job status page: live while validating, then the results.
    expect(page.locator("#job-name")).to_have_text("UI full run")
    expect(page.locator("#job-id")).to_have_text(re.compile(r"^[0-9a-f-]{36}$"))
    progress = page.locator("#validation-progress")
    if progress.is_visible():
        expect(page.locator("#validation-elapsed")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
        shot(page, "5-validating")
    expect(page.get_by_role("button", name="Approve and run job")).to_be_visible(timeout=JOB_TIMEOUT)
    expect(page.locator("[data-status=AWAITING_APPROVAL]").first).to_be_visible()
    expect(page.locator("#validation-duration")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    expect(page.locator("#records-validated")).to_have_text(str(N_VALID + N_INVALID))
    expect(page.locator("#valid-records")).to_have_text(str(N_VALID))
    expect(page.locator("#invalid-records")).to_have_text(str(N_INVALID))
    errors = page.locator("#validate-errors")
    for message in ("mobile is invalid", "loyalty_type is invalid", "slab name is invalid"):
        expect(errors).to_contain_text(message)
    expect(page.locator("#validation-results")).to_contain_text(f"import_{org}.report_customer_ui_full_run_validate_")
    shot(page, "6-awaiting-approval")

    with page.expect_download() as info:
        page.get_by_role("button", name="Download invalid records (CSV)").click()
    with open(info.value.path(), newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == N_INVALID
    assert any("mobile is invalid" in " ".join(str(v) for v in r.values()) for r in rows)

    page.get_by_role("tab", name="Configuration summary").click()
    expect(page.locator("#panel-config")).to_contain_text(table)
    shot(page, "7-configuration-summary")
    page.get_by_role("tab", name="Job status").click()

    # A customer with the first record's mobile appears after validation: that record fails at import time.
    # (in a thread: Playwright's sync API keeps an event loop running in this one)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _race_customer(settings.database_url, org, "919876543200")).result()
    page.get_by_role("button", name="Approve and run job").click()
    page.get_by_role("button", name="Yes, approve and run").click()
    expect(page.locator("#import-results")).to_be_visible(timeout=JOB_TIMEOUT)
    expect(page.locator("[data-status=COMPLETED_PARTIAL]").first).to_be_visible()
    expect(page.locator("#import-duration")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    expect(page.locator("#records-processed")).to_have_text(str(N_VALID))
    expect(page.locator("#records-added")).to_have_text(str(N_VALID - 1))
    expect(page.locator("#records-updated")).to_have_text("0")
    failed = page.locator("#records-failed")
    expect(failed).to_have_text("1")
    assert failed.evaluate("e => getComputedStyle(e).color") == "rgb(196, 35, 28)"  # failed records in red
    expect(page.locator("#partial-message")).to_have_text("Import completed partially, some records failed.")
    expect(page.locator("#ingest-errors")).to_contain_text("USER_INSERTION_FAILED")
    expect(page.locator("#import-results")).to_contain_text(f"import_{org}.report_customer_ui_full_run_ingest_")
    expect(page.locator("#history")).to_contain_text("Approved by dev")
    shot(page, "8-import-summary")

    page.get_by_role("link", name="Imports").first.click()
    row = page.locator("tr", has_text="UI full run")
    expect(row.locator("[data-status=COMPLETED_PARTIAL]")).to_be_visible()
    expect(row).to_contain_text(f"added {N_VALID - 1} · updated 0 · failed 1")


def test_draft_saved_at_step_3_and_resumed(page, sign_in, ui_org, shot):
    org, table = ui_org()
    sign_in(page, org)
    step1(page, table)
    step2(page, "update", "EXTERNAL_ID")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#update-note")).to_contain_text("identifier fields")
    expect(page.locator("#mandatory-count")).to_have_text("0/1 mandatory profile fields mapped")
    page.get_by_label("Customer profile field for first_name").select_option("first_name")
    page.get_by_label("Mark first_name as mandatory").check()

    # Save as draft, with the keyboard only.
    page.get_by_role("button", name="Save as draft").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Save as draft")
    expect(dialog.get_by_label("Job name")).to_be_focused()
    page.keyboard.type("UI draft at step 3")
    page.keyboard.press("Tab")
    page.keyboard.type("resume me")
    shot(page, "1-save-as-draft")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".saved-note")).to_contain_text("Draft “UI draft at step 3” saved")
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}/edit\?step=3$"))

    page.get_by_role("link", name="Imports").first.click()
    row = page.locator("tr", has_text="UI draft at step 3")
    expect(row.locator("[data-status=DRAFT]")).to_be_visible()
    shot(page, "2-imports-with-draft")
    page.get_by_label("Status").select_option("DRAFT")
    expect(page).to_have_url(re.compile(r"status=DRAFT$"))
    row.get_by_role("link", name="UI draft at step 3").click()

    expect(page.get_by_role("heading", name="Step 3: Fields mapping")).to_be_visible()
    expect(page.get_by_label("Customer profile field for first_name")).to_have_value("first_name")
    expect(page.get_by_label("Mark first_name as mandatory")).to_be_checked()
    expect(page.locator("#mandatory-count")).to_have_text("0/1 mandatory profile fields mapped")
    shot(page, "3-resumed-at-step-3")
    page.get_by_role("button", name="Previous step").click()
    expect(page.locator("#method-update")).to_be_checked()
    expect(page.locator("#unique-EXTERNAL_ID")).to_be_checked()
    page.get_by_role("button", name="Previous step").click()
    expect(page.get_by_label("Table name")).to_have_value(table)


def test_refused_configuration_shows_its_problems(page, sign_in, ui_org, shot):
    org, table = ui_org(identifier_flexibility=True)
    sign_in(page, org)
    step1(page, table)
    page.get_by_role("button", name="Next").click()
    upsert = page.locator("#method-upsert")
    expect(upsert).to_be_disabled()
    expect(page.locator("#method-group")).to_contain_text("identifier flexibility is enabled")
    page.get_by_role("button", name="Next").click()  # nothing chosen: said next to the controls
    expect(page.locator("#method-group-error")).to_have_text("Select an import method.")
    expect(page.locator("#unique-group-error")).to_have_text("Select the unique ID.")
    page.locator("#method-insert").check()
    page.locator("#unique-MOBILE").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Customer profile field for mobile").select_option("mobile")
    expect(page.locator("#mandatory-count")).to_have_text("1/4 mandatory profile fields mapped")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Proceed to validate").click()
    expect(page.locator("#job-name-error")).to_have_text("Enter a job name.")  # checked before asking
    page.get_by_label("Job name").fill("UI refused")
    page.get_by_role("button", name="Proceed to validate").click()
    page.get_by_role("button", name="Yes, validate").click()

    problem = page.locator("#wizard-problem .problem")
    expect(problem).to_be_visible()
    for missing in ("registered_on", "loyalty_type", "registered_store or registered_till"):
        expect(problem).to_contain_text(f"{missing} must be mapped")
    shot(page, "1-validation-refused")
    page.get_by_role("button", name="Go to Fields mapping").click()
    expect(page.get_by_role("heading", name="Step 3: Fields mapping")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}/edit\?step=3$"))  # the job was saved as a draft
