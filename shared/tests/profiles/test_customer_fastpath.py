"""The columnar fast paths never disagree with the per-value rules (phonenumbers / email-validator): every value a
fast path accepts gets exactly the rule's answer. Large random samples, biased towards the edges of the
accepted shapes (country-code prefixes, national prefixes, lengths, separators, special-use domains)."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from dataimport.orgs import demo_org_config
from dataimport.profiles.customer.fastpath import email_fast, mobile_fast
from dataimport.profiles.customer.rules import email_rule, mobile_rule

N = 60_000


def _mobile_sample(rng: random.Random, cc: str) -> list[str]:
    out = []
    for _ in range(N):
        length = rng.choice([5, 6, 7, 8, 9, 10, 10, 10, 10, 11, 12, 13, 14])
        lead = rng.choice("0123456789" + "6789" * 3)
        body = lead + "".join(rng.choice("0123456789") for _ in range(length - 1))
        form = rng.random()
        if form < 0.30:
            s = body
        elif form < 0.45:
            s = "+" + cc + body
        elif form < 0.60:
            s = cc + body
        elif form < 0.68:
            s = "+" + body  # another (or no) country
        elif form < 0.76:
            s = "+" + cc + " " + body[:5] + " " + body[5:]
        elif form < 0.82:
            s = "00" + cc + body
        elif form < 0.88:
            s = "0" + body
        elif form < 0.94:
            s = body[:3] + " " + body[3:]
        else:
            s = rng.choice(["+", "", "++"]) + cc[: rng.randint(0, len(cc))] + body
        out.append(s)
    return out


@pytest.mark.parametrize(
    ("base", "supported"),
    [("IN", ["AE"]), ("AE", ["IN"]), ("GB", []), ("US", []), ("DE", ["AT"]), ("BR", []), ("SG", ["MY"])],
)
def test_mobile_fast_path_agrees_with_phonenumbers(base: str, supported: list[str]) -> None:
    from phonenumbers import country_code_for_region

    org = demo_org_config().model_copy(update={"base_country": base, "supported_countries": supported})
    rng = random.Random(f"mobile-{base}")
    sample = _mobile_sample(rng, str(country_code_for_region(base)))
    accepted, values = mobile_fast(pa.array(sample, pa.string()), org.base_country, org.allowed_countries)
    rule = mobile_rule(org)
    checked = 0
    for text, ok, value in zip(sample, accepted, values):
        if ok:
            assert rule(text) == value, text
            checked += 1
    if base == "IN":
        assert checked > N // 10  # the fast path does take the common shapes


def _email_sample(rng: random.Random) -> list[str]:
    atoms = ["john", "Jane", "a", "x1", "o'neil", "first.last", "dot..dot", ".lead", "trail.", "a+b", "a-b", "a_b",
             "üser", "very" * 20, "q\"uote", "sp ace", "UPPER"]  # fmt: skip
    labels = ["gmail", "example", "co", "in", "a", "xn--bcher-kva", "ab--cd", "-x", "x-", "1", "123", "sub-domain",
              "local", "localhost", "test", "invalid", "arpa", "onion", "l" * 63, "l" * 64, "ü", "EXAMPLE"]  # fmt: skip
    tlds = ["com", "in", "co", "c", "123", "test", "local", "LOCAL", "org", "x1", "onion", "arpa", "museum"]
    out = []
    for _ in range(N):
        local = ".".join(rng.choice(atoms) for _ in range(rng.choice([1, 1, 2, 3])))
        domain = ".".join([rng.choice(labels) for _ in range(rng.choice([0, 1, 1, 2, 3]))] + [rng.choice(tlds)])
        sep = rng.choice(["@"] * 12 + ["@@", "", " @", "@ "])
        s = local + sep + domain
        if rng.random() < 0.05:
            s = s * rng.choice([2, 5])
        out.append(s)
    return out


def test_email_fast_path_agrees_with_email_validator() -> None:
    sample = _email_sample(random.Random("email"))
    accepted, values = email_fast(pa.array(sample, pa.string()))
    checked = 0
    for text, ok, value in zip(sample, accepted, values):
        if ok:
            assert email_rule(text) == value, text
            checked += 1
    assert checked > N // 40


def test_fast_paths_skip_what_they_cannot_decide() -> None:
    org = demo_org_config()
    col = pa.array([None, "", " 9876543210", "9876543210\u00a0", "+971501234567", "98765 43210", "9876543210"])
    accepted, values = mobile_fast(col, org.base_country, org.allowed_countries)
    assert accepted.tolist() == [False, False, False, False, False, True, True]
    assert values[-1] == "919876543210"
    accepted, _ = mobile_fast(pa.array([9876543210], pa.int64()), org.base_country, org.allowed_countries)
    assert not accepted.any()  # typed numbers take the rule
    accepted, values = email_fast(pa.array(["A.B@Example.COM", " a@b.com", "a@b.test", "a@xn--bcher-kva.de", None]))
    assert accepted.tolist() == [True, False, False, False, False]
    assert values[0] == "a.b@example.com"
