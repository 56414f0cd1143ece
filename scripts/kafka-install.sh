#!/usr/bin/env bash
# Resolves the Kafka broker jars (see scripts/kafka/pom.xml) into .data/kafka/libs with Maven.
# Offline-friendly: tries `mvn -o` first (uses ~/.m2), then online. Skips everything when the jars of the
# current pom are already there (.data/kafka/libs/.stamp holds the pom's hash).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

POM="$ROOT/scripts/kafka/pom.xml"
LIBS="$DATA/kafka/libs"
STAMP="$LIBS/.stamp"
want="$(sha256sum "$POM" | cut -d' ' -f1)"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]] && compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null; then
  exit 0
fi
command -v java >/dev/null || die "java not found (install openjdk-17-jre-headless)"
command -v mvn >/dev/null || die "mvn not found (install maven)"

tmp="$DATA/kafka/libs.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
mvn_args=(-B -q -Dstyle.color=never -f "$POM" dependency:copy-dependencies -DoutputDirectory="$tmp")
log "resolving Kafka jars with Maven"
if ! mvn -o "${mvn_args[@]}" >/dev/null 2>&1; then
  mvn "${mvn_args[@]}" || die "Maven could not resolve the Kafka jars"
fi
compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || die "no kafka_2.13 jar resolved"
echo "$want" >"$tmp/.stamp"
rm -rf "$LIBS"; mv "$tmp" "$LIBS"
log "Kafka jars in $LIBS: $(ls "$LIBS" | grep -c '\.jar$') jars ($(ls "$LIBS" | grep -o '^kafka_2.13-.*\.jar$'))"
