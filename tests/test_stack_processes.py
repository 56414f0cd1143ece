"""`make up` is idempotent: run again on a running stack it starts nothing, leaving one process of each
(issue 2). Processes are counted from /proc, not from pid files."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
SERVICES = ("job-api", "validator", "ingestor", "reporter")


def _cmdlines() -> list[list[str]]:
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                raw = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if raw:
                out.append(raw.decode(errors="replace").split("\0"))
    return out


def _count() -> dict[str, int]:
    counts = dict.fromkeys((*SERVICES, "kafka", "postgres"), 0)
    data = str(REPO / ".data")
    for argv in _cmdlines():
        joined = " ".join(argv)
        for svc in SERVICES:
            if any(a == str(REPO / ".venv" / "bin" / svc) for a in argv):
                counts[svc] += 1
        if "kafka.Kafka" in argv and data in joined:
            counts["kafka"] += 1
        if os.path.basename(argv[0]) == "postgres" and "-D" in argv:
            target = argv[argv.index("-D") + 1]
            if Path(target).resolve().is_relative_to((REPO / ".data" / "postgres").resolve()):
                counts["postgres"] += 1
    return counts


def test_make_up_twice_leaves_one_process_of_each():
    if os.environ.get("EXTERNAL_KAFKA") or os.environ.get("EXTERNAL_POSTGRES"):
        pytest.skip("the stack uses an external Kafka or PostgreSQL")
    subprocess.run(["make", "--no-print-directory", "up"], cwd=REPO, check=True, stdout=subprocess.DEVNULL, timeout=300)
    before = _count()
    subprocess.run(["make", "--no-print-directory", "up"], cwd=REPO, check=True, stdout=subprocess.DEVNULL, timeout=300)
    after = _count()
    assert before == after == {**dict.fromkeys(SERVICES, 1), "kafka": 1, "postgres": 1}
    for name in (*SERVICES, "kafka", "postgres"):
        assert (REPO / ".data" / "run" / f"{name}.pid").exists()
