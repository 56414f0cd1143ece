"""Step 2 of validating a chunk: the rules that depend on the record's action and on existing customers
(SPEC section 4, "Record validation" and "Write semantics"). Pure: ``existing`` comes from the store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dataimport.profiles.base import RecordDecision
from dataimport.profiles.customer.fields import (
    CREATE_IDENTIFIERS,
    CUSTOM_PREFIX,
    EXTENDED_PREFIX,
    IDENTIFIERS,
    UNIQUE_ID_FIELD,
    field_order,
    invalid_message,
    mandatory_fields,
    mandatory_message,
)
from dataimport.profiles.customer.normalise import INVALID
from dataimport.profiles.customer.prepare import PreparedChunk
from dataimport.profiles.customer.state import CustomerState

NO_IDENTIFIER = "At least one identifier required"
NOT_FOUND = "customer not found"
SLAB_NON_LOYALTY = "slab cannot be attached to non loyalty customer"
NO_SLAB_CHANGE = "no slab change found"
NO_STATUS_CHANGE = "no status change found"
LOYALTY_DOWNGRADE = "loyalty_type cannot change from loyalty to non_loyalty"
LOCKED_STATUS = {
    "DELETED": "Deleted status cannot be changed",
    "PENDING_DELETION": "Pending Deletion status cannot be changed",
}
_CREATION_REQUIRED = ("registered_on", "loyalty_type")


def already_exists(field: str) -> str:
    return f"{field} already exists"


def _index(existing: Any) -> dict[str, dict[Any, CustomerState]]:
    states: Iterable[CustomerState]
    if existing is None:
        states = ()
    elif isinstance(existing, Mapping):
        states = existing.values()
    else:
        states = existing
    index: dict[str, dict[Any, CustomerState]] = {f: {} for f in IDENTIFIERS}
    # Lowest user_id first so that a non-unique email matches deterministically.
    for s in sorted(states, key=lambda s: s.user_id, reverse=True):
        index["user_id"][s.user_id] = s
        if s.mobile is not None:
            index["mobile"][s.mobile] = s
        if s.email is not None:
            index["email"][s.email.lower()] = s
        if s.external_id is not None:
            index["external_id"][s.external_id] = s
    return index


def _ok(value: Any) -> bool:
    return value is not None and value is not INVALID


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.casefold() == b.casefold()


def decide(prepared: PreparedChunk, existing: Any) -> list[RecordDecision]:
    job, org = prepared.job, prepared.org
    index = _index(existing)
    order = {f: i for i, f in enumerate(field_order(org))}
    uid = UNIQUE_ID_FIELD[job.unique_id]
    method = job.method
    mapped = prepared.values
    # A mandatory mark on a field the method itself requires (the UI ticks those automatically) follows the
    # record's action: registration fields are required to create, not when an upsert matches.
    required = {f for req in mandatory_fields(method, job.unique_id) for f in req}
    marked = {m.field for m in job.mapping if m.mandatory and m.field in mapped} - required
    other_fields = [f for f in mapped if f not in IDENTIFIERS]
    other_fields.sort(key=lambda f: order.get(f, len(order)))
    store_field = "registered_till" if "registered_till" in mapped and "registered_store" not in mapped else (
        "registered_store"
    )
    email_keyed = org.email_unique or uid == "email"
    # Org look-ups done once per chunk, not once per record (default_status_label scans the labels).
    default_status_label = org.default_status_label
    base_slab = org.base_slab
    empty: list[Any] = [None] * len(prepared.row_ids)
    uid_col = mapped.get(uid, empty)
    cols = {f: mapped.get(f, empty) for f in IDENTIFIERS}

    decisions: list[RecordDecision] = []
    for i, row_id in enumerate(prepared.row_ids):
        errors: list[tuple[int, str]] = []

        def err(field: str, message: str, _errors: list[tuple[int, str]] = errors) -> None:
            _errors.append((order.get(field, -1), message))

        uid_val = uid_col[i]
        match = index[uid].get(uid_val) if _ok(uid_val) else None
        creating = method == "insert" or (method == "upsert" and match is None)

        # -- identifiers
        if not creating:
            if uid_val is None:
                errors.append((-1, NO_IDENTIFIER))
            elif uid_val is INVALID:
                err(uid, invalid_message(uid))
            elif match is None:
                err(uid, NOT_FOUND)
        else:
            present = [f for f in CREATE_IDENTIFIERS if cols[f][i] is not None]
            if not present:
                errors.append((-1, NO_IDENTIFIER))
            elif uid_val is None and not org.allow_registration_from_any_identifier:
                err(uid, mandatory_message(uid))
            for f in present:
                v = cols[f][i]
                if v is INVALID:
                    err(f, invalid_message(f))
                elif (f != "email" or org.email_unique) and v in index[f]:
                    err(f, already_exists(f))
            if present:
                for f in CREATE_IDENTIFIERS:
                    if f != uid and f in marked and cols[f][i] is None:
                        err(f, mandatory_message(f))

        # -- every other mapped field: its own value
        vals = {f: mapped[f][i] for f in other_fields}
        for f, v in vals.items():
            if v is INVALID:
                err(f, invalid_message(f))
            elif v is None:
                if f == "status_label":
                    err(f, invalid_message(f))  # mapped and null
                elif f in marked:
                    err(f, mandatory_message(f))
        if creating:
            for f in _CREATION_REQUIRED:
                if vals.get(f) is None:
                    err(f, mandatory_message(f))
            if vals.get("registered_store") is None and vals.get("registered_till") is None:
                err(store_field, mandatory_message(store_field))

        # -- loyalty, slab and status against the record and the current state
        current = None if creating else match
        loyalty = vals.get("loyalty_type")
        loyalty = loyalty if _ok(loyalty) else None
        if current is not None and current.loyalty_type == "loyalty" and loyalty == "non_loyalty":
            err("loyalty_type", LOYALTY_DOWNGRADE)
        effective_loyalty = loyalty or (current.loyalty_type if current is not None else None)
        slab = vals.get("slab")
        if _ok(slab):
            if effective_loyalty == "non_loyalty":
                err("slab", SLAB_NON_LOYALTY)
            elif current is not None and _same(current.slab, slab):
                err("slab", NO_SLAB_CHANGE)
        if _ok(vals.get("slab_expiry")) and slab is None and (current is None or current.slab is None):
            err("slab_expiry", invalid_message("slab_expiry"))
        status = vals.get("status_label")
        if _ok(status) and current is not None:
            locked = LOCKED_STATUS.get(org.status_of(current.status_label) or "")
            if locked:
                err("status_label", locked)
            elif _same(current.status_label, status):
                err("status_label", NO_STATUS_CHANGE)

        decision = RecordDecision(row_id=row_id)
        if errors:
            errors.sort(key=lambda e: e[0])
            decision.errors = list(dict.fromkeys(msg for _, msg in errors))
            decisions.append(decision)
            continue

        # -- valid: what ingestion writes
        payload: dict[str, Any] = {}
        if creating:
            for f in CREATE_IDENTIFIERS:
                if _ok(cols[f][i]):
                    payload[f] = cols[f][i]
        custom: dict[str, Any] = {}
        extended: dict[str, Any] = {}
        for f, v in vals.items():
            if not _ok(v):
                continue
            if f.startswith(CUSTOM_PREFIX):
                custom[f[len(CUSTOM_PREFIX) :]] = v
            elif f.startswith(EXTENDED_PREFIX):
                extended[f[len(EXTENDED_PREFIX) :]] = v
            else:
                payload[f] = v
        if creating:
            payload.setdefault("status_label", default_status_label)
            if payload.get("loyalty_type") == "loyalty" and "slab" not in payload and base_slab:
                payload["slab"] = base_slab
        if custom:
            payload["custom"] = custom
        if extended:
            payload["extended"] = extended
        decision.payload = payload
        if creating:
            decision.action = "create"
            decision.dedupe_keys = {
                f: str(payload[f]) for f in CREATE_IDENTIFIERS if f in payload and (f != "email" or email_keyed)
            }
        else:
            assert match is not None
            decision.action = "update"
            decision.target_id = match.user_id
            decision.dedupe_keys = {uid: str(uid_val)}
        decisions.append(decision)
    return decisions
