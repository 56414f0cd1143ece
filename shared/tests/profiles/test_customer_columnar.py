"""The columnar paths of the Customer profile give exactly what the per-value / per-record reference gives.

``prepare`` (dictionary encoding + every columnar fast path) and ``prepare(encode=False)`` (the per-row loop) are
compared with ``prepare(fast=False)`` (every value through its field's rule) on large random samples, hostile
inputs included: NBSP, BOM, zero-width and other edge characters, NUL, lone surrogates (as binary: Arrow text
cannot hold them), decomposed accents, 10,000-character strings, malformed and impossible dates and times, typed
DATE / TIMESTAMP (every unit, naive and aware) / BIGINT / DECIMAL / DOUBLE / BOOLEAN columns, and zones with
and without transitions. Column-wise ``decide`` is compared with ``decide_per_record`` on random records and
random existing customers for every method and unique ID. Equality is exact: same values, same types, INVALID by
identity, payload keys in the same order.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from customer_helpers import make_batch, make_job, org_with

from dataimport.bench.gen import source_batch
from dataimport.demo import DEMO_MAPPING
from dataimport.demo_data import generate_customer_registrations
from dataimport.orgs import demo_org_config
from dataimport.profiles.base import FieldMapping, JobConfig
from dataimport.profiles.customer import CustomerState
from dataimport.profiles.customer.decide import decide, decide_per_record
from dataimport.profiles.customer.fastpath import constant_offset, registered_on_fast
from dataimport.profiles.customer.normalise import INVALID
from dataimport.profiles.customer.prepare import prepare

NOW = datetime(2025, 6, 15, 6, 30, 12, 345678, tzinfo=UTC)
EDGES = [" ", "\t", "\n", "\u00a0", "\ufeff", "\u200b", "\u2060", "\u2003", "\x1c", "\r\n", "\u180e"]
ODD = ["\x00", "\x07", "\x7f", "\x85", "e\u0301", "\u00e9", "\u212b", "\u0660", "\uff11", "ß", "İ", "😀", "\u200d"]
FIELDS = [
    "mobile", "email", "external_id", "first_name", "last_name", "registered_on", "registered_store",
    "registered_till", "loyalty_type", "slab", "slab_expiry", "status_label", "custom.fav_category",
    "custom.newsletter", "custom.visits", "custom.since", "custom.score", "extended.gender", "extended.dob",
    "extended.city", "extended.nationality", "extended.preferred_language",
]  # fmt: skip


def _org(timezone: str = "Asia/Kolkata", min_date: str | None = "2000-01-01"):
    base = demo_org_config().model_dump(mode="json")
    return org_with(
        timezone=timezone,
        min_registration_date=min_date,
        custom_fields=[
            {"name": "fav_category", "type": "string"},
            {"name": "newsletter", "type": "boolean"},
            {"name": "visits", "type": "integer"},
            {"name": "since", "type": "date"},
            {"name": "score", "type": "double"},
        ],
        extended_fields={
            "enabled": ["gender", "dob", "city", "nationality", "preferred_language"],
            "enum_values": base["extended_fields"]["enum_values"],
        },
    )


def _pad(rng: random.Random, text: str) -> str:
    r = rng.random()
    if r < 0.6:
        return text
    edge = "".join(rng.choice(EDGES) for _ in range(rng.randint(1, 3)))
    if r < 0.75:
        return edge + text
    if r < 0.9:
        return text + edge
    return edge + text + edge


def _datetime_text(rng: random.Random) -> str:
    year = rng.choice([1, 999, 1000, 1899, 1999, 2000, 2015, 2020, 2024, 2025, 2025, 2026, 9999])
    month = rng.choice([1, 2, 3, 6, 10, 12, 12, 0, 13])
    day = rng.choice([1, 15, 28, 29, 30, 31, 0, 32])
    hour = rng.choice([0, 5, 6, 12, 23, 24])
    minute = rng.choice([0, 29, 30, 59, 60])
    second = rng.choice([0, 12, 59, 60])
    if year == 2025 and rng.random() < 0.5:
        month, day = 6, 15  # around now, both sides
    sep = rng.choice([" ", " ", "T", "t", "_", "  "])
    date_part = f"{year:04d}-{month:02d}-{day:02d}"
    kind = rng.random()
    if kind < 0.35:
        return date_part
    text = f"{date_part}{sep}{hour:02d}:{minute:02d}:{second:02d}"
    if kind < 0.9:
        return text
    return rng.choice(
        [text + ".5", text + "+05:30", text + "Z", text[:16], f"{year}-{month}-{day}", date_part.replace("-", "/"),
         "20200105", text.replace("0", "\u0660")]
    )  # fmt: skip


def _random_text(rng: random.Random, field: str) -> str:
    r = rng.random()
    if r < 0.03:
        return "x" * 10_000 if rng.random() < 0.5 else ("9" * 9_999 + "@")
    if r < 0.35:
        pools = {
            "mobile": ["9876543210", "+919876543210", "919876543210", "+91 98765 43210", "+971501234567", "12345",
                       "0000123456", "98765abc10", "1e10", "98765.43210", "+1 212 555 0100", "00919876543210"],
            "email": ["a.b@example.com", "A.B+x@Example.CO.IN", "x@localhost", "a..b@x.com", "a@b", "a@x--y.com",
                      "ü@例え.jp", "a@xn--80ak6aa92e.com", "x@test", "a@b.local"],
            "registered_store": ["STORE001", "store001", "STORE002", "0STORE001", "STORE999"],
            "registered_till": ["TILL001", "till001", "TILL003", "TILL999"],
            "loyalty_type": ["loyalty", "LOYALTY", "non_loyalty", "Non_Loyalty", "nonloyalty"],
            "slab": ["Silver", "gold", "PLATINUM", " Gold ", "Bronze"],
            "status_label": ["Active", "active", "Suspicious", "Deleted", "Pending Deletion", "Nope"],
            "custom.newsletter": ["true", "False", "yes", "0", "1", "2", "maybe"],
            "custom.visits": ["7", "7.0", "-3", "+12", "9223372036854775808", "1e3", "abc"],
            "custom.score": ["1.5", ".5", "5.", "-0", "nan", "inf", "1e400"],
            "extended.gender": ["Male", "female", "OTHER", "x"],
            "extended.nationality": ["in", "IN", "ae", "XX", "India"],
            "extended.preferred_language": ["en", "EN-in", "hi_IN", "xx", "en-XX", "eng"],
        }
        if field in pools:
            return _pad(rng, rng.choice(pools[field]))
        return _pad(rng, _datetime_text(rng))
    if r < 0.65 and field in ("registered_on", "slab_expiry", "custom.since", "extended.dob"):
        return _pad(rng, _datetime_text(rng))
    alphabet = "abcXYZ019 .-+@_:/" + "".join(ODD) + "".join(EDGES)
    core = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
    if rng.random() < 0.5:
        core = "".join(rng.choice("abcdefgh0123456789") for _ in range(rng.randint(1, 12)))
    return _pad(rng, core)


def _text_column(rng: random.Random, field: str, n: int) -> list[str | None]:
    values: list[str | None] = []
    for _ in range(n):
        if rng.random() < 0.08:
            values.append(None)
        elif values and rng.random() < 0.2:
            values.append(rng.choice(values))  # repeats: the dictionary path's reason to exist
        else:
            values.append(_random_text(rng, field))
    return values


def _assert_same(got: dict[str, list[Any]], want: dict[str, list[Any]]) -> None:
    assert got.keys() == want.keys()
    for f in want:
        for i, (a, b) in enumerate(zip(got[f], want[f], strict=True)):
            if b is INVALID or a is INVALID:
                assert a is b, (f, i, a, b)
            else:
                assert type(a) is type(b) and a == b, (f, i, a, b)


def _check(batch: pa.Table, job: JobConfig, org, now: datetime = NOW) -> None:
    want = prepare(batch, job, org, now, fast=False)
    for kwargs in ({}, {"encode": False}):
        got = prepare(batch, job, org, now, **kwargs)
        _assert_same(got.values, want.values)
        assert got.lookup == want.lookup
        assert got.row_ids == want.row_ids


@pytest.mark.parametrize(
    ("timezone", "min_date"),
    [("Asia/Kolkata", "2000-01-01"), ("UTC", None), ("Europe/London", "2000-01-01"), ("Asia/Kathmandu", None),
     ("America/St_Johns", "2019-01-01"), ("Pacific/Kiritimati", "1995-01-01")],
)  # fmt: skip
def test_prepare_text_columns_match_the_rules(timezone: str, min_date: str | None) -> None:
    rng = random.Random(f"text-{timezone}")
    org = _org(timezone, min_date)
    n = 6_000
    job = make_job(FIELDS, method="upsert")
    _check(make_batch({f: pa.array(_text_column(rng, f, n), pa.string()) for f in FIELDS}, n), job, org)
    # large_string and chunked columns take the same paths
    big = {f: pa.chunked_array([pa.array(_text_column(rng, f, n // 2), pa.large_string())] * 2) for f in FIELDS}
    _check(make_batch(big, n), job, org)


def test_prepare_well_formed_timestamps_in_every_zone() -> None:
    """The registration fast path on its home ground: well-formed naive timestamps, both separators, around
    ``now`` and ``min_registration_date``, across DST transitions (zones with transitions in range go to the
    rule), at the edges of the representable years."""
    rng = random.Random("timestamps")
    n = 1_500
    starts = [datetime(1000, 1, 1), datetime(1999, 12, 30), datetime(2025, 6, 13), datetime(2024, 3, 9),
              datetime(2024, 10, 26), datetime(9999, 12, 27), datetime(2015, 1, 1)]  # fmt: skip
    for timezone in ("Asia/Kolkata", "UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe",
                     "Asia/Tehran", "Africa/Casablanca"):  # fmt: skip
        for min_date in (None, "2000-01-01"):
            org = _org(timezone, min_date)
            for start in starts:
                span = 3650 * 86400 if start.year == 2015 else 4 * 86400
                values = []
                for _ in range(n):
                    t = start + timedelta(seconds=rng.randint(0, span))
                    values.append(t.strftime(f"%Y-%m-%d{rng.choice(' T')}%H:%M:%S"))
                job = make_job(["registered_on", "custom.since"])
                cols = {"registered_on": values, "custom.since": [v[:10] for v in values]}
                _check(make_batch(cols, n), job, org)


def test_registration_fast_path_accepts_the_usual_values() -> None:
    """Not a correctness check (the others are): the fast path does take the common shapes."""
    org = demo_org_config()
    values = pa.array(["2020-01-05 10:00:00", "2020-01-05T10:00:00", "2020-01-05", " 2020-01-05 10:00:00",
                       "2020-02-30 10:00:00", "2030-01-05 10:00:00", "1999-12-31 23:59:59"])  # fmt: skip
    accepted, out = registered_on_fast(values, org.zone, NOW, NOW.date(), org.min_registration_date)
    assert accepted.tolist() == [True, True, True, False, False, False, False]
    assert out[:3] == ["2020-01-05T04:30:00+00:00", "2020-01-05T04:30:00+00:00", "2020-01-05T00:00:00+00:00"]


def test_prepare_typed_columns_match_the_rules() -> None:
    rng = random.Random("typed")
    n = 5_000
    org = _org()
    days = [rng.choice([-719162, -354286, -354285, 0, 10957, 20254, 20255, 20254 + 366, 47482, 47483, 2932896])
            + rng.randint(-2, 2) for _ in range(n)]  # fmt: skip
    days = [min(max(d, -719162), 2932896) for d in days]
    dates = pa.array([None if rng.random() < 0.05 else d for d in days], pa.date32())
    secs = [d * 86400 + rng.randint(-86400, 86400) for d in days]
    secs = [min(max(s, -62104060800), 253370764800) for s in secs]  # years 2-9998: aware values convert
    columns: dict[str, Any] = {}
    for k, (unit, mult) in enumerate([("s", 1), ("ms", 1000), ("us", 10**6), ("ns", 10**9)]):
        tz = [None, "UTC", "Asia/Kolkata", "America/New_York"][k]
        if unit == "ns":
            vals = [min(max(s, -9_000_000_000), 9_000_000_000) * mult + rng.randint(0, 999) for s in secs]
        else:
            vals = [s * mult for s in secs]
        columns[f"ts_{unit}"] = pa.array(vals, pa.timestamp(unit, tz))
    ints = pa.array([rng.choice([0, 1, -1, 7, 9876543210, 919876543210, 2**53 + 1, 2**63 - 1, -(2**63)])
                     for _ in range(n)], pa.int64())  # fmt: skip
    decimals = pa.array([Decimal(rng.choice(["9876543210", "9876543210.0", "7.5", "-3", "919876543210.00"]))
                         for _ in range(n)], pa.decimal128(20, 2))  # fmt: skip
    floats = pa.array([rng.choice([9876543210.0, 7.0, 7.5, -0.0, 0.0, float("nan"), float("inf"), 1e22])
                       for _ in range(n)], pa.float64())  # fmt: skip
    bools = pa.array([rng.choice([True, False, None]) for _ in range(n)], pa.bool_())
    binary = pa.array([rng.choice([b"9876543210", b"\xed\xa0\x80", b"a\x00b", b"\xff", "caf\u00e9".encode(),
                                   b" STORE001 ", b"2020-01-05"]) for _ in range(n)], pa.binary())  # fmt: skip
    typed = {"dates": dates, **columns, "ints": ints, "decimals": decimals, "floats": floats, "bools": bools,
             "binary": binary}  # fmt: skip
    for name, column in typed.items():
        cols = {f: column for f in FIELDS}
        _check(make_batch(cols, n), make_job(FIELDS, method="upsert"), org)


def test_prepare_hostile_strings() -> None:
    """Edge characters, NUL, controls, combining marks, 10,000-character values, in every field."""
    rng = random.Random("hostile")
    org = _org()
    samples = ["9876543210", "a.b@example.com", "2020-01-05 10:00:00", "2020-01-05", "STORE001", "Gold", "Active"]
    values = []
    for _ in range(6_000):
        base = rng.choice(samples)
        k = rng.random()
        if k < 0.3:
            base = _pad(rng, base)
        elif k < 0.5:
            i = rng.randint(0, len(base))
            base = base[:i] + rng.choice(ODD + EDGES) + base[i:]
        elif k < 0.55:
            base = base * (10_000 // len(base))
        elif k < 0.6:
            base = ""
        values.append(base)
    _check(make_batch({f: values for f in FIELDS}, len(values)), make_job(FIELDS, method="upsert"), org)


@pytest.mark.parametrize("start", [0, 30_000, 990_000])
def test_prepare_bench_and_demo_chunks(start: int) -> None:
    org = demo_org_config()
    job = JobConfig("upsert", "MOBILE", tuple(FieldMapping(s, f, m) for s, f, m in DEMO_MAPPING))
    _check(pa.Table.from_batches([source_batch(start, start + 10_000, 1_000_000)]), job, org)
    _check(generate_customer_registrations(5_000, seed=start + 1), job, org)


def test_constant_offset() -> None:
    kolkata = demo_org_config().zone
    lo = int(datetime(2015, 1, 1).replace(tzinfo=UTC).timestamp())
    hi = int(datetime(2024, 12, 31).replace(tzinfo=UTC).timestamp())
    assert constant_offset(kolkata, lo, hi) == 19_800
    london = _org("Europe/London").zone
    assert constant_offset(london, lo, hi) is None  # DST transitions in range
    winter = int(datetime(2024, 1, 10).replace(tzinfo=UTC).timestamp())
    assert constant_offset(london, winter, winter + 86400) == 0
    assert constant_offset(london, winter + 75 * 86400, winter + 80 * 86400) is None  # last Sunday of March
    assert constant_offset(_org("UTC").zone, -30_000_000_000, 200_000_000_000) == 0  # no transitions at all


# ---- decide ----------------------------------------------------------------------------------------------------

_LABELS = ["Active", "active", "Suspicious", "Deleted", "Pending Deletion", "Nope", None]


def _states(rng: random.Random, n: int) -> list[CustomerState]:
    out = []
    for uid in range(1, n + 1):
        out.append(
            CustomerState(
                user_id=uid,
                mobile=f"9198765{uid:05d}" if rng.random() < 0.9 else None,
                email=f"User{uid}@Example.com" if rng.random() < 0.7 else None,
                external_id=f"EX{uid}" if rng.random() < 0.6 else None,
                loyalty_type=rng.choice(["loyalty", "non_loyalty", None]),
                slab=rng.choice(["Gold", "silver", None]),
                status_label=rng.choice(_LABELS),
            )
        )
    return out


def _records(rng: random.Random, n: int, n_states: int) -> dict[str, list[Any]]:
    def ident(kind: str) -> Any:
        r = rng.random()
        if r < 0.1:
            return None
        if r < 0.12:
            return "bad value"
        uid = rng.randint(1, n_states * 2)
        return {"mobile": f"9198765{uid:05d}", "email": f"user{uid}@example.com", "external_id": f"EX{uid}"}[kind]

    def pick(pool: list[Any], bad: list[Any] = []) -> Any:  # noqa: B006 - read only
        if bad and rng.random() < 0.03:
            return rng.choice(bad)
        if rng.random() < 0.12:
            return None
        return rng.choice([v for v in pool if v is not None])

    cols: dict[str, list[Any]] = {f: [] for f in FIELDS + ["user_id"]}
    for _ in range(n):
        for f in ("mobile", "email", "external_id"):
            cols[f].append(ident(f))
        cols["user_id"].append(pick([None, "0", "x", *[str(rng.randint(1, n_states * 2)) for _ in range(6)]]))
        cols["first_name"].append(pick([None, "Asha"], ["A" * 101]))
        cols["last_name"].append(pick([None, "Rao"]))
        cols["registered_on"].append(pick([None, "2020-01-05 10:00:00"], ["2030-01-01", "garbage"]))
        cols["registered_store"].append(pick([None, "STORE001"], ["STORE999"]))
        cols["registered_till"].append(pick([None, "TILL001"], ["TILL999"]))
        cols["loyalty_type"].append(pick([None, "loyalty", "non_loyalty", "LOYALTY"], ["other"]))
        cols["slab"].append(pick([None, "Gold", "silver", "Platinum"], ["Bronze"]))
        cols["slab_expiry"].append(pick([None, "2030-01-01"], ["2001-01-01", "x"]))
        cols["status_label"].append(pick([None, "Active", "suspicious", "Deleted", "Pending Deletion"], ["Nope"]))
        cols["custom.fav_category"].append(pick([None, "Books", ""]))
        cols["custom.newsletter"].append(pick([None, "true", "no"], ["maybe"]))
        cols["custom.visits"].append(pick([None, "3"], ["x"]))
        cols["custom.since"].append(pick([None, "2020-01-01"], ["2020-13-01"]))
        cols["custom.score"].append(pick([None, "1.5"], ["inf"]))
        cols["extended.gender"].append(pick([None, "Male"], ["x"]))
        cols["extended.dob"].append(pick([None, "1990-05-05"], ["1990-02-30"]))
        cols["extended.city"].append(pick([None, "Pune"]))
        cols["extended.nationality"].append(pick([None, "IN"], ["XX"]))
        cols["extended.preferred_language"].append(pick([None, "en"], ["xx"]))
    return cols


@pytest.mark.parametrize("seed", range(12))
def test_decide_columnwise_matches_per_record(seed: int) -> None:
    rng = random.Random(f"decide-{seed}")
    org = org_with(
        allow_registration_from_any_identifier=rng.random() < 0.5,
        email_unique=rng.random() < 0.6,
        custom_fields=[
            {"name": "fav_category", "type": "string"},
            {"name": "newsletter", "type": "boolean"},
            {"name": "visits", "type": "integer"},
            {"name": "since", "type": "date"},
            {"name": "score", "type": "double"},
        ],
        extended_fields={
            "enabled": ["gender", "dob", "city", "nationality", "preferred_language"],
            "enum_values": {"gender": ["Male", "Female", "Other"]},
        },
    )
    n, n_states = 3_000, 400
    cols = _records(rng, n, n_states)
    states = _states(rng, n_states)
    batch = make_batch({f: pa.array(v, pa.string()) for f, v in cols.items()}, n)
    seen = {"create": 0, "update": 0, "invalid": 0}
    for method, unique_id in [("insert", "MOBILE"), ("upsert", "MOBILE"), ("upsert", "EMAIL"),
                              ("upsert", "EXTERNAL_ID"), ("update", "MOBILE"), ("update", "USER_ID"),
                              ("insert", "EXTERNAL_ID"), ("update", "EMAIL")]:  # fmt: skip
        fields = [f for f in cols if rng.random() < 0.8 or f in ("mobile", "registered_on", "loyalty_type")]
        if unique_id == "USER_ID" and "user_id" not in fields:
            fields.append("user_id")
        if unique_id == "EMAIL" and "email" not in fields:
            fields.append("email")
        if unique_id == "EXTERNAL_ID" and "external_id" not in fields:
            fields.append("external_id")
        if unique_id != "USER_ID" and "user_id" in fields:
            fields.remove("user_id")
        rng.shuffle(fields)
        mandatory = [f for f in fields if rng.random() < 0.2]
        job = make_job(fields, method=method, unique_id=unique_id, mandatory=mandatory)
        prepared = prepare(batch, job, org, NOW)
        existing = rng.sample(states, rng.randint(0, n_states))
        got = decide(prepared, existing)
        want = decide_per_record(prepared, existing)
        assert got == want, (method, unique_id)
        assert [list(d.payload) for d in got] == [list(d.payload) for d in want]
        assert [list(d.dedupe_keys) for d in got] == [list(d.dedupe_keys) for d in want]
        for d in got:
            seen[d.action or "invalid"] += 1
    assert min(seen.values()) > 150, seen  # every kind of outcome is exercised


def test_decide_bench_chunk_matches_per_record() -> None:
    org = demo_org_config()
    for method in ("insert", "upsert", "update"):
        job = JobConfig(method, "MOBILE", tuple(FieldMapping(s, f, m) for s, f, m in DEMO_MAPPING))
        prepared = prepare(pa.Table.from_batches([source_batch(0, 10_000, 1_000_000)]), job, org, NOW)
        rng = random.Random(method)
        existing = [
            CustomerState(user_id=i + 1, mobile=m, loyalty_type=rng.choice(["loyalty", "non_loyalty"]),
                          slab=rng.choice(["Gold", None]), status_label=rng.choice(_LABELS))  # fmt: skip
            for i, m in enumerate(prepared.lookup["mobile"])
            if rng.random() < 0.15
        ]
        got, want = decide(prepared, existing), decide_per_record(prepared, existing)
        assert got == want
        assert [list(d.payload) for d in got] == [list(d.payload) for d in want]

