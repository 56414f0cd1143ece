"""Organisation configuration (SPEC section 3).

``OrgConfig`` is the body of ``PUT /v1/orgs/{org_id}/config``. Validation reports every problem at once: each
field and list item checks itself, so pydantic collects all of them in one ``ValidationError`` (use
``config_problems`` to turn it into a list of readable messages).
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date
from typing import Any

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

STATUSES = (
    "ACTIVE",
    "SUSPENDED",
    "DELETED",
    "PENDING_DELETION",
    "FRAUD_SUSPECTED",
    "FRAUD_CONFIRMED",
    "INTERNAL",
)
CUSTOM_FIELD_TYPES = ("string", "integer", "double", "boolean", "date")

# The standard extended fields and their kinds.
EXTENDED_FIELD_TYPES: dict[str, str] = {
    "gender": "enum",
    "marital_status": "enum",
    "kid_status": "enum",
    "city": "string",
    "zip": "string",
    "profession": "string",
    "dob": "date",
    "wedding_date": "date",
    "nationality": "country",
    "country_of_residence": "country",
    "preferred_language": "language",
}

COUNTRY_CODES: frozenset[str] = frozenset(r for r in phonenumbers.SUPPORTED_REGIONS if len(r) == 2 and r.isalpha())

_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")


def _problems(problems: list[str]) -> None:
    if problems:
        raise ValueError("; ".join(problems))


def _country(value: str) -> str:
    return value.strip().upper() if isinstance(value, str) else value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Store(_Model):
    code: str = Field(min_length=1)
    tills: list[str] = Field(default_factory=list)

    @field_validator("tills")
    @classmethod
    def _tills(cls, tills: list[str]) -> list[str]:
        problems = []
        if any(not t.strip() for t in tills):
            problems.append("till codes must not be blank")
        dup = sorted({t for t in tills if tills.count(t) > 1})
        if dup:
            problems.append(f"duplicate till codes: {', '.join(dup)}")
        _problems(problems)
        return tills

    @field_validator("code")
    @classmethod
    def _code(cls, code: str) -> str:
        if not code.strip():
            raise ValueError("store code must not be blank")
        return code


class StatusLabel(_Model):
    label: str = Field(min_length=1)
    status: str

    @field_validator("status")
    @classmethod
    def _status(cls, status: str) -> str:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r} (one of {', '.join(STATUSES)})")
        return status

    @field_validator("label")
    @classmethod
    def _label(cls, label: str) -> str:
        if not label.strip():
            raise ValueError("status label must not be blank")
        return label


class CustomField(_Model):
    name: str
    type: str

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not _IDENTIFIER.fullmatch(name):
            raise ValueError(f"custom field name {name!r} must match [a-z][a-z0-9_]*")
        return name

    @field_validator("type")
    @classmethod
    def _type(cls, type_: str) -> str:
        if type_ not in CUSTOM_FIELD_TYPES:
            raise ValueError(f"unknown custom field type {type_!r} (one of {', '.join(CUSTOM_FIELD_TYPES)})")
        return type_


class ExtendedFields(_Model):
    enabled: list[str] = Field(default_factory=list)
    enum_values: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> ExtendedFields:
        problems = []
        for name in self.enabled:
            if name not in EXTENDED_FIELD_TYPES:
                problems.append(f"unknown extended field {name!r}")
        dup = sorted({n for n in self.enabled if self.enabled.count(n) > 1})
        if dup:
            problems.append(f"extended fields enabled twice: {', '.join(dup)}")
        for name, values in self.enum_values.items():
            if EXTENDED_FIELD_TYPES.get(name) != "enum" or name not in self.enabled:
                problems.append(f"enum_values given for {name!r}, which is not an enabled enum extended field")
            keys = [v.strip().casefold() for v in values]
            if any(not k for k in keys):
                problems.append(f"enum values of {name!r} must not be blank")
            if len(set(keys)) != len(keys):
                problems.append(f"duplicate enum values for {name!r} (ignoring case)")
        _problems(problems)
        return self


class OrgConfig(_Model):
    base_country: str
    supported_countries: list[str] = Field(default_factory=list)
    timezone: str = "UTC"
    allow_registration_from_any_identifier: bool = False
    identifier_flexibility: bool = False
    email_unique: bool = True
    min_registration_date: date | None = None
    stores: list[Store] = Field(default_factory=list)
    slabs: list[str] = Field(default_factory=list)
    status_labels: list[StatusLabel] = Field(default_factory=list, validate_default=True)
    custom_fields: list[CustomField] = Field(default_factory=list)
    extended_fields: ExtendedFields = Field(default_factory=ExtendedFields)
    require_distinct_approver: bool = False

    _slab_by_key: dict[str, str] = PrivateAttr(default_factory=dict)
    _label_by_key: dict[str, StatusLabel] = PrivateAttr(default_factory=dict)
    _store_codes: frozenset[str] = PrivateAttr(default=frozenset())
    _till_codes: frozenset[str] = PrivateAttr(default=frozenset())
    _zone: zoneinfo.ZoneInfo | None = PrivateAttr(default=None)

    # ---- validation ----------------------------------------------------------------------------------------

    @field_validator("base_country", mode="before")
    @classmethod
    def _base_country(cls, value: Any) -> Any:
        value = _country(value)
        if isinstance(value, str) and value not in COUNTRY_CODES:
            raise ValueError(f"unknown country code {value!r}")
        return value

    @field_validator("supported_countries", mode="before")
    @classmethod
    def _supported(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        value = [_country(v) for v in value]
        bad = [v for v in value if isinstance(v, str) and v not in COUNTRY_CODES]
        if bad:
            raise ValueError(f"unknown country codes: {', '.join(map(repr, bad))}")
        return list(dict.fromkeys(value))

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value

    @field_validator("stores")
    @classmethod
    def _stores(cls, stores: list[Store]) -> list[Store]:
        codes = [s.code for s in stores]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup:
            raise ValueError(f"duplicate store codes: {', '.join(dup)}")
        return stores

    @field_validator("slabs")
    @classmethod
    def _slabs(cls, slabs: list[str]) -> list[str]:
        problems = []
        if any(not s.strip() for s in slabs):
            problems.append("slab names must not be blank")
        keys = [s.strip().casefold() for s in slabs]
        dup = sorted({s for s, k in zip(slabs, keys, strict=True) if keys.count(k) > 1})
        if dup:
            problems.append(f"duplicate slab names (ignoring case): {', '.join(dup)}")
        _problems(problems)
        return slabs

    @field_validator("status_labels")
    @classmethod
    def _labels(cls, labels: list[StatusLabel]) -> list[StatusLabel]:
        problems = []
        keys = [lab.label.strip().casefold() for lab in labels]
        dup = sorted({lab.label for lab, k in zip(labels, keys, strict=True) if keys.count(k) > 1})
        if dup:
            problems.append(f"duplicate status labels (ignoring case): {', '.join(dup)}")
        if not any(lab.status == "ACTIVE" for lab in labels):
            problems.append("status_labels needs at least one label with status ACTIVE (the default label)")
        _problems(problems)
        return labels

    @field_validator("custom_fields")
    @classmethod
    def _custom(cls, fields: list[CustomField]) -> list[CustomField]:
        names = [f.name for f in fields]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate custom field names: {', '.join(dup)}")
        return fields

    def model_post_init(self, __context: Any) -> None:
        self._slab_by_key = {s.strip().casefold(): s for s in self.slabs}
        self._label_by_key = {lab.label.strip().casefold(): lab for lab in self.status_labels}
        self._store_codes = frozenset(s.code for s in self.stores)
        self._till_codes = frozenset(t for s in self.stores for t in s.tills)
        self._zone = zoneinfo.ZoneInfo(self.timezone)

    # ---- look-ups ------------------------------------------------------------------------------------------

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        assert self._zone is not None
        return self._zone

    @property
    def default_status_label(self) -> str:
        """The first label with status ACTIVE (validation guarantees there is one)."""
        return next(lab.label for lab in self.status_labels if lab.status == "ACTIVE")

    @property
    def base_slab(self) -> str | None:
        return self.slabs[0] if self.slabs else None

    @property
    def allowed_countries(self) -> frozenset[str]:
        return frozenset([self.base_country, *self.supported_countries])

    @property
    def slab_by_key(self) -> dict[str, str]:
        """casefolded slab name -> configured spelling."""
        return self._slab_by_key

    @property
    def label_by_key(self) -> dict[str, StatusLabel]:
        """casefolded label -> the configured label and its status."""
        return self._label_by_key

    @property
    def store_codes(self) -> frozenset[str]:
        return self._store_codes

    @property
    def till_codes(self) -> frozenset[str]:
        return self._till_codes

    def slab(self, name: str) -> str | None:
        return self._slab_by_key.get(name.strip().casefold())

    def status_label(self, label: str) -> StatusLabel | None:
        return self._label_by_key.get(label.strip().casefold())

    def status_of(self, label: str | None) -> str | None:
        """The status (ACTIVE, DELETED, ...) of a label, or None when the label is not configured."""
        if label is None:
            return None
        found = self.status_label(label)
        return found.status if found else None

    @property
    def custom_field_types(self) -> dict[str, str]:
        return {f.name: f.type for f in self.custom_fields}

    @property
    def extended_field_types(self) -> dict[str, str]:
        """Enabled extended fields -> kind (enum, string, date, country, language)."""
        return {n: EXTENDED_FIELD_TYPES[n] for n in self.extended_fields.enabled}


def config_problems(exc: ValidationError) -> list[str]:
    """Readable messages (``location: message``) for every problem of an invalid configuration."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        msg = err.get("msg", "")
        msg = msg.removeprefix("Value error, ")
        for part in msg.split("; "):
            out.append(f"{loc}: {part}" if loc else part)
    return out


def parse_org_config(data: Any) -> tuple[OrgConfig | None, list[str]]:
    """Validate a configuration body: ``(config, [])`` or ``(None, problems)``."""
    try:
        return OrgConfig.model_validate(data), []
    except ValidationError as exc:
        return None, config_problems(exc)


# The example of SPEC section 3 (the PUT /v1/orgs/1001/config body); its keys are the contract.
SPEC_EXAMPLE: dict = {
    "base_country": "IN",
    "supported_countries": ["IN", "AE"],
    "timezone": "Asia/Kolkata",
    "allow_registration_from_any_identifier": False,
    "identifier_flexibility": False,
    "email_unique": True,
    "min_registration_date": "2000-01-01",
    "stores": [{"code": "STORE001", "tills": ["TILL001", "TILL002"]}],
    "slabs": ["Silver", "Gold", "Platinum"],
    "status_labels": [
        {"label": "Active", "status": "ACTIVE"},
        {"label": "Suspicious", "status": "SUSPENDED"},
        {"label": "Deleted", "status": "DELETED"},
        {"label": "Pending Deletion", "status": "PENDING_DELETION"},
    ],
    "custom_fields": [{"name": "fav_category", "type": "string"}, {"name": "newsletter", "type": "boolean"}],
    "extended_fields": {"enabled": ["gender", "dob", "city"], "enum_values": {"gender": ["Male", "Female", "Other"]}},
}


def demo_org_config() -> OrgConfig:
    """A realistic configuration for demo org 1001: the SPEC 3 example with the stores and tills the demo table
    of :mod:`dataimport.demo_data` uses (one source of truth for both) and one more custom field."""
    from dataimport.demo_data import DEMO_STORES

    return OrgConfig.model_validate(
        {
            **SPEC_EXAMPLE,
            "stores": [{"code": code, "tills": tills} for code, tills in DEMO_STORES.items()],
            "custom_fields": [*SPEC_EXAMPLE["custom_fields"], {"name": "visits", "type": "integer"}],
        }
    )
