"""Names in the warehouse: the org namespace, report table names, and checks on names from requests."""

from __future__ import annotations

import re
import secrets
import string

_TABLE_RE = re.compile(r"^[A-Za-z0-9_]{1,128}$")
_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits


class InvalidName(ValueError):
    pass


def org_schema(org_id: int) -> str:
    if not isinstance(org_id, int) or isinstance(org_id, bool) or org_id <= 0:
        raise InvalidName(f"org id must be a positive integer, got {org_id!r}")
    return f"import_{org_id}"


def check_table_name(table: str) -> str:
    """A bare table name inside ``import_<org_id>``: letters, digits and ``_`` only (no dots, quotes, slashes)."""
    if not isinstance(table, str) or not _TABLE_RE.fullmatch(table):
        raise InvalidName(
            "table name must be 1-128 characters of letters, digits and '_' (no schema, dots, quotes or slashes)"
        )
    return table


def job_name_slug(job_name: str) -> str:
    """SPEC 5: lower-cased, every character outside [a-z0-9_] replaced by '_'."""
    return re.sub(r"[^a-z0-9_]", "_", job_name.lower())


def new_report_suffix() -> str:
    """SPEC 5: 7 random characters of [a-z0-9]."""
    return "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(7))


def report_table_names(profile: str, job_name: str, suffix: str) -> tuple[str, str]:
    base = f"report_{profile}_{job_name_slug(job_name)}"
    return f"{base}_validate_{suffix}", f"{base}_ingest_{suffix}"
