"""The profiles this deployment knows, by name. Adding a profile = adding an entry here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from dataimport.events import JobSpec
from dataimport.profiles.base import FieldMapping, JobConfig, Profile


@dataclass(frozen=True)
class ProfilePlugin:
    profile: Profile
    store_factory: Callable[[Any], Any]
    """Builds the profile's record store (look-ups for validation, writes for ingestion) from a pool."""


def _customer() -> ProfilePlugin:
    from dataimport.profiles.customer import CustomerProfile
    from dataimport.profiles.customer.pg_store import PgCustomerStore

    return ProfilePlugin(profile=CustomerProfile(), store_factory=PgCustomerStore)


_FACTORIES: dict[str, Callable[[], ProfilePlugin]] = {"customer": _customer}
PROFILE_NAMES = tuple(_FACTORIES)


def get_plugin(name: str) -> ProfilePlugin:
    try:
        return _FACTORIES[name]()
    except KeyError:
        raise KeyError(f"unknown profile {name!r}; known: {', '.join(PROFILE_NAMES)}") from None


def job_config_of(spec: JobSpec) -> JobConfig:
    return JobConfig(
        method=spec.method,
        unique_id=spec.unique_id,
        mapping=tuple(FieldMapping(m.source_column, m.field, m.mandatory) for m in spec.mapping),
    )
