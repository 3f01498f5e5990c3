#!/usr/bin/env bash
# The demo: the whole loop on a private copy of the bundled FastAPI example (the example itself is
# never changed): smoke → plan → policy → patch → sandbox validation → apply → reload → smoke, in a loop until no pass gains.
# Installs what it needs when missing: npm packages, the Docker engine and the example's images.
#   npm run demo            (add -- --keep to leave the copy running)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ ! -x node_modules/.bin/tsx ]; then
  echo "==> npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi
bash scripts/setup-docker.sh all
exec node --import tsx scripts/demo.ts "$@"
