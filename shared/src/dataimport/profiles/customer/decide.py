"""Step 2 of validating a chunk: the rules that depend on the record's action and on existing customers
(SPEC section 4, "Record validation" and "Write semantics"). Pure: ``existing`` comes from the store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import repeat
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


def decide_per_record(prepared: PreparedChunk, existing: Any) -> list[RecordDecision]:
    """The reference: every rule of a record in one place, one record at a time. :func:`decide` gives the same
    decisions column by column (the tests compare the two)."""
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


def _rows_where(col: list[Any], value: Any) -> list[int]:
    """Positions of ``value`` (None or INVALID, compared by identity) in a column; [] at C speed when absent."""
    if value not in col:
        return []
    return [i for i, v in enumerate(col) if v is value]


def decide(prepared: PreparedChunk, existing: Any, *, fast: bool = True) -> list[RecordDecision]:
    """The decisions of a chunk, column by column: each rule looks at the columns it needs (C-level scans
    where a column has nothing to report), errors are collected per record with the sort key the per-record
    reference gives them (field order, then the order in which :func:`decide_per_record` checks them), and
    the payloads of valid records are built with one dict comprehension each. ``fast=False`` runs
    :func:`decide_per_record`."""
    if not fast:
        return decide_per_record(prepared, existing)
    job, org = prepared.job, prepared.org
    index = _index(existing)
    order = {f: i for i, f in enumerate(field_order(org))}
    uid = UNIQUE_ID_FIELD[job.unique_id]
    method = job.method
    mapped = prepared.values
    required = {f for req in mandatory_fields(method, job.unique_id) for f in req}
    marked = {m.field for m in job.mapping if m.mandatory and m.field in mapped} - required
    other_fields = [f for f in mapped if f not in IDENTIFIERS]
    other_fields.sort(key=lambda f: order.get(f, len(order)))
    store_field = "registered_till" if "registered_till" in mapped and "registered_store" not in mapped else (
        "registered_store"
    )
    email_keyed = org.email_unique or uid == "email"
    default_status_label = org.default_status_label
    base_slab = org.base_slab
    row_ids = prepared.row_ids
    n = len(row_ids)
    empty: list[Any] = [None] * n
    uid_col = mapped.get(uid, empty)
    cols = {f: mapped.get(f, empty) for f in IDENTIFIERS}

    # -- the unique-ID match and the action of every record
    uid_index = index[uid]
    if uid_index:
        matches = [None if v is None or v is INVALID else uid_index.get(v) for v in uid_col]
    else:
        matches = [None] * n
    if method == "insert":
        creating = [True] * n
    elif method == "upsert":
        creating = [m is None for m in matches]
    else:
        creating = [False] * n
    any_creating = True in creating
    any_updating = False in creating

    # errors[i]: (field order, check order, message), sorted at the end like the reference's stable sort
    errors: dict[int, list[tuple[int, int, str]]] = {}

    def add(i: int, key: int, seq: int, message: str) -> None:
        got = errors.get(i)
        if got is None:
            errors[i] = [(key, seq, message)]
        else:
            got.append((key, seq, message))

    uid_key = order.get(uid, -1)
    # -- identifiers of updated records: seq 0
    if any_updating:
        for i, (cr, u, m) in enumerate(zip(creating, uid_col, matches)):
            if cr:
                continue
            if u is None:
                add(i, -1, 0, NO_IDENTIFIER)
            elif u is INVALID:
                add(i, uid_key, 0, invalid_message(uid))
            elif m is None:
                add(i, uid_key, 0, NOT_FOUND)
    # -- identifiers of created records: seq 0 (none / unique ID missing), 1-3 (each present one), 5-7 (marked)
    if any_creating:
        id_cols = [cols[f] for f in CREATE_IDENTIFIERS]
        c0, c1, c2 = id_cols
        allow_any = org.allow_registration_from_any_identifier
        # "no identifier" implies "unique ID missing" when the unique ID is one of the three
        for i in _rows_where(uid_col, None) if uid in CREATE_IDENTIFIERS else range(n):
            if not creating[i]:
                continue
            if c0[i] is None and c1[i] is None and c2[i] is None:
                add(i, -1, 0, NO_IDENTIFIER)
            elif uid_col[i] is None and not allow_any:
                add(i, uid_key, 0, mandatory_message(uid))
        for k, f in enumerate(CREATE_IDENTIFIERS):
            col = cols[f]
            key = order.get(f, -1)
            for i in _rows_where(col, INVALID):
                if creating[i]:
                    add(i, key, 1 + k, invalid_message(f))
            known = index[f] if (f != "email" or org.email_unique) else None
            if known:
                hits = known.keys() & set(col)
                hits.discard(INVALID)
                hits.discard(None)
                if hits:
                    for i in [i for i, v in enumerate(col) if v in hits]:
                        if creating[i]:
                            add(i, key, 1 + k, already_exists(f))
        for k, f in enumerate(CREATE_IDENTIFIERS):
            if f == uid or f not in marked:
                continue
            key = order.get(f, -1)
            for i in _rows_where(cols[f], None):
                if creating[i] and (c0[i] is not None or c1[i] is not None or c2[i] is not None):
                    add(i, key, 5 + k, mandatory_message(f))

    # -- every other mapped field, its own value: seq 100 + position
    for pos, f in enumerate(other_fields):
        col = mapped[f]
        key = order.get(f, -1)
        for i in _rows_where(col, INVALID):
            add(i, key, 100 + pos, invalid_message(f))
        if f == "status_label":
            none_message = invalid_message(f)  # mapped and null
        elif f in marked:
            none_message = mandatory_message(f)
        else:
            continue
        for i in _rows_where(col, None):
            add(i, key, 100 + pos, none_message)

    # -- what creating a customer requires: seq 1000-1002
    if any_creating:
        for k, f in enumerate(_CREATION_REQUIRED):
            col = mapped.get(f) if f in other_fields else None
            rows = range(n) if col is None else _rows_where(col, None)
            key = order.get(f, -1)
            for i in rows:
                if creating[i]:
                    add(i, key, 1000 + k, mandatory_message(f))
        store_col = mapped.get("registered_store") if "registered_store" in other_fields else None
        till_col = mapped.get("registered_till") if "registered_till" in other_fields else None
        key = order.get(store_field, -1)
        for i in range(n) if store_col is None else _rows_where(store_col, None):
            if creating[i] and (till_col is None or till_col[i] is None):
                add(i, key, 1002, mandatory_message(store_field))

    # -- loyalty, slab and status against the record and the current state: seq 2000-2003
    loyalty_col = mapped.get("loyalty_type") if "loyalty_type" in other_fields else empty
    slab_col = mapped.get("slab") if "slab" in other_fields else empty
    expiry_col = mapped.get("slab_expiry") if "slab_expiry" in other_fields else empty
    status_col = mapped.get("status_label") if "status_label" in other_fields else empty
    loyalty_key, slab_key = order.get("loyalty_type", -1), order.get("slab", -1)
    expiry_key, status_key = order.get("slab_expiry", -1), order.get("status_label", -1)
    expiry_invalid = invalid_message("slab_expiry")
    # Records that can have one of these errors: updated ones, and created ones with a slab and a non_loyalty
    # type, or a slab expiry and no slab (a created record has no current state).
    candidates: set[int] = set(_rows_where(creating, False)) if any_updating else set()
    if slab_col is not empty and loyalty_col is not empty and "non_loyalty" in loyalty_col:
        candidates.update(i for i, v in enumerate(loyalty_col) if v == "non_loyalty")
    if expiry_col is not empty:
        for i in _rows_where(slab_col, None):
            if expiry_col[i] is not None:
                candidates.add(i)
    status_of: dict[str | None, str | None] = {}
    for i in sorted(candidates):
        cr, m = creating[i], matches[i]
        loyalty, slab, expiry, status = loyalty_col[i], slab_col[i], expiry_col[i], status_col[i]
        current = None if cr else m
        if loyalty is INVALID:
            loyalty = None
        if current is not None and current.loyalty_type == "loyalty" and loyalty == "non_loyalty":
            add(i, loyalty_key, 2000, LOYALTY_DOWNGRADE)
        if slab is not None and slab is not INVALID:
            effective_loyalty = loyalty or (current.loyalty_type if current is not None else None)
            if effective_loyalty == "non_loyalty":
                add(i, slab_key, 2001, SLAB_NON_LOYALTY)
            elif current is not None and _same(current.slab, slab):
                add(i, slab_key, 2001, NO_SLAB_CHANGE)
        if expiry is not None and expiry is not INVALID and slab is None and (current is None or current.slab is None):
            add(i, expiry_key, 2002, expiry_invalid)
        if status is not None and status is not INVALID and current is not None:
            label = current.status_label
            if label not in status_of:
                status_of[label] = org.status_of(label)
            locked = LOCKED_STATUS.get(status_of[label] or "")
            if locked:
                add(i, status_key, 2003, locked)
            elif _same(label, status):
                add(i, status_key, 2003, NO_STATUS_CHANGE)

    # -- decisions; payloads of valid records (no value of theirs is INVALID: that is always an error)
    plain = [f for f in other_fields if not f.startswith(CUSTOM_PREFIX) and not f.startswith(EXTENDED_PREFIX)]
    custom = [f for f in other_fields if f.startswith(CUSTOM_PREFIX)]
    extended = [f for f in other_fields if f.startswith(EXTENDED_PREFIX)]
    id_names = tuple(f for f in CREATE_IDENTIFIERS if f in mapped)
    create_names = (*id_names, *plain)
    plain_names = tuple(plain)
    custom_names = tuple(f[len(CUSTOM_PREFIX) :] for f in custom)
    extended_names = tuple(f[len(EXTENDED_PREFIX) :] for f in extended)
    dedupe_names = tuple(f for f in id_names if f != "email" or email_keyed)

    def tuples(fields: list[str] | tuple[str, ...]) -> Iterable[tuple[Any, ...]]:
        return zip(*(mapped[f] for f in fields)) if fields else repeat(())

    decisions: list[RecordDecision] = []
    append = decisions.append
    for i, (row_id, cr, ids, plain_row, custom_row, extended_row) in enumerate(
        zip(row_ids, creating, tuples(id_names), tuples(plain), tuples(custom), tuples(extended))
    ):
        if i in errors:
            found = errors[i]
            found.sort()
            append(RecordDecision(row_id, list(dict.fromkeys(msg for _, _, msg in found))))
            continue
        if cr:
            payload = {k: v for k, v in zip(create_names, ids + plain_row) if v is not None}
            if "status_label" not in payload:
                payload["status_label"] = default_status_label
            if base_slab and "slab" not in payload and payload.get("loyalty_type") == "loyalty":
                payload["slab"] = base_slab
        else:
            payload = {k: v for k, v in zip(plain_names, plain_row) if v is not None}
        if custom_names:
            c = {k: v for k, v in zip(custom_names, custom_row) if v is not None}
            if c:
                payload["custom"] = c
        if extended_names:
            e = {k: v for k, v in zip(extended_names, extended_row) if v is not None}
            if e:
                payload["extended"] = e
        if cr:
            keys = {f: str(payload[f]) for f in dedupe_names if f in payload}
            append(RecordDecision(row_id, [], "create", None, payload, keys))
        else:
            append(RecordDecision(row_id, [], "update", matches[i].user_id, payload, {uid: str(uid_col[i])}))
    return decisions
