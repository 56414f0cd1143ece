"""Normalisation of raw source values (typed or text) before the field rules look at them.

Every function takes any Python value a pyarrow column can produce (None, str, int, bool, float, Decimal, date,
datetime, bytes, lists, ...) and answers a normalised value, ``None`` for a missing value, or ``INVALID``.
Nothing here raises on hostile input.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal
from typing import Any, Final


class _Invalid:
    __slots__ = ()

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Final = _Invalid()
"""The value is present but unusable for its field."""

# Whitespace plus the invisible characters spreadsheets and exports leave at the edges of values.
_EDGE = "\\s\u00a0\ufeff\u200b\u200c\u200d\u2060\u180e"
_TRIM = re.compile(f"^[{_EDGE}]+|[{_EDGE}]+$")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL and lone surrogates can be stored nowhere
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_INT_TEXT = re.compile(r"[+-]?[0-9]{1,19}(?:\.0*)?")
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INT64_MAX = 2**63 - 1
_MAX_TEMPORAL_TEXT = 40

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def clean_text(value: Any) -> Any:
    """Text form of a value: trimmed (incl. NBSP, BOM, zero-width), NFC; ``None`` when empty; ``INVALID`` for
    NUL bytes, lone surrogates and values with no sensible text form."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        return "true" if value else "false"
    elif isinstance(value, int):
        return str(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            return INVALID
        return str(int(value)) if value == value.to_integral_value() else format(value, "f")
    elif isinstance(value, float):
        if not math.isfinite(value):
            return INVALID
        return str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, (date, datetime)):
        return value.isoformat()
    elif isinstance(value, (bytes, bytearray, memoryview)):
        try:
            text = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return INVALID
    else:
        return INVALID
    if _UNSTORABLE.search(text):
        return INVALID
    text = _TRIM.sub("", text)
    if not text:
        return None
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def to_int(value: Any) -> Any:
    """An integer (int64 range) or INVALID. ``7``, ``7.0`` (float or Decimal), ``"7"`` and ``"7.0"`` are 7."""
    if value is None:
        return None
    if isinstance(value, bool):
        return INVALID
    if isinstance(value, int):
        out = value
    elif isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            return INVALID
        out = int(value)
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return INVALID
        out = int(value)
    else:
        text = clean_text(value)
        if text is None or text is INVALID:
            return text
        if not _INT_TEXT.fullmatch(text):
            return INVALID
        out = int(text.split(".", 1)[0])
    return out if -_INT64_MAX - 1 <= out <= _INT64_MAX else INVALID


def to_float(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return INVALID
    if isinstance(value, (int, float, Decimal)):
        try:
            out = float(value)
        except (OverflowError, ValueError):
            return INVALID
    else:
        text = clean_text(value)
        if text is None or text is INVALID:
            return text
        if len(text) > 400 or not _DECIMAL_TEXT.fullmatch(text):
            return INVALID
        out = float(text)
    return out if math.isfinite(out) else INVALID


def to_bool(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) or (isinstance(value, Decimal) and value.is_finite()):
        return {0: False, 1: True}.get(value, INVALID)  # type: ignore[arg-type]
    if isinstance(value, Decimal):
        return INVALID
    text = clean_text(value)
    if text is None or text is INVALID:
        return text
    key = text.lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return INVALID


def _parse_temporal_text(text: str) -> date | datetime | _Invalid:
    if len(text) > _MAX_TEMPORAL_TEXT:
        return INVALID
    try:
        if _DATE_TEXT.fullmatch(text):
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        return INVALID


def _temporal(value: Any) -> Any:
    if value is None or isinstance(value, (date, datetime)):
        return value
    if isinstance(value, str):
        text = clean_text(value)
        if text is None or text is INVALID:
            return text
        return _parse_temporal_text(text)
    return INVALID


def to_date(value: Any, zone: tzinfo) -> Any:
    """A calendar date. DATE values are taken as they are; timestamps give their date (aware ones in ``zone``)."""
    got = _temporal(value)
    if got is None or got is INVALID:
        return got
    if isinstance(got, datetime):
        if got.tzinfo is not None:
            try:
                got = got.astimezone(zone)
            except (OverflowError, ValueError):
                return INVALID
        return got.date()
    return got


def to_instant(value: Any, zone: tzinfo) -> Any:
    """``(utc_datetime, date_or_None)``: a timestamp as a UTC instant (naive ones are in ``zone``); for a DATE value
    the date itself is returned as well and the instant is its midnight UTC (never shifted by a timezone)."""
    got = _temporal(value)
    if got is None or got is INVALID:
        return got
    try:
        if isinstance(got, datetime):
            if got.tzinfo is None:
                got = got.replace(tzinfo=zone)
            return got.astimezone(UTC), None
        return datetime.combine(got, time(0), UTC), got
    except (OverflowError, ValueError):
        return INVALID


def number_text(value: Any) -> Any:
    """Digits of a number that arrived typed (int, integral Decimal/float) or the cleaned text of a string; the
    value is never passed through float."""
    if value is None:
        return None
    if isinstance(value, bool):
        return INVALID
    if isinstance(value, int):
        return str(value) if value >= 0 else INVALID
    if isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value() or value < 0:
            return INVALID
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer() or value < 0 or value >= 2**53:
            return INVALID
        return str(int(value))
    if isinstance(value, (date, datetime)):
        return INVALID
    return clean_text(value)
