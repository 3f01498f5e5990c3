#!/usr/bin/env bash
# Installs code-server (the VS Code workbench served to a browser, with the same Node extension
# host as the desktop editor) into a cache folder, for the end-to-end tests.
#
#   bash scripts/setup-code-server.sh        # prints the code-server package folder on stdout
#
# Idempotent: a marker file, written last, says the install is complete; without it, any earlier
# partial install is removed and redone. Progress goes to stderr.
#
# A plain `npm install code-server` runs a postinstall that installs VS Code's own dependencies,
# one of which is pinned to a git URL; the steps below do the same work from the npm registry only.
set -euo pipefail

VERSION=4.96.4
CACHE_ROOT="${SMOKE_REPAIR_CACHE:-$HOME/.cache/smoke-repair}"
DIR="$CACHE_ROOT/code-server-$VERSION"
PKG="$DIR/node_modules/code-server"
MARKER="$DIR/.install-complete"
START=$(date +%s)

log() { printf '[setup-code-server +%ss] %s\n' "$(( $(date +%s) - START ))" "$*" >&2; }
npm_quiet() { npm --no-audit --no-fund --loglevel=error "$@" >&2; }

if [[ -f "$MARKER" && -f "$PKG/out/node/entry.js" ]]; then
  log "code-server $VERSION already installed in $DIR"
  echo "$PKG"
  exit 0
fi

# System packages: a browser for the workbench, ripgrep for search, Kerberos headers for a native module.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
if (( ${#missing[@]} )); then
  log "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
RG="$(command -v rg)"

# Native modules are built against the headers of the Node that runs them, which Node's own
# packages install beside it; pointing node-gyp there keeps it from downloading them.
NODE_PREFIX="$(dirname "$(dirname "$(command -v node)")")"
if [[ -z "${npm_config_nodedir:-}" && -f "$NODE_PREFIX/include/node/node.h" ]]; then
  export npm_config_nodedir="$NODE_PREFIX"
fi

if [[ -e "$DIR" ]]; then
  log "removing incomplete install in $DIR"
  rm -rf "$DIR"
fi
mkdir -p "$DIR"
cd "$DIR"
printf '{ "name": "code-server-cache", "private": true }\n' > package.json

log "1/7 npm install code-server@$VERSION (scripts off)"
npm_quiet install --ignore-scripts "code-server@$VERSION"

log "2/7 building argon2 from source"
npm_quiet rebuild argon2

log "3/7 pointing @vscode/proxy-agent at the registry tarball"
SHRINKWRAP="$PKG/lib/vscode/npm-shrinkwrap.json"
REGISTRY="$(npm config get registry)"
node - "$SHRINKWRAP" "${REGISTRY%/}" <<'JS'
const fs = require('node:fs');
const [file, registry] = process.argv.slice(2);
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const entry = lock.packages && lock.packages['node_modules/@vscode/proxy-agent'];
if (!entry || !entry.version) {
  console.error(`${file}: expected an entry "node_modules/@vscode/proxy-agent" with a version`);
  process.exit(1);
}
entry.resolved = `${registry}/@vscode/proxy-agent/-/proxy-agent-${entry.version}.tgz`;
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.error(`  @vscode/proxy-agent ${entry.version} -> ${entry.resolved}`);
JS

cd "$PKG/lib/vscode"
log "4/7 installing VS Code's server dependencies (scripts off)"
npm_quiet install --omit=dev --ignore-scripts

log "5/7 linking ripgrep and building native modules"
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sfn "$RG" node_modules/@vscode/ripgrep/bin/rg
npm_quiet rebuild @vscode/spdlog @vscode/deviceid native-watchdog node-pty kerberos

log "6/7 links the postinstall would make"
ln -sfn node_modules node_modules.asar
ln -sfn code-linux.sh bin/remote-cli/code-server
ln -sfn browser-linux.sh bin/helpers/browser.sh

log "7/7 installing built-in extensions' dependencies"
cd extensions
npm_quiet install --omit=dev --ignore-scripts
node postinstall.mjs >/dev/null

# Check it runs, with its data and config folders kept out of the home folder.
PROBE_HOME="$(mktemp -d)"
XDG_CONFIG_HOME="$PROBE_HOME" XDG_DATA_HOME="$PROBE_HOME" node "$PKG/out/node/entry.js" --version >&2
rm -rf "$PROBE_HOME"
date -u +%FT%TZ > "$MARKER"
log "done: $PKG ($(du -sh "$DIR" | cut -f1))"
echo "$PKG"
