"""Micro-benchmark of the Customer profile's CPU cost: ``prepare`` and ``decide`` of 10,000-record chunks of the
bench generator's messy data (``dataimport.bench.gen``), upsert by MOBILE with the demo mapping, in one process.

    uv run python -m dataimport.bench.profile_micro [--chunks 8] [--rows 10000] [--existing 1000000]

For every chunk it times, on the same chunk:

* ``ref``: the reference paths -- ``prepare(fast=False)`` (every value through its field's per-value rule) and
  ``decide_per_record`` (one record at a time);
* ``prev``: the paths of the previous round -- ``prepare(encode=False)`` (the per-row loop with only the
  mobile / email fast paths) and ``decide_per_record``;
* ``new``: the paths the validator runs -- ``prepare`` (dictionary encoding, every columnar fast path) and the
  column-wise ``decide``;

checks that all three give identical results, and prints the times in ms and the ratios ``new / ref`` and
``new / prev``. The
ratios are the figure to compare between runs (the machine is shared and noisy; absolute times move). The
phonenumbers / email-validator caches are cleared before each timed ``prepare`` so that neither path profits
from the other's (or an earlier chunk's) work.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from dataimport.bench.gen import existing_mobile, source_batch
from dataimport.demo import DEMO_MAPPING
from dataimport.orgs import demo_org_config
from dataimport.profiles.base import FieldMapping, JobConfig
from dataimport.profiles.customer import CustomerState
from dataimport.profiles.customer import decide as _decide
from dataimport.profiles.customer import prepare as _prepare
from dataimport.profiles.customer import rules as _rules


def _clear_caches() -> None:
    _rules._mobile.cache_clear()
    _rules._email.cache_clear()


def _timed(fn, *args, **kwargs):
    _clear_caches()
    gc.collect()
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def _existing(lookup: dict, known: set[str]) -> list[CustomerState]:
    """The existing customers the store would answer: those among the chunk's mobiles (as the bench seeds them:
    non_loyalty, no slab, status Suspicious)."""
    return [
        CustomerState(user_id=i + 1, mobile=m, loyalty_type="non_loyalty", status_label="Suspicious")
        for i, m in enumerate(v for v in lookup.get("mobile", []) if v in known)
    ]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chunks", type=int, default=8)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--existing", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args(argv)

    org = demo_org_config()
    job = JobConfig("upsert", "MOBILE", tuple(FieldMapping(s, f, m) for s, f, m in DEMO_MAPPING))
    now = datetime.now(UTC)
    known = {"91" + m for m in existing_mobile(np.arange(args.existing)).to_pylist()}  # normalised: with the country code
    print(f"profile_micro: {args.chunks} chunks of {args.rows} records, upsert by MOBILE, demo mapping")
    print("chunk | prepare ms: ref   prev    new  new/ref new/prev | decide ms: ref(=prev)  new  new/ref")
    ratios: dict[str, list[float]] = {"p_ref": [], "p_prev": [], "d": []}
    totals = {"ref": 0.0, "prev": 0.0, "new": 0.0}
    for c in range(args.chunks):
        start = c * args.rows
        batch = pa.Table.from_batches([source_batch(start, start + args.rows, args.existing, args.seed)])
        batch = batch.add_column(0, _prepare.ROW_ID, pa.array(np.arange(start, start + args.rows), pa.int64()))
        ref, t_pref = _timed(_prepare.prepare, batch, job, org, now, fast=False)
        prev, t_pprev = _timed(_prepare.prepare, batch, job, org, now, encode=False)
        got, t_pnew = _timed(_prepare.prepare, batch, job, org, now)
        for other in (prev, got):
            if other.values != ref.values or other.lookup != ref.lookup or other.row_ids != ref.row_ids:
                raise SystemExit(f"chunk {c}: prepare differs from the reference")
        existing = _existing(got.lookup, known)
        ref_d, t_dref = _timed(_decide.decide_per_record, ref, existing)
        got_d, t_dnew = _timed(_decide.decide, got, existing)
        if got_d != ref_d or [list(d.payload) for d in got_d] != [list(d.payload) for d in ref_d]:
            raise SystemExit(f"chunk {c}: decide differs from the reference")
        ratios["p_ref"].append(t_pnew / t_pref)
        ratios["p_prev"].append(t_pnew / t_pprev)
        ratios["d"].append(t_dnew / t_dref)
        totals["ref"] += t_pref + t_dref
        totals["prev"] += t_pprev + t_dref
        totals["new"] += t_pnew + t_dnew
        print(
            f"{c:5d} | {t_pref * 1e3:16.1f} {t_pprev * 1e3:6.1f} {t_pnew * 1e3:6.1f} {ratios['p_ref'][-1]:8.2f}"
            f" {ratios['p_prev'][-1]:8.2f} | {t_dref * 1e3:20.1f} {t_dnew * 1e3:5.1f} {ratios['d'][-1]:8.2f}"
        )
    med = {k: statistics.median(v) for k, v in ratios.items()}
    print(
        f"median ratios: prepare new/ref {med['p_ref']:.2f}, new/prev {med['p_prev']:.2f}; decide new/ref "
        f"{med['d']:.2f}; prepare + decide over all chunks new/ref {totals['new'] / totals['ref']:.2f}, "
        f"new/prev {totals['new'] / totals['prev']:.2f} ({len(job.mapping)} columns, {args.existing:,} "
        "existing customers; identical results on every chunk)"
    )


if __name__ == "__main__":
    main()
