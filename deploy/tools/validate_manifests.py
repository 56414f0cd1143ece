#!/usr/bin/env python3
"""Validate rendered Kubernetes manifests, strictly, offline.

Built-in kinds: the strict JSON schemas shipped in the PyPI package
``kubernetes-validate`` (unknown fields are errors). Custom resources: the
``openAPIV3Schema`` of the CRD YAML files given with ``--crd`` (KEDA,
prometheus-operator), made strict the same way (``additionalProperties: false``
wherever the CRD lists properties and does not preserve unknown fields).
A document whose kind has no schema is an error, never skipped.

On top of the schemas, a few chart policies (security context, probes,
one autoscaler per Deployment, replicas capped at the partition count).

usage: validate_manifests.py --kubernetes-version 1.33.0 [--crd FILE]... MANIFEST...
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections import defaultdict
from typing import Any

import jsonschema
import kubernetes_validate
import yaml


def strictify(node: Any) -> Any:
    """CRD structural schema -> strict JSON schema (draft 7 compatible)."""
    if isinstance(node, list):
        return [strictify(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: strictify(v) for k, v in node.items()}
    if node.pop("x-kubernetes-int-or-string", False):
        node.pop("type", None)
        node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.pop("nullable", False) and "type" in node:
        node["type"] = [node["type"], "null"]
    preserve = node.pop("x-kubernetes-preserve-unknown-fields", False)
    for key in list(node):
        if key.startswith("x-kubernetes-"):
            node.pop(key)
    if "properties" in node and "additionalProperties" not in node and not preserve:
        node["additionalProperties"] = False
    return node


def load_crds(paths: list[str]) -> dict[tuple[str, str], dict]:
    schemas: dict[tuple[str, str], dict] = {}
    for path in paths:
        with open(path) as fh:
            for crd in yaml.safe_load_all(fh):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                group = crd["spec"]["group"]
                kind = crd["spec"]["names"]["kind"]
                for version in crd["spec"]["versions"]:
                    if not version.get("served", True):
                        continue
                    schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
                    props = schema.setdefault("properties", {})
                    props["apiVersion"] = {"type": "string", "enum": [f"{group}/{version['name']}"]}
                    props["kind"] = {"type": "string", "enum": [kind]}
                    props["metadata"] = {"type": "object"}  # checked below like any object's metadata
                    schemas[(f"{group}/{version['name']}", kind)] = strictify(schema)
    return schemas


META_SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 63}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "additionalProperties": False,
}

STANDARD_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by")


def policy(docs: list[tuple[str, dict]]) -> list[str]:
    errors: list[str] = []
    partitions = None
    for _, doc in docs:
        if doc["kind"] == "ConfigMap" and "TOPIC_PARTITIONS" in (doc.get("data") or {}):
            partitions = int(doc["data"]["TOPIC_PARTITIONS"])
    scalers: dict[str, list[str]] = defaultdict(list)
    for where, doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        labels = doc["metadata"].get("labels") or {}
        for label in STANDARD_LABELS:
            if label not in labels:
                errors.append(f"{where}: {kind}/{name}: missing label {label}")
        if kind in ("Deployment", "Job"):
            pod = doc["spec"]["template"]["spec"]
            if not (pod.get("securityContext") or {}).get("runAsNonRoot"):
                errors.append(f"{where}: {kind}/{name}: pod securityContext.runAsNonRoot is not true")
            for c in pod["containers"]:
                sc = c.get("securityContext") or {}
                if not sc.get("readOnlyRootFilesystem"):
                    errors.append(f"{where}: {kind}/{name}/{c['name']}: readOnlyRootFilesystem is not true")
                if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                    errors.append(f"{where}: {kind}/{name}/{c['name']}: capabilities.drop lacks ALL")
                if sc.get("allowPrivilegeEscalation") is not False:
                    errors.append(f"{where}: {kind}/{name}/{c['name']}: allowPrivilegeEscalation is not false")
                if not (c.get("resources") or {}).get("requests"):
                    errors.append(f"{where}: {kind}/{name}/{c['name']}: no resource requests")
                if not any(m.get("mountPath") == "/tmp" for m in c.get("volumeMounts") or []):
                    errors.append(f"{where}: {kind}/{name}/{c['name']}: no writable /tmp")
                if kind == "Deployment":
                    for probe, path in (("startupProbe", "/livez"), ("livenessProbe", "/livez"), ("readinessProbe", "/readyz")):
                        got = ((c.get(probe) or {}).get("httpGet") or {}).get("path")
                        if got != path:
                            errors.append(f"{where}: {kind}/{name}/{c['name']}: {probe} path {got!r}, want {path!r}")
        if kind in ("HorizontalPodAutoscaler", "ScaledObject"):
            target = doc["spec"]["scaleTargetRef"]["name"]
            scalers[target].append(f"{kind}/{name}")
            top = doc["spec"].get("maxReplicas", doc["spec"].get("maxReplicaCount"))
            if partitions is not None and top is not None and top > partitions:
                errors.append(f"{where}: {kind}/{name}: max replicas {top} > {partitions} partitions")
    for target, owners in scalers.items():
        if len(owners) > 1:
            errors.append(f"Deployment/{target} has more than one autoscaler: {', '.join(owners)}")
    return errors


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kubernetes-version", default="1.33.0")
    ap.add_argument("--crd", action="append", default=[])
    ap.add_argument("manifests", nargs="+")
    args = ap.parse_args()

    crds = load_crds(args.crd)
    docs: list[tuple[str, dict]] = []
    errors: list[str] = []
    counts: dict[str, int] = defaultdict(int)
    for path in args.manifests:
        with open(path) as fh:
            for i, doc in enumerate(yaml.safe_load_all(fh)):
                if not doc:
                    continue
                where = f"{path}#{i}"
                if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
                    errors.append(f"{where}: not a Kubernetes object")
                    continue
                kind, api = doc["kind"], doc["apiVersion"]
                name = (doc.get("metadata") or {}).get("name", "?")
                label = f"{where} {kind}/{name}"
                try:
                    if (api, kind) in crds:
                        jsonschema.Draft7Validator(crds[(api, kind)]).validate(doc)
                        jsonschema.Draft7Validator(META_SCHEMA).validate(doc.get("metadata"))
                    else:
                        kubernetes_validate.validate(doc, args.kubernetes_version, strict=True)
                except kubernetes_validate.SchemaNotFoundError as exc:
                    errors.append(f"{label}: no schema for {api} {kind} (kubernetes {exc.version}, CRDs given: "
                                  f"{sorted({k for _, k in crds})})")
                    continue
                except jsonschema.ValidationError as exc:
                    loc = "/".join(str(p) for p in exc.absolute_path)
                    errors.append(f"{label}: {loc}: {exc.message}")
                    continue
                counts[f"{api} {kind}"] += 1
                docs.append((where, doc))
    for path in args.manifests:  # policies hold per rendered release
        errors += policy([(w, d) for w, d in docs if w.rsplit("#", 1)[0] == path])
    for key in sorted(counts):
        print(f"  valid {counts[key]:3d} x {key}")
    for err in errors:
        print(f"ERROR {err}", file=sys.stderr)
    print(f"{len(docs)} manifests valid, {len(errors)} errors (kubernetes {args.kubernetes_version}, strict)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
