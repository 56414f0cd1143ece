"""PostgreSQL adapter of the Customer profile: look-ups for validation, the customer API look-up, and the
set-based write of one ingest chunk. Schema: ``db/migrations/002_customers.sql``."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import asyncpg

from dataimport.profiles.customer.state import CustomerState

_STATE_COLUMNS = "user_id, mobile, email, external_id, loyalty_type, slab, status_label"
_CUSTOMER_COLUMNS = (
    "user_id, mobile, email, external_id, first_name, last_name, registered_on, registered_store, "
    "registered_till, loyalty_type, slab, slab_expiry, status_label, custom, extended"
)

def _find_sql(column: str, array_type: str) -> str:
    # One index probe per looked-up value, whatever the planner estimates: the LATERAL subquery with OFFSET 0
    # cannot be flattened into a hash join. A plain `column = ANY($2)` with a chunk's 10,000 values was planned
    # as a parallel sequential scan of every org's customers (~250 ms and both cores, three times per chunk).
    return (
        f"SELECT c.* FROM unnest($2::{array_type}[]) AS v(value) CROSS JOIN LATERAL "
        f"(SELECT {_STATE_COLUMNS} FROM customer.customers WHERE org_id = $1 AND {column} = v.value OFFSET 0) c"
    )


_FIND_SQL = {
    "mobile": _find_sql("mobile", "text"),
    "email": _find_sql("email", "text"),
    "external_id": _find_sql("external_id", "text"),
    "user_id": _find_sql("user_id", "bigint"),
}
_GET_SQL = {
    field: f"SELECT {_CUSTOMER_COLUMNS} FROM customer.customers WHERE org_id = $1 AND {field} = $2 "
    "ORDER BY user_id LIMIT 1"
    for field in ("mobile", "email", "external_id", "user_id")
}

# The valid records of one chunk ($1 job_id, $2 chunk_no) with one action.
_VALID = (
    "SELECT v.row_id, v.target_id, v.payload AS p FROM dataimport.validation_records v "
    "WHERE v.job_id = $1 AND v.chunk_no = $2 AND cardinality(v.errors) = 0 AND v.action = '{action}'"
)
# The chunk's records the write statements did not record. A hashed NOT IN over the chunk's outcomes (row_id is
# NOT NULL, and a record's outcome is written with its own chunk_no): linear, whatever the planner estimates. The
# NOT EXISTS form was planned as a nested loop probing by job_id alone (no statistics yet for a new job):
# chunk_size^2 / 2 index rows per chunk, 37M and ~13 s for a 10,000-record chunk.
_NOT_RECORDED = (
    "v.row_id NOT IN (SELECT r.row_id FROM dataimport.ingest_records r WHERE r.job_id = $1 AND r.chunk_no = $2)"
)

# $1 job_id, $2 chunk_no, $3 org_id, $4 email_unique
_CREATE_SQL = f"""
WITH src AS ({_VALID.format(action="create")}),
ins AS (
    INSERT INTO customer.customers (
        org_id, mobile, email, email_key, external_id, first_name, last_name, registered_on, registered_store,
        registered_till, loyalty_type, slab, slab_expiry, status_label, custom, extended, import_job_id,
        import_row_id)
    SELECT $3, p->>'mobile', p->>'email', CASE WHEN $4::boolean THEN lower(p->>'email') END, p->>'external_id',
           p->>'first_name', p->>'last_name', (p->>'registered_on')::timestamptz, p->>'registered_store',
           p->>'registered_till', p->>'loyalty_type', p->>'slab', (p->>'slab_expiry')::date, p->>'status_label',
           COALESCE(p->'custom', '{{}}'::jsonb), COALESCE(p->'extended', '{{}}'::jsonb), $1, row_id
    FROM src
    ORDER BY row_id
    ON CONFLICT DO NOTHING
    RETURNING user_id, import_row_id
)
INSERT INTO dataimport.ingest_records (job_id, row_id, chunk_no, status, error_message, user_id)
SELECT $1, import_row_id, $2, 'ADDED', NULL, user_id FROM ins
"""

# Creates that hit a unique key (taken by another job after validation): say which one.
_CREATE_FAILED_SQL = f"""
INSERT INTO dataimport.ingest_records (job_id, row_id, chunk_no, status, error_message, user_id)
SELECT $1, v.row_id, $2, 'FAILED', 'USER_INSERTION_FAILED: ' || COALESCE(
    CASE WHEN EXISTS (SELECT 1 FROM customer.customers c
                      WHERE c.org_id = $3 AND c.mobile = v.p->>'mobile') THEN 'mobile already exists' END,
    CASE WHEN $4::boolean AND EXISTS (SELECT 1 FROM customer.customers c
                      WHERE c.org_id = $3 AND c.email_key = lower(v.p->>'email')) THEN 'email already exists' END,
    CASE WHEN EXISTS (SELECT 1 FROM customer.customers c
                      WHERE c.org_id = $3 AND c.external_id = v.p->>'external_id')
         THEN 'external_id already exists' END,
    'write conflict'), NULL
FROM ({_VALID.format(action="create")}) v
WHERE {_NOT_RECORDED}
"""

# Updates change only the keys present in the payload; custom / extended are merged.
_UPDATE_SQL = f"""
WITH src AS ({_VALID.format(action="update")}),
upd AS (
    UPDATE customer.customers c SET
        first_name       = COALESCE(s.p->>'first_name', c.first_name),
        last_name        = COALESCE(s.p->>'last_name', c.last_name),
        registered_on    = COALESCE((s.p->>'registered_on')::timestamptz, c.registered_on),
        registered_store = COALESCE(s.p->>'registered_store', c.registered_store),
        registered_till  = COALESCE(s.p->>'registered_till', c.registered_till),
        loyalty_type     = COALESCE(s.p->>'loyalty_type', c.loyalty_type),
        slab             = COALESCE(s.p->>'slab', c.slab),
        slab_expiry      = COALESCE((s.p->>'slab_expiry')::date, c.slab_expiry),
        status_label     = COALESCE(s.p->>'status_label', c.status_label),
        custom           = c.custom || COALESCE(s.p->'custom', '{{}}'::jsonb),
        extended         = c.extended || COALESCE(s.p->'extended', '{{}}'::jsonb),
        updated_at       = now()
    FROM src s
    WHERE c.org_id = $3 AND c.user_id = s.target_id
    RETURNING c.user_id, s.row_id
)
INSERT INTO dataimport.ingest_records (job_id, row_id, chunk_no, status, error_message, user_id)
SELECT $1, row_id, $2, 'UPDATED', NULL, user_id FROM upd
"""

_UPDATE_FAILED_SQL = f"""
INSERT INTO dataimport.ingest_records (job_id, row_id, chunk_no, status, error_message, user_id)
SELECT $1, v.row_id, $2, 'FAILED', 'USER_INSERTION_FAILED: ' ||
       CASE WHEN EXISTS (SELECT 1 FROM customer.customers c WHERE c.org_id = $3 AND c.user_id = v.target_id)
            THEN 'write conflict' ELSE 'customer not found' END,
       NULL
FROM ({_VALID.format(action="update")}) v
WHERE {_NOT_RECORDED}
"""

_NON_DIGIT = re.compile(r"[^0-9]")


def _json(value: Any) -> Any:
    if isinstance(value, str):
        return json.loads(value)
    return value if value is not None else {}


def customer_json(row: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
    """A customer row as the API's customer JSON (SPEC section 6)."""
    registered_on = row["registered_on"]
    slab_expiry = row["slab_expiry"]
    return {
        "user_id": row["user_id"],
        "mobile": row["mobile"],
        "email": row["email"],
        "external_id": row["external_id"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "registered_on": registered_on.isoformat() if registered_on is not None else None,
        "registered_store": row["registered_store"],
        "registered_till": row["registered_till"],
        "loyalty_type": row["loyalty_type"],
        "slab": row["slab"],
        "slab_expiry": slab_expiry.isoformat() if slab_expiry is not None else None,
        "status_label": row["status_label"],
        "custom": _json(row["custom"]),
        "extended": _json(row["extended"]),
    }


class PgCustomerStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def find(self, org_id: int, lookup: dict[str, list[Any]]) -> list[CustomerState]:
        """Existing customers holding any of the looked-up identifier values (one query per identifier kind)."""
        found: dict[int, CustomerState] = {}
        for kind, values in lookup.items():
            sql = _FIND_SQL.get(kind)
            if sql is None or not values:
                continue
            if kind == "user_id":
                values = [int(v) for v in values]
            else:
                values = [str(v) for v in values]
            for r in await self._pool.fetch(sql, org_id, values):
                found[r["user_id"]] = CustomerState(
                    user_id=r["user_id"],
                    mobile=r["mobile"],
                    email=r["email"],
                    external_id=r["external_id"],
                    loyalty_type=r["loyalty_type"],
                    slab=r["slab"],
                    status_label=r["status_label"],
                )
        return list(found.values())

    async def get_one(self, org_id: int, field: str, value: Any) -> dict[str, Any] | None:
        """One customer by ``mobile``, ``email``, ``external_id`` or ``user_id``, as the API's customer JSON."""
        if field not in _GET_SQL:
            raise ValueError(f"cannot look customers up by {field!r}")
        key: Any
        text = str(value).strip()
        if field == "user_id":
            if not text.isdigit() or len(text) > 18:
                return None
            key = int(text)
        elif field == "mobile":
            key = _NON_DIGIT.sub("", text)
        elif field == "email":
            key = text.lower()
        else:
            key = text
        row = await self._pool.fetchrow(_GET_SQL[field], org_id, key)
        return customer_json(row) if row is not None else None

    async def write_chunk(
        self,
        conn: asyncpg.Connection,
        org_id: int,
        job_id: uuid.UUID | str,
        chunk_no: int,
        email_unique: bool,
    ) -> None:
        """Write the VALID records of one validated chunk and record one ``dataimport.ingest_records`` row each
        (ADDED / UPDATED / FAILED), inside the caller's transaction on ``conn``. Four set-based statements."""
        job = job_id if isinstance(job_id, uuid.UUID) else uuid.UUID(str(job_id))
        await conn.execute(_CREATE_SQL, job, chunk_no, org_id, email_unique)
        await conn.execute(_CREATE_FAILED_SQL, job, chunk_no, org_id, email_unique)
        await conn.execute(_UPDATE_SQL, job, chunk_no, org_id)
        await conn.execute(_UPDATE_FAILED_SQL, job, chunk_no, org_id)
