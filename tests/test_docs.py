"""The reference docs generated from the code are committed up to date."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_events_and_configuration_docs_are_up_to_date():
    r = subprocess.run([sys.executable, "scripts/gen_reference_docs.py", "--check"], cwd=REPO,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
