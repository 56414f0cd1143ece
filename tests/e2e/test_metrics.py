"""Every metric the Grafana dashboard and the Prometheus alert rules query is one the running services export
(checked against live /metrics scrapes), and no metric carries a job id as a label (SPEC 9, issue 9)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import httpx
import pytest
import yaml

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
NAME = re.compile(r"\b(dataimport_[a-z0-9_]+)")
SERVICES = {"job-api": 8080, "validator": 8081, "ingestor": 8082, "reporter": 8083}


def _queried() -> set[str]:
    dashboard = json.loads((REPO / "deploy/grafana/dataimport-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", []) if "expr" in t]
    rules = yaml.safe_load((REPO / "deploy/prometheus/alerts.yaml").read_text())
    exprs += [r["expr"] for g in rules["groups"] for r in g["rules"]]
    assert exprs, "no queries found"
    return {n for e in exprs for n in NAME.findall(e)}


def _scrape() -> tuple[set[str], str]:
    offset = int(os.environ.get("SERVICE_PORT_OFFSET", "0"))
    names: set[str] = set()
    texts = []
    for service, port in SERVICES.items():
        text = httpx.get(f"http://127.0.0.1:{port + offset}/metrics", timeout=10).text
        texts.append(text)
        for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M):
            suffixes = {"histogram": ["_bucket", "_count", "_sum"]}.get(kind, [""])  # counters: TYPE names *_total
            names.update(name + s for s in suffixes)
    return names, "\n".join(texts)


def test_dashboard_and_alerts_query_only_exported_metrics(api):
    queried = _queried()
    exported, _ = _scrape()
    assert queried, "the dashboard queries no dataimport metric"
    assert queried <= exported, f"queried but not exported: {sorted(queried - exported)}"


def test_no_metric_is_labelled_by_job(api):
    _, text = _scrape()
    assert "job_id=" not in text
