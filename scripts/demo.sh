#!/usr/bin/env bash
# The demo: build the bundled FastAPI example into a local image, start it in Docker, and run the
# smoke tests against it. The example has seeded faults, so failures are expected: each is printed
# with the file and line it points to.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EXAMPLE="${1:-shop-api}"
if [ ! -x node_modules/.bin/tsx ]; then
  echo "==> npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi
echo "==> starting examples/$EXAMPLE in Docker" >&2
bash scripts/setup-docker.sh up "$EXAMPLE"
echo "==> npx smoke-repair smoke --workspace examples/$EXAMPLE" >&2
set +e
node bin/smoke-repair.js smoke --workspace "examples/$EXAMPLE"
code=$?
set -e
if [ "$code" -le 1 ]; then
  echo >&2
  echo "The app is still running: stop it with 'bash scripts/setup-docker.sh down $EXAMPLE'." >&2
  echo "Seeded faults and what fixes them: examples/$EXAMPLE/FAULTS.md" >&2
  exit 0
fi
exit "$code"
