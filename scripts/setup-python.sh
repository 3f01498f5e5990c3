#!/usr/bin/env bash
# A virtual environment with the Python packages the tests use (test/requirements.txt), kept in the
# cache folder and rebuilt when the requirements change. Prints the environment's python path.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${SMOKE_REPAIR_CACHE:-$HOME/.cache/smoke-repair}"
REQ="$ROOT/test/requirements.txt"
SUM="$(sha256sum "$REQ" | cut -c1-16)"
VENV="$CACHE/venv-$SUM"
if [ ! -x "$VENV/bin/python" ] || [ ! -f "$VENV/.complete" ]; then
  echo "setup-python: creating $VENV" >&2
  rm -rf "$VENV"
  mkdir -p "$CACHE"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ" >&2
  touch "$VENV/.complete"
fi
echo "$VENV/bin/python"
