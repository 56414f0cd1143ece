"""Normalising a look-up key the way imports store it, so a customer is found by the value a user has at hand
(``7020272598`` finds the customer stored as ``917020272598`` in an org whose base country is IN)."""

from __future__ import annotations

from dataimport.orgs import OrgConfig
from dataimport.profiles.customer.normalise import INVALID
from dataimport.profiles.customer.rules import email_rule, mobile_rule


def lookup_key(field: str, value: str, org: OrgConfig | None) -> str:
    """The stored form of ``value`` for ``field`` (mobile, email); the value as given when it does not normalise."""
    if field == "mobile" and org is not None:
        normalised = mobile_rule(org)(value)
    elif field == "email":
        normalised = email_rule(value)
    else:
        return value
    return value if normalised is None or normalised is INVALID else normalised
