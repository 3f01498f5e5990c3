#!/usr/bin/env bash
# The whole test suite, as CI runs it. Installs what it needs when it is missing:
# npm packages, the Docker engine and the example images, a JDK and Neo4j, code-server and Chromium.
#
#   npm test                      everything
#   SMOKE_REPAIR_TESTS=unit npm test        only the unit tests (no Docker, no editor)
#   SMOKE_REPAIR_TESTS=unit,integration,lsp,e2e npm test   any subset, in that order
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SUITES="${SMOKE_REPAIR_TESTS:-unit,integration,lsp,e2e}"
has() { [[ ",$SUITES," == *",$1,"* ]]; }
step() { printf '\n==> %s\n' "$*" >&2; }
START=$SECONDS
# Each test starts from what it learns itself: the user's own pattern store (shared by every
# workspace of a user) stays out of the tests unless a test points it at a folder of its own.
export SMOKE_REPAIR_USER_DIR="${SMOKE_REPAIR_USER_DIR:-none}"

if [ ! -x node_modules/.bin/tsx ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund
fi

step "type-check"
npm run --silent typecheck

step "build (esbuild)"
node esbuild.mjs

FILES=()
if has unit; then
  step "Python packages for the tests"
  FASTAPI_PYTHON="$(bash scripts/setup-python.sh)"
  export FASTAPI_PYTHON
  FILES+=(test/unit/*.test.ts)
fi
if has integration || has lsp || has e2e; then
  step "Docker engine and example images"
  bash scripts/setup-docker.sh all
fi
if has integration; then
  step "a JDK and the Neo4j jars (the team pattern store's tests)"
  bash scripts/setup-neo4j.sh >/dev/null
  FILES+=(test/integration/*.test.ts)
fi
if has lsp; then FILES+=(test/lsp/*.test.ts); fi
if has e2e; then
  step "code-server, Chromium and the packaged extension"
  bash scripts/setup-code-server.sh
  npm run --silent package
  FILES+=(test/e2e/*.test.ts)
fi

step "tests: ${SUITES}"
mkdir -p test-results
# One runner for every suite, one file at a time: the integration suites share the example apps' ports.
# A whole-run time limit (SMOKE_REPAIR_TEST_TIMEOUT seconds, default 40 min; a warm run takes about
# 4) turns a hang into a red run with its output instead of a run that never ends.
LIMIT="${SMOKE_REPAIR_TEST_TIMEOUT:-2400}"
status=0
timeout --signal=TERM --kill-after=30 "$LIMIT" \
  node --import tsx --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
  "${FILES[@]}" || status=$?
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
  printf 'test: the tests did not finish within %s s (SMOKE_REPAIR_TEST_TIMEOUT); stopped\n' "$LIMIT" >&2
fi
[ "$status" = 0 ] || exit "$status"
step "done in $((SECONDS - START)) s"
