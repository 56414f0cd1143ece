"""Per-value rules of the Customer fields (SPEC section 4): each turns one raw value into the normalised value to
store, ``None`` (missing) or ``INVALID``. Rules that need other fields or the current state live in ``decide``."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from dataimport.orgs import COUNTRY_CODES, OrgConfig
from dataimport.profiles.customer.fields import CUSTOM_PREFIX, EXTENDED_PREFIX, field_type
from dataimport.profiles.customer.normalise import (
    INVALID,
    clean_text,
    has_control,
    number_text,
    to_bool,
    to_date,
    to_float,
    to_instant,
    to_int,
)

Rule = Callable[[Any], Any]

MAX_EXTERNAL_ID = 50
MAX_NAME = 100
MAX_SLAB_EXPIRY = date(2100, 12, 31)

_MOBILE_TEXT = re.compile(r"\+?[0-9 ()\-.]+")
_DECIMAL_LIKE = re.compile(r"\+?[0-9]+\.[0-9]*")
_NON_DIGIT = re.compile(r"[^0-9]")
_LANGUAGE = re.compile(r"([A-Za-z]{2})(?:[-_]([A-Za-z]{2}))?")

ISO_639_1 = frozenset(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee "
    "el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is "
    "it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms "
    "mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk "
    "sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi "
    "yo za zh zu".split()
)


# ---- identifiers ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=262_144)
def _mobile(text: str, base: str, allowed: frozenset[str]) -> str | None:
    """Digits with country code, or None when the number is not valid for an allowed country."""
    candidates = [text]
    if not text.startswith("+"):
        digits = _NON_DIGIT.sub("", text)
        if len(digits) >= 8 and not digits.startswith("0"):
            candidates.append("+" + digits)  # international number written without its '+'
    for candidate in candidates:
        try:
            num = phonenumbers.parse(candidate, base)
        except phonenumbers.NumberParseException:
            continue
        # == is_valid_number(num) and region in allowed, computing the region once
        region = phonenumbers.region_code_for_number(num)
        if region in allowed and phonenumbers.is_valid_number_for_region(num, region):
            return f"{num.country_code}{phonenumbers.national_significant_number(num)}"  # E.164 without '+'
    return None


def mobile_rule(org: OrgConfig) -> Rule:
    base, allowed = org.base_country, org.allowed_countries

    def rule(value: Any) -> Any:
        text = number_text(value)
        if text is None or text is INVALID:
            return text
        # Only digits and the usual separators; no letters (scientific notation, vanity numbers), no decimals.
        if len(text) > 32 or not _MOBILE_TEXT.fullmatch(text) or _DECIMAL_LIKE.fullmatch(text):
            return INVALID
        digits = sum(c.isdigit() for c in text)
        if not 5 <= digits <= 17:
            return INVALID
        return _mobile(text, base, allowed) or INVALID

    return rule


@lru_cache(maxsize=262_144)
def _email(text: str) -> str | None:
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None
    except Exception:  # hostile input must never break a chunk
        return None


def email_rule(value: Any) -> Any:
    if not isinstance(value, str) and value is not None:
        return INVALID
    text = clean_text(value)
    if text is None or text is INVALID:
        return text
    if len(text) > 320:
        return INVALID
    return _email(text) or INVALID


def _bounded_text(limit: int) -> Rule:
    def rule(value: Any) -> Any:
        text = clean_text(value)
        if text is None or text is INVALID:
            return text
        if len(text) > limit or has_control(text):
            return INVALID
        return text

    return rule


external_id_rule = _bounded_text(MAX_EXTERNAL_ID)
name_rule = _bounded_text(MAX_NAME)


def user_id_rule(value: Any) -> Any:
    got = to_int(value)
    if got is None or got is INVALID:
        return got
    return got if got > 0 else INVALID


# ---- standard, loyalty, status -------------------------------------------------------------------------------


def registered_on_rule(org: OrgConfig, now: datetime) -> Rule:
    zone = org.zone
    today = now.astimezone(zone).date()
    min_date = org.min_registration_date

    def rule(value: Any) -> Any:
        got = to_instant(value, zone)
        if got is None or got is INVALID:
            return got
        instant, as_date = got
        if as_date is not None:
            if as_date > today or (min_date is not None and as_date < min_date):
                return INVALID
        else:
            if instant > now:
                return INVALID
            if min_date is not None:
                try:
                    local_date = instant.astimezone(zone).date()
                except (OverflowError, ValueError):
                    return INVALID
                if local_date < min_date:
                    return INVALID
        return instant.isoformat()

    return rule


def code_rule(codes: frozenset[str]) -> Rule:
    """Store and till codes match exactly (case and leading zeros kept)."""

    def rule(value: Any) -> Any:
        text = clean_text(value)
        if text is None or text is INVALID:
            return text
        return text if text in codes else INVALID

    return rule


def loyalty_type_rule(value: Any) -> Any:
    text = clean_text(value)
    if text is None or text is INVALID:
        return text
    key = text.lower()
    return key if key in ("loyalty", "non_loyalty") else INVALID


def slab_rule(org: OrgConfig) -> Rule:
    def rule(value: Any) -> Any:
        text = clean_text(value)
        if text is None or text is INVALID:
            return text
        return org.slab(text) or INVALID

    return rule


def slab_expiry_rule(org: OrgConfig, now: datetime) -> Rule:
    zone = org.zone
    today = now.astimezone(zone).date()

    def rule(value: Any) -> Any:
        got = to_date(value, zone)
        if got is None or got is INVALID:
            return got
        if got <= today or got > MAX_SLAB_EXPIRY:
            return INVALID
        return got.isoformat()

    return rule


def status_label_rule(org: OrgConfig) -> Rule:
    def rule(value: Any) -> Any:
        text = clean_text(value)
        if text is None or text is INVALID:
            return text
        found = org.status_label(text)
        return found.label if found else INVALID

    return rule


# ---- custom and extended -------------------------------------------------------------------------------------


def _date_rule(org: OrgConfig) -> Rule:
    zone = org.zone

    def rule(value: Any) -> Any:
        got = to_date(value, zone)
        if got is None or got is INVALID:
            return got
        return got.isoformat()

    return rule


def text_rule(value: Any) -> Any:
    return clean_text(value)


def _enum_rule(values: list[str] | None) -> Rule:
    if not values:
        return text_rule
    by_key = {v.strip().casefold(): v for v in values}

    def rule(value: Any) -> Any:
        text = clean_text(value)
        if text is None or text is INVALID:
            return text
        return by_key.get(text.casefold(), INVALID)

    return rule


def country_rule(value: Any) -> Any:
    text = clean_text(value)
    if text is None or text is INVALID:
        return text
    code = text.upper()
    return code if code in COUNTRY_CODES else INVALID


def language_rule(value: Any) -> Any:
    text = clean_text(value)
    if text is None or text is INVALID:
        return text
    m = _LANGUAGE.fullmatch(text)
    if not m or m.group(1).lower() not in ISO_639_1:
        return INVALID
    lang, region = m.group(1).lower(), m.group(2)
    if region is None:
        return lang
    region = region.upper()
    return f"{lang}-{region}" if region in COUNTRY_CODES else INVALID


def rule_for(field: str, org: OrgConfig, now: datetime | None = None) -> Rule:
    """The value rule of a field id (which must exist for this org)."""
    now = now or datetime.now(UTC)
    match field:
        case "mobile":
            return mobile_rule(org)
        case "email":
            return email_rule
        case "external_id":
            return external_id_rule
        case "user_id":
            return user_id_rule
        case "first_name" | "last_name":
            return name_rule
        case "registered_on":
            return registered_on_rule(org, now)
        case "registered_store":
            return code_rule(org.store_codes)
        case "registered_till":
            return code_rule(org.till_codes)
        case "loyalty_type":
            return loyalty_type_rule
        case "slab":
            return slab_rule(org)
        case "slab_expiry":
            return slab_expiry_rule(org, now)
        case "status_label":
            return status_label_rule(org)
    kind = field_type(field, org)
    if field.startswith(CUSTOM_PREFIX):
        return {
            "string": text_rule,
            "integer": to_int,
            "double": to_float,
            "boolean": to_bool,
            "date": _date_rule(org),
        }[kind or "string"]
    if field.startswith(EXTENDED_PREFIX):
        name = field[len(EXTENDED_PREFIX) :]
        if kind == "enum":
            return _enum_rule(org.extended_fields.enum_values.get(name))
        return {
            "string": text_rule,
            "date": _date_rule(org),
            "country": country_rule,
            "language": language_rule,
        }[kind or "string"]
    raise KeyError(field)
