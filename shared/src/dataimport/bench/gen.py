"""Vectorised (numpy + pyarrow.compute) generators for the benchmark: the messy source table and the existing
customer base. A million records take a few seconds; nothing is built row by row in Python.

Source records (``source_batch``), by a per-row uniform draw:

* ~5% invalid mobiles (too short, letters, ``0000``-prefixed),
* ~5% invalid emails (no ``@``, ``@@``, a space, ``..``),
* ~2% duplicates inside the file (1.5% repeat the mobile, 0.5% the email of the record ``DUP_DISTANCE`` rows
  earlier -- both records of a pair are invalid),
* ~10% carry the mobile of an existing customer (an upsert matched by MOBILE: an update),
* the rest are new, valid customers (mobiles ``6/7/8xxxxxxxxx`` in several spellings, 1% UAE numbers, some
  padded with spaces / NBSP).

Existing customers (``existing_customers``) have ``9xxxxxxxxx`` mobiles, ``existing<i>@bench.example`` emails and
``EX<i>`` external ids, so only the deliberate 10% match; they are ``non_loyalty`` with no slab and the status
``Suspicious``, so an update to ``Active`` (and to loyalty with a slab) is a real change, not an error.

The columns and the org configuration are those of the demo (``dataimport.demo_data`` / ``demo_org_config``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dataimport.demo_data import DEMO_SLABS, DEMO_STORES, FAV_CATEGORIES, SCHEMA

INVALID_MOBILE_RATE = 0.05
INVALID_EMAIL_RATE = 0.05
DUP_MOBILE_RATE = 0.015
DUP_EMAIL_RATE = 0.005
MATCH_RATE = 0.10
DUP_DISTANCE = 4_999

_FIRST = [
    "Aarav", "Vivaan", "Aditya", "Vihaan", "Arjun", "Sai", "Reyansh", "Ayaan", "Krishna", "Ishaan", "Ananya",
    "Diya", "Aadhya", "Saanvi", "Pari", "Anika", "Navya", "Myra", "Sara", "Kiara", "Rohan", "Priya", "Neha",
    "Rahul", "Pooja", "Amit", "Sneha", "Vikram", "Kavya", "Meera", "Nikhil", "Tanvi",
]  # fmt: skip
_LAST = [
    "Sharma", "Verma", "Gupta", "Patel", "Reddy", "Nair", "Iyer", "Khan", "Singh", "Das", "Bose", "Mehta",
    "Joshi", "Kulkarni", "Chopra", "Malhotra", "Kapoor", "Rao", "Pillai", "Menon", "Agarwal", "Banerjee",
]  # fmt: skip
_CITIES = ["Mumbai", "Delhi", "Bengaluru", "Hyderabad", "Chennai", "Kolkata", "Pune", "Ahmedabad", "Jaipur", "Kochi"]
_DOMAINS = ["gmail.com", "yahoo.co.in", "outlook.com", "rediffmail.com", "hotmail.com", "example.in"]
_GENDERS = ["Male", "Female", "Other"]
_PADS = [" ", "  ", "\u00a0", " \u00a0", "\t"]
_REG_START = np.datetime64("2015-01-01T00:00:00", "s").astype(np.int64)
_REG_SPAN = int(np.datetime64("2024-12-31T00:00:00", "s").astype(np.int64) - _REG_START)
_SLAB_EXPIRY_START = int(np.datetime64("2030-01-01", "D").astype(np.int64))
_DOB_START = int(np.datetime64("1950-01-01", "D").astype(np.int64))


def _digits(values: np.ndarray, width: int) -> pa.Array:
    """Zero-padded decimal text of non-negative integers."""
    return pc.utf8_lpad(pa.array(values.astype(np.int64)).cast(pa.string()), width=width, padding="0")


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _pick(pool: list[str], idx: np.ndarray) -> pa.Array:
    return pa.array(pool, pa.string()).take(pa.array(idx))


def _where(mask: np.ndarray, a: pa.Array | str, b: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(mask), a, b)


def existing_mobile(index: np.ndarray) -> pa.Array:
    """Mobile (10 digits, leading 9, valid for India) of existing customer ``index``; a bijection below 10^9."""
    body = (index.astype(np.int64) * 387_420_489 + 24_681_357) % 1_000_000_000
    return _join("9", _digits(body, 9))


def _u(rows: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """A uniform [0, 1) per row number (splitmix64): the same for a row whatever batch it is generated in."""
    with np.errstate(over="ignore"):
        x = rows.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9) + np.uint64(
            (seed * 0x9E3779B97F4A7C15 + salt * 0x94D049BB133111EB) & ((1 << 64) - 1)
        )
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def existing_customers(n: int, org_id: int, seed: int = 7) -> pa.Table:
    """``n`` existing customers of ``org_id`` as columns of ``customer.customers`` (for COPY)."""
    rng = np.random.default_rng(seed)
    i = np.arange(n, dtype=np.int64)
    i_s = pa.array(i).cast(pa.string())
    email = _join("existing", i_s, "@bench.example")
    reg = pa.array(_REG_START + rng.integers(0, _REG_SPAN, n), pa.timestamp("s", "UTC"))
    store = rng.integers(0, len(DEMO_STORES), n)
    return pa.table(
        {
            "org_id": pa.array(np.full(n, org_id, np.int64)),
            "mobile": _join("91", existing_mobile(i)),  # stored normalised, with the country code, as imports do
            "email": email,
            "email_key": email,
            "external_id": _join("EX", i_s),
            "first_name": _pick(_FIRST, rng.integers(0, len(_FIRST), n)),
            "last_name": _pick(_LAST, rng.integers(0, len(_LAST), n)),
            "registered_on": reg,
            "registered_store": _pick(list(DEMO_STORES), store),
            "loyalty_type": pa.array(np.full(n, "non_loyalty", object), pa.string()),
            "status_label": pa.array(np.full(n, "Suspicious", object), pa.string()),
        }
    )


class _Kinds:
    """The messy category of each row number (pure function of row and seed)."""

    def __init__(self, r: np.ndarray, seed: int, n_existing: int) -> None:
        u = _u(r, seed, 1)
        edges = np.cumsum([INVALID_MOBILE_RATE, INVALID_EMAIL_RATE, DUP_MOBILE_RATE, DUP_EMAIL_RATE, MATCH_RATE])
        self.bad_mobile = u < edges[0]
        self.bad_email = (u >= edges[0]) & (u < edges[1])
        self.dup_mobile = (u >= edges[1]) & (u < edges[2])
        self.dup_email = (u >= edges[2]) & (u < edges[3])
        self.matched = (u >= edges[3]) & (u < edges[4]) if n_existing else np.zeros(len(r), bool)


def _other(r: np.ndarray) -> np.ndarray:
    """The record a duplicate repeats: DUP_DISTANCE rows earlier (later near the start)."""
    return np.where(r >= DUP_DISTANCE, r - DUP_DISTANCE, r + DUP_DISTANCE)


def _bare_mobile(r: np.ndarray, seed: int, n_existing: int) -> pa.Array:
    """The 10 digits of a row's mobile before spelling / messing (an existing customer's for matched rows)."""
    lead = np.array(["6", "7", "8"])[(r // 7 + seed) % 3]
    body = (r * 387_420_489 + 12_345_679 + seed * 7_919) % 1_000_000_000
    digits = _join(pa.array(lead), _digits(body, 9))
    if n_existing:
        kinds = _Kinds(r, seed, n_existing)
        digits = _where(kinds.matched, existing_mobile((r * 48_271) % n_existing), digits)
    return digits


def source_batch(start: int, stop: int, n_existing: int, seed: int = 11) -> pa.RecordBatch:
    """Source records ``start .. stop - 1`` (demo ``SCHEMA``); a pure function of (row, seed)."""
    rng = np.random.default_rng([seed, start])
    r = np.arange(start, stop, dtype=np.int64)
    n = len(r)
    k = _Kinds(r, seed, n_existing)
    other = _other(r)
    row_s = pa.array(r).cast(pa.string())

    # -- names, email
    first = _pick(_FIRST, rng.integers(0, len(_FIRST), n))
    last = _pick(_LAST, rng.integers(0, len(_LAST), n))
    first_l, last_l = pc.utf8_lower(first), pc.utf8_lower(last)
    dom = _pick(_DOMAINS, (r * 31 + seed) % len(_DOMAINS))
    email = _join(first_l, ".", last_l, row_s, "@", dom)
    email = _where(rng.random(n) < 0.05, pc.utf8_capitalize(email), email)
    # A duplicated email pair: the record whose follower (DUP_DISTANCE later) is a dup_email row, and that row.
    is_target = _Kinds(r + DUP_DISTANCE, seed, n_existing).dup_email & ~k.bad_email
    email = _where(is_target, _join("pair", row_s, "@bench.example"), email)
    email = _where(k.dup_email, _join("PAIR", pa.array(other).cast(pa.string()), "@BENCH.EXAMPLE"), email)
    bad_kind = rng.integers(0, 4, n)
    bad = [
        _join(first_l, row_s, ".gmail.com"),
        _join(first_l, row_s, "@@gmail.com"),
        _join(first_l, " ", row_s, "@gmail.com"),
        _join(first_l, ".", row_s, "@gmail..com"),
    ]
    bad_email_values = bad[0]
    for kind in (1, 2, 3):
        bad_email_values = _where(bad_kind == kind, bad[kind], bad_email_values)
    email = _where(k.bad_email, bad_email_values, email)

    # -- mobiles
    digits = _bare_mobile(r, seed, n_existing)
    digits = _where(k.dup_mobile, _bare_mobile(other, seed, n_existing), digits)
    style = rng.random(n)
    d = digits
    spaced = _join("+91 ", pc.utf8_slice_codeunits(d, 0, 5), " ", pc.utf8_slice_codeunits(d, 5, 10))
    mobile = _where(
        style < 0.80, d, _where(style < 0.88, _join("+91", d), _where(style < 0.95, _join("91", d), spaced))
    )
    uae = (_u(r, seed, 2) < 0.01) & ~k.matched & ~k.dup_mobile & ~_Kinds(r + DUP_DISTANCE, seed, n_existing).dup_mobile
    uae_m = _join("+9715", _pick(list("024568"), r % 6), _digits((r * 7_654_321 + seed) % 10_000_000, 7))
    mobile = _where(uae, uae_m, mobile)
    bk = rng.integers(0, 3, n)
    bad_m = _where(
        bk == 0,
        _digits(rng.integers(10_000, 999_999, n), 6),
        _where(bk == 1, _join("0000", _digits(rng.integers(0, 999_999, n), 6)), _join("98765abc", _digits(r % 100, 2))),
    )
    mobile = _where(k.bad_mobile, bad_m, mobile)

    # -- registration, store / till, loyalty, slab, status
    reg = pa.array(_REG_START + rng.integers(0, _REG_SPAN, n), pa.timestamp("s"))
    registration_date = pc.strftime(reg, format="%Y-%m-%d %H:%M:%S")
    stores = list(DEMO_STORES)
    store_idx = rng.integers(0, len(stores), n)
    store = _pick(stores, store_idx)
    till = _pick([DEMO_STORES[s][0] for s in stores], store_idx)
    which = rng.random(n)
    till = _where(which < 0.10, pa.nulls(n, pa.string()), till)
    store = _where((which >= 0.10) & (which < 0.15), pa.nulls(n, pa.string()), store)
    loyal = rng.random(n) < 0.75
    loyalty_type = _pick(["non_loyalty", "loyalty"], loyal.astype(np.int64))
    loyalty_type = _where(rng.random(n) < 0.05, pc.utf8_upper(loyalty_type), loyalty_type)
    su = rng.random(n)
    slab = _pick(DEMO_SLABS, np.where(su < 0.6, 0, np.where(su < 0.9, 1, 2)))
    slab = _where(loyal, slab, pa.nulls(n, pa.string()))
    expiry_days = _SLAB_EXPIRY_START + rng.integers(0, 5 * 365, n)
    slab_expiry = pa.array(expiry_days.astype(np.int32), pa.date32())
    slab_expiry = _where(loyal & (rng.random(n) < 0.8), slab_expiry, pa.nulls(n, pa.date32()))
    st = rng.random(n)
    status = _pick(
        ["Active", "Suspicious", "active", "ACTIVE"],
        np.where(st < 0.88, 0, np.where(st < 0.96, 1, np.where(st < 0.98, 2, 3))),
    )
    status = _where(k.matched, "Active", status)  # existing customers are Suspicious: an update is a change

    # -- padding of otherwise-valid values
    padded = (rng.random(n) < 0.03) & ~(k.bad_mobile | k.bad_email | k.dup_mobile | k.dup_email)
    pad = _pick(_PADS, rng.integers(0, len(_PADS), n))
    mobile = _where(padded, _join(pad, mobile, pad), mobile)

    # -- custom / extended
    fav = _where(
        rng.random(n) < 0.85,
        _pick(FAV_CATEGORIES, rng.integers(0, len(FAV_CATEGORIES), n)),
        pa.nulls(n, pa.string()),
    )
    newsletter = _pick(["false", "true"], (rng.random(n) < 0.4).astype(np.int64))
    visits = _where(rng.random(n) < 0.9, pa.array(rng.integers(0, 120, n), pa.int64()), pa.nulls(n, pa.int64()))
    gender = _pick(_GENDERS, rng.integers(0, 3, n))
    dob = pa.array((_DOB_START + rng.integers(0, 365 * 55, n)).astype(np.int32), pa.date32())
    city = _pick(_CITIES, rng.integers(0, len(_CITIES), n))
    external_id = _join("SRC", _digits(r, 9))

    arrays = [
        mobile, email, external_id, first, last, registration_date, store, till, loyalty_type, slab,
        slab_expiry, status, fav, newsletter, visits, gender, dob, city,
    ]  # fmt: skip
    return pa.RecordBatch.from_arrays([a.cast(f.type) for a, f in zip(arrays, SCHEMA)], schema=SCHEMA)


def source_reader(n: int, n_existing: int, seed: int = 11, batch_size: int = 100_000) -> pa.RecordBatchReader:
    def batches():
        for start in range(0, n, batch_size):
            yield source_batch(start, min(n, start + batch_size), n_existing, seed)

    return pa.RecordBatchReader.from_batches(SCHEMA, batches())
