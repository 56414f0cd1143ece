"""Control of the local stack from tests: kill, terminate and bring back processes the way an SRE would."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUN = REPO / ".data" / "run"


def pid_of(name: str) -> int | None:
    try:
        pid = int((RUN / f"{name}.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def instances(service: str) -> list[str]:
    """Running instance names of a service: ``validator`` or ``validator-1``, ``validator-2``, ..."""
    names = sorted(p.stem for p in RUN.glob(f"{service}*.pid"))
    return [n for n in names if (n == service or n.startswith(service + "-")) and pid_of(n)]


def kill(name: str, sig: int = signal.SIGKILL, wait: float = 30.0) -> float:
    """Send ``sig`` and wait for the process to be gone; returns the seconds it took to exit."""
    pid = pid_of(name)
    assert pid, f"{name} is not running"
    started = time.monotonic()
    os.kill(pid, sig)
    while time.monotonic() - started < wait:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return time.monotonic() - started
        # a zombie child of someone else is gone for our purposes once it stops running
        try:
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                return time.monotonic() - started
        except FileNotFoundError:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"{name} (pid {pid}) still alive {wait}s after signal {sig}")


def make(*targets: str, **env: str) -> None:
    subprocess.run(
        ["make", "--no-print-directory", *targets],
        cwd=REPO,
        env={**os.environ, **env},
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=300,
    )


def script(*args: str) -> None:
    subprocess.run(args, cwd=REPO, check=True, stdout=subprocess.DEVNULL, timeout=300)
