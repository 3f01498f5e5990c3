#!/usr/bin/env bash
# A real Neo4j for the tests: the embedded Neo4j 5 LTS from its Maven artifacts on a Java 17 JDK,
# started by test/setup/neo4j.ts on 127.0.0.1. Installs the JDK and Maven when missing (Debian/
# Ubuntu), fetches the jars once into .cache/neo4j/lib (again when test/neo4j/pom.xml changes) and
# compiles the small server class. Prints the folder that holds lib/ and classes/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache/neo4j"
say() { printf 'setup-neo4j: %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v javac >/dev/null || ! command -v mvn >/dev/null; then
  say "installing a JDK and Maven"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y -q openjdk-17-jdk-headless maven >&2 || { as_root apt-get update -q >&2 && as_root apt-get install -y -q openjdk-17-jdk-headless maven >&2; }
fi

STAMP="$(sha256sum "$ROOT/test/neo4j/pom.xml" "$ROOT/test/neo4j/TestNeo4j.java" | sha256sum | cut -c1-16)"
if [ "$(cat "$CACHE/.stamp" 2>/dev/null)" != "$STAMP" ]; then
  say "fetching the Neo4j jars (once)"
  rm -rf "$CACHE.tmp" && mkdir -p "$CACHE.tmp/classes"
  mvn -q -B -f "$ROOT/test/neo4j/pom.xml" dependency:copy-dependencies -DoutputDirectory="$CACHE.tmp/lib" -DincludeScope=runtime >&2
  javac -d "$CACHE.tmp/classes" -cp "$CACHE.tmp/lib/*" "$ROOT/test/neo4j/TestNeo4j.java" >&2
  echo "$STAMP" > "$CACHE.tmp/.stamp"
  rm -rf "$CACHE" && mv "$CACHE.tmp" "$CACHE"
fi
echo "$CACHE"
