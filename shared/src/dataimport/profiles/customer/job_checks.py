"""Checks of a job's configuration before validation may start (the API answers 422 with these)."""

from __future__ import annotations

from collections import Counter

from dataimport.orgs import OrgConfig
from dataimport.profiles.base import JobConfig, Problem
from dataimport.profiles.customer.fields import (
    METHODS,
    UNIQUE_IDS,
    field_type,
    mandatory_fields,
)


def check_job(job: JobConfig, org: OrgConfig, source_columns: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    if job.method not in METHODS:
        problems.append(Problem("unknown_method", f"method must be one of {', '.join(METHODS)}"))
    if job.unique_id not in UNIQUE_IDS:
        problems.append(Problem("unknown_unique_id", f"unique_id must be one of {', '.join(UNIQUE_IDS)}"))
    if job.unique_id == "USER_ID" and job.method in ("insert", "upsert"):
        problems.append(
            Problem(
                "unique_id_not_allowed",
                "USER_ID is only valid with the update method (user ids are assigned by the platform)",
                "user_id",
            )
        )
    if job.method == "upsert" and org.identifier_flexibility:
        problems.append(
            Problem(
                "method_not_allowed",
                "Upsert is not available for this org: identifier flexibility is enabled "
                "(the two are mutually exclusive)",
            )
        )

    known_columns = set(source_columns)
    column_uses = Counter(m.source_column for m in job.mapping)
    field_uses = Counter(m.field for m in job.mapping)
    for col in dict.fromkeys(m.source_column for m in job.mapping):
        if col not in known_columns:
            problems.append(Problem("unknown_source_column", f"source column {col!r} is not in the source table"))
        if column_uses[col] > 1:
            problems.append(
                Problem("duplicate_source_column", f"source column {col!r} is mapped {column_uses[col]} times")
            )
    for f in dict.fromkeys(m.field for m in job.mapping):
        if field_type(f, org) is None:
            problems.append(Problem("unknown_field", f"{f!r} is not a customer profile field for this org", f))
        elif field_uses[f] > 1:
            problems.append(Problem("duplicate_field", f"profile field {f!r} is mapped {field_uses[f]} times", f))
    if job.method in ("insert", "upsert") and "user_id" in field_uses:
        problems.append(
            Problem(
                "field_not_allowed",
                "user_id cannot be imported with insert or upsert (user ids are assigned by the platform)",
                "user_id",
            )
        )

    if job.method in METHODS and job.unique_id in UNIQUE_IDS:
        required = mandatory_fields(job.method, job.unique_id)
        missing = [req for req in required if not any(f in field_uses for f in req)]
        if missing:
            mapped = len(required) - len(missing)
            for req in missing:
                what = " or ".join(req)
                problems.append(
                    Problem(
                        "mandatory_field_unmapped",
                        f"{what} must be mapped ({mapped} of {len(required)} mandatory profile fields mapped)",
                        req[0],
                    )
                )
    return problems
