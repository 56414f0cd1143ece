"""``make demo``: a demo org, a realistic 10,000-record source table, and one insert job through validation and
approval over the REST API; prints both summaries and the report table names. Needs the stack (`make up`)."""

from __future__ import annotations

import asyncio
import os
import sys

from dataimport.client import ApiError, JobApiClient
from dataimport.commands.load import load_into
from dataimport.demo_data import reader
from dataimport.orgs import demo_org_config
from dataimport.settings import CommonSettings
from dataimport.warehouse.factory import make_warehouse

ORG_ID = 1001
TABLE = "customer_registration_10k"
DEMO_MAPPING = [
    ("mobile_no", "mobile", True),
    ("email", "email", False),
    ("external_id", "external_id", False),
    ("first_name", "first_name", False),
    ("last_name", "last_name", False),
    ("registration_date", "registered_on", True),
    ("store_code", "registered_store", True),
    ("till_code", "registered_till", False),
    ("loyalty_type", "loyalty_type", True),
    ("slab", "slab", False),
    ("slab_expiry", "slab_expiry", False),
    ("status", "status_label", False),
    ("fav_category", "custom.fav_category", False),
    ("newsletter", "custom.newsletter", False),
    ("visits", "custom.visits", False),
    ("gender", "extended.gender", False),
    ("dob", "extended.dob", False),
    ("city", "extended.city", False),
]


def demo_job_body(name: str = "demo insert") -> dict:
    return {
        "name": name,
        "description": "make demo: customer_registration_10k, insert by MOBILE",
        "source": {"table": TABLE},
        "profile": "customer",
        "method": "insert",
        "unique_id": "MOBILE",
        "mapping": [{"source_column": s, "field": f, "mandatory": m} for s, f, m in DEMO_MAPPING],
    }


async def _reset_demo_customers() -> None:
    """The demo inserts the same customers every run: start from an empty customer base for the demo org."""
    import asyncpg

    conn = await asyncpg.connect(CommonSettings().database_url)
    try:
        await conn.execute("DELETE FROM customer.customers WHERE org_id = $1", ORG_ID)
    finally:
        await conn.close()


async def _write_table(rows: int) -> None:
    warehouse = make_warehouse(CommonSettings())
    try:
        await load_into(warehouse, ORG_ID, TABLE, reader(rows, 1001), "overwrite")
    finally:
        await warehouse.close()


def main() -> int:
    rows = int(os.environ.get("DEMO_ROWS", "10000"))
    api = os.environ.get("DATAIMPORT_API", "http://127.0.0.1:8080")
    print(f"Writing source table import_{ORG_ID}.{TABLE} ({rows} records) ...")
    asyncio.run(_write_table(rows))
    print(f"Emptying the customer database of demo org {ORG_ID} (the demo inserts the same customers every run) ...")
    asyncio.run(_reset_demo_customers())
    client = JobApiClient(api)
    try:
        client.put_config(ORG_ID, demo_org_config().model_dump(mode="json"))
        job = client.create_job(ORG_ID, demo_job_body())
        job_id = job["id"]
        print(f"Job {job_id} created; starting validation ...")
        client.validate(ORG_ID, job_id)
        job = client.wait_for(ORG_ID, job_id, ("AWAITING_APPROVAL",))
        if job["status"] != "AWAITING_APPROVAL":
            print(f"Validation ended {job['status']}: {job.get('failure_reason')}")
            return 1
        v = job["validation"]
        print("\nValidation summary")
        print(f"  duration          {v['duration_seconds']:.1f} s")
        print(f"  records validated {v['records_validated']}")
        print(f"  valid             {v['valid']}")
        print(f"  invalid           {v['invalid']}")
        print("  errors:")
        for item in client.errors(ORG_ID, job_id)["items"]:
            print(f"    {item['count']:>6}  {item['message']}")
        print(f"  report table      import_{ORG_ID}.{v['report_table']}")
        print("\nApproving ...")
        client.approve(ORG_ID, job_id)
        job = client.wait_for(ORG_ID, job_id, ("COMPLETED", "COMPLETED_PARTIAL"))
        i = job["ingest"]
        print(f"\nImport summary ({job['status']})")
        print(f"  duration          {i['duration_seconds']:.1f} s")
        print(f"  processed         {i['records_processed']}")
        print(f"  added             {i['added']}")
        print(f"  updated           {i['updated']}")
        print(f"  failed            {i['failed']}")
        print(f"  report table      import_{ORG_ID}.{i['report_table']}")
        if job["status"] == "COMPLETED_PARTIAL":
            print("  Import completed partially, some records failed")
        return 0 if job["status"] in ("COMPLETED", "COMPLETED_PARTIAL") else 1
    except ApiError as exc:
        print(f"API error: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
