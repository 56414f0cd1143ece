"""Realistic, seeded demo source data: customer registrations of an Indian retailer (SPEC 7).

18 columns, about 5% of the records messy in the ways SPEC 4 lists (invalid mobiles and emails, duplicate
identifiers far apart in the file, unknown slabs, future registration dates, missing mandatory values), plus a
few percent of otherwise-valid values padded with spaces / NBSP (these stay valid).

Every record is a pure function of ``(seed, row number)``: the same table every run, whatever the batch size,
so the 1,000,000-record benchmark table can be written batch by batch (:func:`iter_customer_registrations`)
without holding it in memory. Faker (locale ``en_IN``, seeded) only fills the name and city pools; rows are
drawn from those pools with a per-row ``random.Random``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from functools import lru_cache

import pyarrow as pa

# The demo org (see dataimport.orgs.demo_org_config): its stores/tills, slabs, labels, custom/extended fields.
DEMO_STORES: dict[str, list[str]] = {
    "STORE001": ["TILL001", "TILL002"],
    "STORE002": ["TILL003"],
    "00123": ["0042"],
    "007": ["TILL007"],
}
DEMO_SLABS = ["Silver", "Gold", "Platinum"]
DEMO_LABELS = ["Active", "Suspicious", "Deleted", "Pending Deletion"]
FAV_CATEGORIES = ["Apparel", "Electronics", "Groceries", "Home", "Beauty", "Footwear", "Toys", "Books"]
GENDERS = ["Male", "Female", "Other"]

SCHEMA = pa.schema(
    [
        pa.field("mobile_no", pa.string()),
        pa.field("email", pa.string()),
        pa.field("external_id", pa.string()),
        pa.field("first_name", pa.string()),
        pa.field("last_name", pa.string()),
        pa.field("registration_date", pa.string()),
        pa.field("store_code", pa.string()),
        pa.field("till_code", pa.string()),
        pa.field("loyalty_type", pa.string()),
        pa.field("slab", pa.string()),
        pa.field("slab_expiry", pa.date32()),
        pa.field("status", pa.string()),
        pa.field("fav_category", pa.string()),
        pa.field("newsletter", pa.string()),
        pa.field("visits", pa.int64()),
        pa.field("gender", pa.string()),
        pa.field("dob", pa.date32()),
        pa.field("city", pa.string()),
    ]
)

MESSY_RATE = 0.05
PADDED_RATE = 0.03
MESSY_KINDS = [
    "invalid_mobile",
    "invalid_email",
    "duplicate_mobile",
    "duplicate_email",
    "unknown_slab",
    "future_registration",
    "missing_store_and_till",
    "empty_registration_date",
]
DUPLICATE_DISTANCE = 4_999
"""A duplicate repeats the identifier of the record this many rows before it (or after it, near the start)."""

_EMAIL_DOMAINS = ["gmail.com", "yahoo.co.in", "outlook.com", "rediffmail.com", "hotmail.com", "example.in"]
_BAD_MOBILES = ["12345", "98765432", "0000000000", "98765abc10", "123456789012345", "1800-ABC-DEF", "+91 12"]
_BAD_EMAILS = [
    "{f}.{l}@",
    "{f}{l}.gmail.com",
    "{f}@@gmail.com",
    "{f} {l}@gmail.com",
    "{f}.{l}@gmail..com",
    "@yahoo.co.in",
]
_UNKNOWN_SLABS = ["Diamond", "Bronze", "Titanium", "Gld", "VIP"]
_PADS = [" ", "  ", "\u00a0", " \u00a0", "\t"]
_REG_START = dt.datetime(2015, 1, 1)
_REG_SPAN_S = int((dt.datetime(2024, 12, 31) - _REG_START).total_seconds())
_FUTURE_START = dt.datetime(2035, 1, 1)


@lru_cache(maxsize=8)
def _pools(seed: int) -> tuple[list[str], list[str], list[str], list[str]]:
    from faker import Faker

    fake = Faker("en_IN")
    fake.seed_instance(seed)
    male = sorted({fake.first_name_male() for _ in range(400)})
    female = sorted({fake.first_name_female() for _ in range(400)})
    last = sorted({fake.last_name() for _ in range(400)})
    cities = sorted({fake.city() for _ in range(300)})
    return male, female, last, cities


_M64 = (1 << 64) - 1


def _h(seed: int, row: int, salt: int) -> int:
    """A 64-bit hash of (seed, row, salt) (splitmix64): cheap per-row randomness without seeding a Random."""
    x = (seed * 0x9E3779B97F4A7C15 + row * 0xBF58476D1CE4E5B9 + salt * 0x94D049BB133111EB) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def _mobile_digits(seed: int, row: int) -> str:
    """A unique 10-digit Indian mobile per row (a bijection of the row number, leading digit 6-9)."""
    body = (row * 387_420_489 + seed * 7_919 + 12_345_679) % 1_000_000_000  # 3^18 is coprime to 10^9
    lead = "6789"[(row // 7 + seed) % 4]
    return f"{lead}{body:09d}"


def _names(seed: int, row: int) -> tuple[str, str, str]:
    male, female, last, _ = _pools(seed)
    h = _h(seed, row, 1)
    g = h % 100
    gender = "Male" if g < 48 else "Female" if g < 96 else "Other"
    first = (female if gender == "Female" else male)[(h >> 8) % len(female if gender == "Female" else male)]
    return gender, first, last[(h >> 24) % len(last)]


@lru_cache(maxsize=4096)
def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _email(seed: int, row: int) -> str:
    _, first, last = _names(seed, row)
    domain = _EMAIL_DOMAINS[(row * 31 + seed) % len(_EMAIL_DOMAINS)]
    return f"{_slug(first)}.{_slug(last)}{row}@{domain}"


def messy_kind(seed: int, row: int) -> str | None:
    """Which messy case (SPEC 4) the record is, or None for a valid record."""
    h = _h(seed, row, 2)
    if (h & 0xFFFF) >= MESSY_RATE * 65536:
        return None
    return MESSY_KINDS[(h >> 16) % len(MESSY_KINDS)]


def _is_padded(seed: int, row: int) -> bool:
    return (_h(seed, row, 3) & 0xFFFF) < PADDED_RATE * 65536


def _format_mobile(digits: str, rng: random.Random) -> str:
    style = rng.random()
    if style < 0.80:
        return digits
    if style < 0.88:
        return "+91" + digits
    if style < 0.95:
        return "91" + digits
    return f"+91 {digits[:5]} {digits[5:]}"


def _record(seed: int, row: int, n_total: int) -> tuple:
    _, _, _, cities = _pools(seed)
    rng = random.Random(_h(seed, row, 0))
    gender, first, last = _names(seed, row)
    kind = messy_kind(seed, row)

    mobile = _format_mobile(_mobile_digits(seed, row), rng)
    if rng.random() < 0.01:
        # a UAE mobile (a supported country): +971 5[024568] XXX XXXX
        mobile = f"+9715{'024568'[row % 6]}{(row * 7_654_321 + seed) % 10_000_000:07d}"
    email = _email(seed, row)
    if rng.random() < 0.05:
        email = email.capitalize()
    external_id = f"CUST{seed % 10_000:04d}{row + 1:08d}"
    reg = _REG_START + dt.timedelta(seconds=rng.randrange(_REG_SPAN_S))
    registration_date = reg.strftime("%Y-%m-%d %H:%M:%S")

    store = rng.choice(list(DEMO_STORES))
    till = rng.choice(DEMO_STORES[store])
    which = rng.random()
    if which < 0.10:
        till = None
    elif which < 0.15:
        store = None

    loyal = rng.random() < 0.75
    loyalty_type = "loyalty" if loyal else "non_loyalty"
    if rng.random() < 0.05:
        loyalty_type = loyalty_type.upper() if rng.random() < 0.5 else loyalty_type.title()
    slab = slab_expiry = None
    if loyal:
        slab = DEMO_SLABS[0 if (u := rng.random()) < 0.6 else 1 if u < 0.9 else 2]
        if rng.random() < 0.05:
            slab = slab.upper() if rng.random() < 0.5 else slab.lower()
        if rng.random() < 0.8:
            slab_expiry = dt.date(2030, 1, 1) + dt.timedelta(days=rng.randrange(5 * 365))
    status = (
        "Active" if (u := rng.random()) < 0.88 else "Suspicious" if u < 0.96 else "active" if u < 0.98 else "ACTIVE"
    )
    fav_category = rng.choice(FAV_CATEGORIES) if rng.random() < 0.85 else None
    newsletter = "true" if rng.random() < 0.4 else "false"
    visits = rng.randrange(0, 120) if rng.random() < 0.9 else None
    gender_out = gender if rng.random() < 0.95 else None
    dob = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
    city = rng.choice(cities)

    if kind == "invalid_mobile":
        mobile = rng.choice(_BAD_MOBILES)
    elif kind == "invalid_email":
        f_, l_ = email.split("@")[0].split(".")[0], last.lower()
        email = rng.choice(_BAD_EMAILS).format(f=f_, l=l_)
    elif kind in ("duplicate_mobile", "duplicate_email"):
        other = row - DUPLICATE_DISTANCE if row >= DUPLICATE_DISTANCE else row + DUPLICATE_DISTANCE
        if other >= n_total:
            other = (row + n_total // 2) % max(n_total, 1)
        if other != row:
            if kind == "duplicate_mobile":
                mobile = _mobile_digits(seed, other)
            else:
                email = _email(seed, other).upper() if rng.random() < 0.5 else _email(seed, other)
    elif kind == "unknown_slab":
        loyalty_type, slab = "loyalty", rng.choice(_UNKNOWN_SLABS)
    elif kind == "future_registration":
        future = _FUTURE_START + dt.timedelta(seconds=rng.randrange(5 * 365 * 86400))
        registration_date = future.strftime("%Y-%m-%d %H:%M:%S")
    elif kind == "missing_store_and_till":
        store = till = None
    elif kind == "empty_registration_date":
        registration_date = ""

    if kind is None and _is_padded(seed, row):
        pad = rng.choice(_PADS)
        target = rng.randrange(4)
        if target == 0:
            mobile = f"{pad}{mobile}{pad}"
        elif target == 1:
            email = f"{pad}{email}"
        elif target == 2 and store is not None:
            store = f"{store}{pad}"
        elif slab is not None:
            slab = f"{pad}{slab}{pad}"
        else:
            first = f"{pad}{first}"

    return (
        mobile, email, external_id, first, last, registration_date, store, till, loyalty_type, slab,
        slab_expiry, status, fav_category, newsletter, visits, gender_out, dob, city,
    )  # fmt: skip


def _batch(seed: int, start: int, stop: int, n_total: int) -> pa.RecordBatch:
    rows = [_record(seed, r, n_total) for r in range(start, stop)]
    columns = list(zip(*rows)) if rows else [[] for _ in SCHEMA]
    return pa.RecordBatch.from_arrays(
        [pa.array(col, type=field.type) for col, field in zip(columns, SCHEMA)], schema=SCHEMA
    )


def iter_customer_registrations(
    n: int = 10_000, seed: int = 1001, *, batch_size: int = 50_000
) -> Iterator[pa.RecordBatch]:
    """The same records as :func:`generate_customer_registrations`, in batches (bounded memory)."""
    for start in range(0, n, batch_size):
        yield _batch(seed, start, min(n, start + batch_size), n)


def generate_customer_registrations(
    n: int = 10_000, seed: int = 1001, *, start_row: int = 0, total: int | None = None
) -> pa.Table:
    """Records ``start_row .. start_row + n - 1`` of a ``total``-record demo table (default: ``n`` records)."""
    total = start_row + n if total is None else total
    return pa.Table.from_batches([_batch(seed, start_row, start_row + n, total)], schema=SCHEMA)


def reader(n: int = 10_000, seed: int = 1001, *, batch_size: int = 50_000) -> pa.RecordBatchReader:
    """A RecordBatchReader over the demo records (for streaming writes)."""
    return pa.RecordBatchReader.from_batches(SCHEMA, iter_customer_registrations(n, seed, batch_size=batch_size))
