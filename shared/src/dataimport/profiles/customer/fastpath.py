"""Columnar fast paths: the two expensive identifier rules (mobile ~25-50 µs, email ~40 µs per value), and
(below) printable-ASCII text, dates and registration timestamps (``prepare`` runs these on a column's distinct
values).

Each fast path looks at a whole Arrow column with RE2 (``pyarrow.compute``) and *accepts* only values whose
outcome it can state with certainty; every other value goes through the per-value rule (``rules.py``), so a
fast path can never change a validation outcome -- it can only answer sooner.

Mobile: a well-formed number of the org's base country (``9876543210``, ``+919876543210``, ``919876543210``,
``+91 98765 43210``) is accepted when it is valid by the base country's phonenumbers metadata, evaluated the way
``phonenumbers.parse`` + ``is_valid_number_for_region`` evaluate it (see :func:`mobile_fast`). Email: a strict
ASCII dot-atom subset (``first.last+tag@sub.domain.tld``) that email-validator accepts as it is; its normalised
form is the lower-cased text. ``shared/tests/profiles/test_customer_fastpath.py`` checks both against the
libraries on large random samples; ``test_customer_columnar.py`` checks ``prepare`` as a whole (every fast path)
against the per-value rules.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from email_validator import SPECIAL_USE_DOMAIN_NAMES
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

_DESC_NAMES = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail",
    "fixed_line", "mobile",
)  # fmt: skip


def _mask(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Arrow booleans (nulls as False) as a numpy bool array."""
    filled = pc.fill_null(arr, False)
    if isinstance(filled, pa.ChunkedArray):
        filled = filled.combine_chunks() if filled.num_chunks != 1 else filled.chunk(0)
    return filled.to_numpy(zero_copy_only=False).astype(bool)


def _full(arr: pa.Array, pattern: str) -> np.ndarray:
    return _mask(pc.match_substring_regex(arr, f"^(?:{pattern})$"))


def _starts(arr: pa.Array, pattern: str) -> np.ndarray:
    return _mask(pc.match_substring_regex(arr, f"^(?:{pattern})"))


def _length_in(lengths: np.ndarray, allowed) -> np.ndarray:
    allowed = list(allowed)
    if not allowed:
        return np.ones(len(lengths), bool)
    return np.isin(lengths, np.array(allowed))


@lru_cache(maxsize=64)
def _base_plan(base: str) -> dict | None:
    """What the fast path needs of the base country's metadata, or None when it does not apply."""
    meta = PhoneMetadata.metadata_for_region(base, None)
    if meta is None or meta.general_desc is None or not meta.general_desc.national_number_pattern:
        return None
    cc = meta.country_code
    if COUNTRY_CODE_TO_REGION_CODE.get(cc) != (base,):
        return None  # a calling code shared by several regions: the region is decided by the number
    if meta.national_prefix_transform_rule:
        return None
    descs = []
    for name in _DESC_NAMES:
        desc = getattr(meta, name, None)
        if desc is not None and desc.national_number_pattern:
            descs.append((desc.national_number_pattern, tuple(desc.possible_length)))
    return {
        "cc": str(cc),
        "general": meta.general_desc.national_number_pattern,
        "general_lengths": tuple(meta.general_desc.possible_length),
        "descs": descs,
        "npfp": meta.national_prefix_for_parsing or None,
        "idd": meta.international_prefix or None,
    }


_MOBILE_SHAPE = r"\+?[0-9]+(?: [0-9]+)*"


def mobile_fast(column: pa.Array, base: str, allowed: frozenset[str]) -> tuple[np.ndarray, list[str | None]]:
    """``(accepted, values)``: for accepted positions, the normalised mobile (digits with country code) that the
    mobile rule gives; other positions must go through the rule.

    Accepted: string values of 5-17 digits in at most 32 characters, only digits and single spaces, an optional
    leading ``+`` (so they are their own cleaned text and pass the rule's shape checks), whose national part
    ``N`` does not start with 0, does not start with the base country's national prefix (so phonenumbers strips
    nothing) and, without ``+``, does not start with its international dialling prefix; then

    * ``+<cc>N``: phonenumbers extracts ``cc`` (calling codes are prefix-free) and keeps ``N``;
    * ``<cc>N``: phonenumbers strips ``cc`` because ``<cc>N`` does not match the general pattern while ``N``
      does (required, as is N's validity);
    * ``N`` (not starting with ``cc``): national number of the base country as it is;

    and ``N`` is valid: its length is possible and it fully matches the general pattern and one number-type
    pattern whose lengths allow it (``phonenumbers._number_type_helper`` != UNKNOWN). The calling code belongs
    to the base country only, so the number's region is the base country, which must be allowed.
    """
    n = len(column)
    out: list[str | None] = [None] * n
    none = np.zeros(n, bool)
    plan = _base_plan(base)
    if plan is None or base not in allowed or n == 0:
        return none, out
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return none, out
    text_len = pc.utf8_length(column).to_numpy(zero_copy_only=False)
    shape = _full(column, _MOBILE_SHAPE) & (np.nan_to_num(text_len.astype(float), nan=99) <= 32)
    if not shape.any():
        return none, out
    digits = pc.replace_substring(pc.replace_substring(column, " ", ""), "+", "")
    plus = _mask(pc.starts_with(column, "+"))
    cc = plan["cc"]
    with_cc = _mask(pc.starts_with(digits, cc))
    strip = plus | with_cc
    national = pc.if_else(pa.array(strip), pc.utf8_slice_codeunits(digits, len(cc)), digits)
    d_len = pc.utf8_length(digits).to_numpy(zero_copy_only=False)
    d_len = np.nan_to_num(d_len.astype(float), nan=0).astype(np.int64)
    n_len = np.nan_to_num(pc.utf8_length(national).to_numpy(zero_copy_only=False).astype(float), nan=0)
    n_len = n_len.astype(np.int64)
    ok = shape & (d_len >= 5) & (d_len <= 17) & (n_len >= 2)
    ok &= ~_mask(pc.starts_with(national, "0"))
    ok &= ~plus | with_cc  # "+" with another calling code: not the base country
    if plan["npfp"]:
        ok &= ~_starts(national, plan["npfp"])
    if plan["idd"]:
        ok &= plus | ~_starts(digits, plan["idd"])
    # <cc>N without "+": stripped only when <cc>N itself does not match the general pattern
    ok &= plus | ~with_cc | ~_full(digits, plan["general"])
    if not ok.any():
        return none, out
    valid = ok & _length_in(n_len, plan["general_lengths"]) & _full(national, plan["general"])
    typed = np.zeros(n, bool)
    for pattern, lengths in plan["descs"]:
        typed |= _length_in(n_len, lengths) & _full(national, pattern)
    accepted = valid & typed
    if accepted.any():
        nat = national.to_pylist()
        for i in np.flatnonzero(accepted):
            out[i] = cc + nat[i]
    return accepted, out


# Dot-atom local part and hostname labels, ASCII only; the top-level domain is letters.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL_STRICT = rf"[A-Za-z0-9]+(?:[._+-][A-Za-z0-9]+)*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}"
_SPECIAL = "|".join(re.escape(d) for d in SPECIAL_USE_DOMAIN_NAMES)


def email_fast(column: pa.Array) -> tuple[np.ndarray, list[str | None]]:
    """``(accepted, values)``: positions whose email the rule would accept, with its normalised (lower-case)
    value. Accepted: ASCII ``local@domain`` in the strict form above, local part at most 64 characters, whole
    address at most 254, no ``--`` anywhere in the domain (IDNA "xn--" labels go to email-validator), and a
    domain that is not (under) a special-use name."""
    n = len(column)
    out: list[str | None] = [None] * n
    none = np.zeros(n, bool)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if n == 0 or not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return none, out
    ok = _full(column, _EMAIL_STRICT)
    if not ok.any():
        return none, out
    length = np.nan_to_num(pc.utf8_length(column).to_numpy(zero_copy_only=False).astype(float), nan=999)
    at = np.asarray(pc.find_substring(column, "@").to_numpy(zero_copy_only=False), dtype=float)
    ok &= (length <= 254) & (np.nan_to_num(at, nan=999) <= 64)
    domain = pc.utf8_slice_codeunits(column, 0)  # same strings; the checks below look at the domain part
    ok &= ~_mask(pc.match_substring_regex(domain, r"@.*--"))
    ok &= ~_mask(pc.match_substring_regex(pc.utf8_lower(domain), rf"[@.](?:{_SPECIAL})$"))
    if ok.any():
        lower = pc.utf8_lower(column).to_pylist()
        for i in np.flatnonzero(ok):
            out[i] = lower[i]
    return ok, out


# ---- text, dates and registration timestamps -------------------------------------------------------------------
#
# These fast paths take the *distinct* values of a column (``prepare`` dictionary-encodes it) and accept only
# values whose outcome under the per-value rule is certain; everything else goes to the rule.

_PRINTABLE_ASCII = r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?"
"""Printable ASCII with no space at either end: its own cleaned text (nothing to trim, no control character,
NFC already), never empty."""
_DATE_SHAPE = r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}"
_DATETIME_SHAPE = r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}"
_EPOCH = date(1970, 1, 1)
_DAY = 86_400


def _single(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_large_string(column.type):
        column = column.cast(pa.string())
    return column


def _is_text(typ: pa.DataType) -> bool:
    return pa.types.is_string(typ) or pa.types.is_large_string(typ)


def _nothing(n: int) -> tuple[np.ndarray, list]:
    return np.zeros(n, bool), [None] * n


def _scatter(accepted: np.ndarray, values: pa.Array) -> list:
    """The values at accepted positions (other positions are not looked at by callers)."""
    return values.to_pylist() if accepted.any() else [None] * len(accepted)


_EDGE_SUBSET = " \t\n\r\u00a0\ufeff"
"""Edge characters every one of which ``clean_text`` trims (a subset of its set)."""


def trim_edges(column: pa.Array) -> pa.Array:
    """Text values without the common edge padding (space, tab, CR/LF, NBSP, BOM). For a value whose trimmed
    form a fast path accepts (it starts and ends with a character that is not an edge character), this is
    exactly ``clean_text``'s trimming: the maximal runs of edge characters at both ends are removed, the value
    holds no NUL or surrogate, and the rest is ASCII (no NFC step). Fast paths treat the result as the value."""
    column = _single(column)
    if not _is_text(column.type) or len(column) == 0:
        return column
    return pc.utf8_trim(column, characters=_EDGE_SUBSET)


def text_fast(column: pa.Array, limit: int | None = None) -> tuple[np.ndarray, list[str | None]]:
    """``(accepted, values)`` for ``clean_text`` (and, with ``limit``, the bounded-text rule of names and
    external ids): printable-ASCII strings with no space at either end (at most ``limit`` characters) are their
    own normalised value. Everything else -- any other character, edge whitespace, NBSP, BOM, NUL, control
    characters, non-ASCII text that NFC could change -- goes to the rule."""
    column = _single(column)
    n = len(column)
    if n == 0 or not _is_text(column.type):
        return _nothing(n)
    ok = _full(column, _PRINTABLE_ASCII)
    if limit is not None and ok.any():
        length = np.nan_to_num(pc.utf8_length(column).to_numpy(zero_copy_only=False).astype(float), nan=limit + 1)
        ok &= length <= limit
    return ok, _scatter(ok, column)


# Years 1000-9999: the four-digit years that date.isoformat() and numpy's datetime_as_string both write as they are.
_DAY_MIN = (date(1000, 1, 1) - _EPOCH).days
_DAY_MAX = (date(9999, 12, 31) - _EPOCH).days
_SEC_MIN = _DAY_MIN * _DAY
_SEC_MAX = (_DAY_MAX + 1) * _DAY - 1


def _ints(column: pa.Array) -> np.ndarray:
    """An integer-valued Arrow array as int64 numpy (nulls as 0; callers mask them out)."""
    return pc.fill_null(column.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)


def _iso_days(days: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` of each day number (1970-01-01 where not ``ok``)."""
    return np.datetime_as_string(np.where(ok, days, 0).astype("datetime64[D]"), unit="D")


def _iso_seconds(seconds: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DDTHH:MM:SS`` of each second since the epoch (1970-01-01T00:00:00 where not ``ok``)."""
    return np.datetime_as_string(np.where(ok, seconds, 0).astype("datetime64[s]"), unit="s")


def _same_text(iso: np.ndarray, text: pa.Array) -> np.ndarray:
    return _mask(pc.equal(pa.array(iso, pa.string()), text))


def _date_candidates(column: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(ok, days, iso)``: DATE values and well-formed ``YYYY-MM-DD`` strings of years 1000-9999 that are real
    calendar dates (a string is parsed with pc.strptime and accepted only when the parsed date formats back to
    the identical text), as day numbers and ``date.isoformat()`` text."""
    if pa.types.is_date32(column.type):
        days = _ints(column.cast(pa.int32()))
        ok = ~_mask(pc.is_null(column)) & (days >= _DAY_MIN) & (days <= _DAY_MAX)
        return ok, days, _iso_days(days, ok)
    if not _is_text(column.type):
        return None
    ok = _full(column, _DATE_SHAPE)
    if not ok.any():
        return None
    parsed = pc.strptime(column, format="%Y-%m-%d", unit="s", error_is_null=True)
    ok &= ~_mask(pc.is_null(parsed))
    days = np.floor_divide(_ints(parsed), _DAY)
    ok &= (days >= _DAY_MIN) & (days <= _DAY_MAX)
    iso = _iso_days(days, ok)
    ok &= _same_text(iso, column)
    return ok, days, iso


def date_fast(
    column: pa.Array, after: date | None = None, until: date | None = None
) -> tuple[np.ndarray, list[str | None]]:
    """``(accepted, values)`` for a date rule that answers ``d.isoformat()`` for a date ``after < d <= until``
    (bounds optional): DATE values and ``YYYY-MM-DD`` strings. Timestamps and other spellings go to the rule."""
    column = _single(column)
    n = len(column)
    got = _date_candidates(column) if n else None
    if got is None:
        return _nothing(n)
    ok, days, iso = got
    if after is not None:
        ok &= days > (after - _EPOCH).days
    if until is not None:
        ok &= days <= (until - _EPOCH).days
    return ok, iso.tolist()  # read at accepted positions only


def _py_zone(key: str):  # the pure-Python zoneinfo reads the same TZif data; only its transitions are used
    from zoneinfo._zoneinfo import ZoneInfo as PyZoneInfo

    return PyZoneInfo.no_cache(key)


_py_zone = lru_cache(maxsize=32)(_py_zone)


def constant_offset(zone: tzinfo, lo: int, hi: int) -> int | None:
    """The UTC offset (seconds) ``zone`` gives every naive local time from ``lo`` to ``hi`` (local seconds since
    the epoch), when there is no transition within two days of that range; None otherwise (or when it cannot
    be established). Within such a range ``replace(tzinfo=zone)`` and ``astimezone(zone)`` use one offset."""
    try:
        key = getattr(zone, "key", None)
        if key is None:
            return None
        pz = _py_zone(key)
        trans = pz._trans_utc
        k = bisect_left(trans, lo - 2 * _DAY)
        if k < len(trans) and trans[k] <= hi + 2 * _DAY:
            return None
        if k == len(trans):
            info = pz._tz_after
        elif k == 0:
            info = pz._tti_before
        else:
            info = pz._ttinfos[k - 1]
        off = getattr(info, "utcoff", None)
        if not isinstance(off, timedelta) or off % timedelta(seconds=1):
            return None
        # cross-check with the zone object the rule uses, at both ends of the range, both directions
        for ts in (lo, hi):
            local = datetime(1970, 1, 1) + timedelta(seconds=ts)
            if local.replace(tzinfo=zone).utcoffset() != off:
                return None
            if (local - off).replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None) != local:
                return None
        return int(off.total_seconds())
    except Exception:  # private layout changed, unknown key, out of range: the rule decides
        return None


def registered_on_fast(
    column: pa.Array, zone: tzinfo, now: datetime, today: date, min_date: date | None
) -> tuple[np.ndarray, list[str | None]]:
    """``(accepted, values)`` for ``registered_on_rule``: only values it accepts, with its answer
    (``instant.isoformat()``, a UTC instant).

    * DATE values and ``YYYY-MM-DD`` strings not after ``today`` and not before ``min_date``: midnight UTC of
      that date (never shifted by the zone);
    * ``YYYY-MM-DD HH:MM:SS`` / ``YYYY-MM-DDTHH:MM:SS`` strings (a real date and time: parsed with pc.strptime
      and formatted back to the identical text) in a range where the org's zone has one constant offset
      (:func:`constant_offset`): the local time minus the offset, when that instant is not after ``now`` and
      its local date is not before ``min_date``.
    """
    column = _single(column)
    n = len(column)
    accepted, out = _nothing(n)
    if n == 0 or now.tzinfo is None:
        return accepted, out
    dates = _date_candidates(column)
    if dates is not None:
        ok, days, iso = dates
        ok &= days <= (today - _EPOCH).days
        if min_date is not None:
            ok &= days >= (min_date - _EPOCH).days
        if ok.any():
            accepted |= ok
            texts = iso.tolist()
            for i in np.flatnonzero(ok).tolist():
                out[i] = texts[i] + "T00:00:00+00:00"
    if not _is_text(column.type):
        return accepted, out
    ok = _full(column, _DATETIME_SHAPE)
    if not ok.any():
        return accepted, out
    text = pc.if_else(pa.array(ok), column, pa.nulls(n, column.type))
    text = pc.utf8_replace_slice(text, 10, 11, "T")  # fromisoformat takes 'T' or ' ' alike
    parsed = pc.strptime(text, format="%Y-%m-%dT%H:%M:%S", unit="s", error_is_null=True)
    ok &= ~_mask(pc.is_null(parsed))
    local = _ints(parsed)
    ok &= (local >= _SEC_MIN) & (local <= _SEC_MAX)
    ok &= _same_text(_iso_seconds(local, ok), text)  # a real date and time, not one strptime normalised
    if not ok.any():
        return accepted, out
    off = constant_offset(zone, int(local[ok].min()), int(local[ok].max()))
    if off is None:
        return accepted, out
    instant = local - off
    now_us = (now - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    ok &= (instant * 1_000_000 <= now_us) & (instant >= _SEC_MIN) & (instant <= _SEC_MAX)
    if min_date is not None:
        ok &= np.floor_divide(local, _DAY) >= (min_date - _EPOCH).days
    if not ok.any():
        return accepted, out
    texts = _iso_seconds(instant, ok).tolist()
    for i in np.flatnonzero(ok).tolist():
        out[i] = texts[i] + "+00:00"
    accepted |= ok
    return accepted, out
