"""The Customer profile's field catalog and mandatory-mapping rules (SPEC section 4)."""

from __future__ import annotations

from typing import Any

from dataimport.orgs import OrgConfig
from dataimport.profiles.base import Method, UniqueId

IDENTIFIERS = ("mobile", "email", "external_id", "user_id")
CREATE_IDENTIFIERS = ("mobile", "email", "external_id")
"""Identifiers a new customer can carry (user ids are assigned by the platform)."""
STANDARD = ("first_name", "last_name", "registered_on", "registered_store", "registered_till")
LOYALTY = ("loyalty_type", "slab", "slab_expiry")
STATUS = ("status_label",)

FIELD_TYPES: dict[str, str] = {
    "mobile": "mobile",
    "email": "email",
    "external_id": "string",
    "user_id": "integer",
    "first_name": "string",
    "last_name": "string",
    "registered_on": "timestamp",
    "registered_store": "store_code",
    "registered_till": "till_code",
    "loyalty_type": "enum",
    "slab": "slab",
    "slab_expiry": "date",
    "status_label": "status_label",
}

UNIQUE_ID_FIELD: dict[str, str] = {
    "MOBILE": "mobile",
    "EMAIL": "email",
    "EXTERNAL_ID": "external_id",
    "USER_ID": "user_id",
}
METHODS: tuple[Method, ...] = ("insert", "update", "upsert")
UNIQUE_IDS: tuple[UniqueId, ...] = ("MOBILE", "EMAIL", "EXTERNAL_ID", "USER_ID")

CUSTOM_PREFIX = "custom."
EXTENDED_PREFIX = "extended."

# Messages whose wording differs from "<field> is invalid" (they come from the product description).
_INVALID_MESSAGE = {"slab": "slab name is invalid", "status_label": "status label is invalid"}


def invalid_message(field: str) -> str:
    return _INVALID_MESSAGE.get(field, f"{field} is invalid")


def mandatory_message(field: str) -> str:
    return f"{field} is mandatory"


def mandatory_fields(method: Method, unique_id: UniqueId) -> list[list[str]]:
    """Each inner list is one requirement, satisfied by mapping any one of its fields."""
    uid = UNIQUE_ID_FIELD[unique_id]
    if method == "update":
        return [[uid]]
    return [[uid], ["registered_on"], ["loyalty_type"], ["registered_store", "registered_till"]]


def field_order(org: OrgConfig) -> list[str]:
    """Every field id of the catalog, in catalog order (errors of a record follow this order)."""
    return [
        *IDENTIFIERS,
        *STANDARD,
        *LOYALTY,
        *STATUS,
        *(CUSTOM_PREFIX + f.name for f in org.custom_fields),
        *(EXTENDED_PREFIX + n for n in org.extended_fields.enabled),
    ]


def field_type(field: str, org: OrgConfig) -> str | None:
    """The type of a field id for this org, or None when the field does not exist."""
    if field in FIELD_TYPES:
        return FIELD_TYPES[field]
    if field.startswith(CUSTOM_PREFIX):
        return org.custom_field_types.get(field[len(CUSTOM_PREFIX) :])
    if field.startswith(EXTENDED_PREFIX):
        return org.extended_field_types.get(field[len(EXTENDED_PREFIX) :])
    return None


def field_catalog(org: OrgConfig) -> dict[str, Any]:
    """The catalog for ``GET /v1/orgs/{org_id}/profiles/customer/fields``."""

    def entries(ids: tuple[str, ...]) -> list[dict[str, Any]]:
        return [{"id": f, "type": FIELD_TYPES[f]} for f in ids]

    enum_values = org.extended_fields.enum_values
    extended = []
    for name, kind in org.extended_field_types.items():
        entry: dict[str, Any] = {"id": EXTENDED_PREFIX + name, "type": kind}
        if kind == "enum" and name in enum_values:
            entry["values"] = list(enum_values[name])
        extended.append(entry)
    loyalty = entries(LOYALTY)
    loyalty[0]["values"] = ["loyalty", "non_loyalty"]
    loyalty[1]["values"] = list(org.slabs)
    status = entries(STATUS)
    status[0]["values"] = [lab.label for lab in org.status_labels]
    mandatory: dict[str, dict[str, list[list[str]]]] = {}
    for method in METHODS:
        if method == "upsert" and org.identifier_flexibility:
            continue
        mandatory[method] = {
            uid: mandatory_fields(method, uid) for uid in UNIQUE_IDS if uid != "USER_ID" or method == "update"
        }
    return {
        "profile": "customer",
        "categories": {
            "identifiers": entries(IDENTIFIERS),
            "standard": entries(STANDARD),
            "loyalty": loyalty,
            "status": status,
            "custom": [{"id": CUSTOM_PREFIX + f.name, "type": f.type} for f in org.custom_fields],
            "extended": extended,
        },
        "mandatory": mandatory,
    }
