"""``python -m dataimport.bench.chart OUT.png RUN.json [RUN.json ...]``: the phases of bench runs as stacked bars,
each next to its floor (matplotlib, dev dependency)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

PHASES = [
    ("validation_s", "validation"),
    ("validate_report_s", "validate report"),
    ("approval_s", "approval (script)"),
    ("ingestion_s", "ingestion"),
    ("ingest_report_s", "ingest report"),
]


def main(argv: list[str]) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out, runs = Path(argv[0]), [json.loads(Path(p).read_text()) for p in argv[1:]]
    labels = [r.get("label") or f"{r['rows']:,} rows" for r in runs]
    fig, ax = plt.subplots(figsize=(9, 2.0 + 0.9 * len(runs)))
    y = list(range(len(runs)))
    left = [0.0] * len(runs)
    for key, name in PHASES:
        widths = [float(r["phases"].get(key) or 0) for r in runs]
        ax.barh(y, widths, left=left, height=0.35, label=name)
        left = [a + b for a, b in zip(left, widths)]
    ax.barh([v + 0.4 for v in y], [r["floor"]["seconds"] for r in runs], height=0.3, color="black",
            label="floor (COPY + INSERT ... ON CONFLICT)")  # fmt: skip
    for v, r in zip(y, runs):
        ax.text(left[v] + 1, v, f"{r['seconds']:.0f} s, {r['records_per_second']:,.0f} rec/s, ratio {r['ratio']}",
                va="center", fontsize=8)  # fmt: skip
    ax.set_yticks([v + 0.2 for v in y], labels)
    ax.invert_yaxis()
    ax.set_xlabel("seconds")
    ax.set_title("make bench: upsert into 1,000,000 existing customers (2 cores, shared)", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3)
    ax.set_xlim(0, max(r["seconds"] for r in runs) * 1.45)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
