#!/usr/bin/env bash
# Docker set-up for the example apps: engine, local base images (no image registry needed),
# example images, and bringing an example up or down.
#
# Usage: scripts/setup-docker.sh [command] [example]
#   all               (default) engine + compose + base images + example images + field app images
#   engine            install docker.io / docker-compose when missing; start dockerd when it does not answer
#   bases             build and import the local base images
#   images            build the example images (builds the bases first when missing)
#   up <example>      everything above that is missing, then `docker-compose up -d` and wait for /health
#   field             the images of the field apps (test/field/*: each Dockerfile, tagged as its compose file says)
#   down <example>    `docker-compose down`
#   status            what exists and what answers
# Examples: shop-api, todo-api-node.
#
# Idempotent and non-interactive. Progress goes to stderr. Environment:
#   SMOKE_REPAIR_CACHE     cache folder (default ~/.cache/smoke-repair): base tarballs, .deb cache, dockerd log
#   SMOKE_REPAIR_MIRROR    Debian mirror for debootstrap (default: the host's apt mirror, else deb.debian.org)
#   SMOKE_REPAIR_SUITE     Debian suite (default bookworm)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${SMOKE_REPAIR_CACHE:-$HOME/.cache/smoke-repair}"
SUITE="${SMOKE_REPAIR_SUITE:-bookworm}"
PYTHON_BASE="smoke-repair/python-base:1"
NODE_BASE="smoke-repair/node-base:1"
EXAMPLES=(shop-api todo-api-node)

log() { printf 'setup-docker: %s\n' "$*" >&2; }
die() { printf 'setup-docker: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- examples

example_base() {
  case "$1" in
    shop-api) echo "$PYTHON_BASE" ;;
    todo-api-node) echo "$NODE_BASE" ;;
    *) die "unknown example '$1' (expected one of: ${EXAMPLES[*]})" ;;
  esac
}
example_health() {
  case "$1" in
    shop-api) echo "http://127.0.0.1:8000/health" ;;
    todo-api-node) echo "http://127.0.0.1:3000/health" ;;
    *) die "unknown example '$1' (expected one of: ${EXAMPLES[*]})" ;;
  esac
}
example_image() { echo "smoke-repair/$1:dev"; }

# ---------------------------------------------------------------- engine

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found; install $* by hand"
  [ "$(id -u)" = 0 ] || die "installing $* needs root"
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  mkdir -p "$CACHE"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$CACHE/apt.log" 2>&1 \
    || { tail -n 20 "$CACHE/apt.log" >&2; die "apt-get install $* failed (see $CACHE/apt.log)"; }
}

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

ensure_engine() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker >/dev/null || missing+=(docker.io)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  if [ "${#missing[@]}" -gt 0 ]; then
    # shellcheck disable=SC2207
    missing=($(printf '%s\n' "${missing[@]}" | sort -u))
    apt_install "${missing[@]}"
  fi
  if docker_answers; then
    log "docker engine answers"
    return 0
  fi
  mkdir -p "$CACHE"
  log "starting dockerd (log: $CACHE/dockerd.log)"
  # 9>&-: the engine outlives this script and must not keep holding the set-up lock (fd 9).
  nohup dockerd --bridge=none --iptables=false --ip-masq=false >>"$CACHE/dockerd.log" 2>&1 </dev/null 9>&- &
  local i
  for i in $(seq 1 60); do
    if docker_answers; then
      log "docker engine answers after ${i}s"
      return 0
    fi
    sleep 1
  done
  tail -n 20 "$CACHE/dockerd.log" >&2 || true
  die "dockerd did not answer within 60 s (see $CACHE/dockerd.log)"
}

ensure_compose() {
  command -v docker-compose >/dev/null || apt_install docker-compose
}

# ---------------------------------------------------------------- base images

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

debian_mirror() {
  if [ -n "${SMOKE_REPAIR_MIRROR:-}" ]; then echo "$SMOKE_REPAIR_MIRROR"; return; fi
  local uri=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    uri="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' /etc/apt/sources.list.d/debian.sources)"
  fi
  if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
    uri="$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)"
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# build_base <tag> <tarball name> <debootstrap packages, comma-separated> <apt packages, space-separated>
#            [docker import --change ...]
# Packages with many dependencies (npm) go in the second list: apt resolves them in a chroot
# where debootstrap's simple resolver gives up.
build_base() {
  local tag="$1" name="$2" packages="$3" extra="$4"
  shift 4
  if image_exists "$tag"; then
    log "base image $tag present"
    return 0
  fi
  local tarball="$CACHE/$name.tar"
  if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null || apt_install debootstrap
    [ "$(id -u)" = 0 ] || die "debootstrap needs root"
    mkdir -p "$CACHE/debs"
    local rootfs
    rootfs="$(mktemp -d "$CACHE/rootfs.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$rootfs'" EXIT
    local mirror
    mirror="$(debian_mirror)"
    log "debootstrap $SUITE ($packages) from $mirror; a few minutes the first time"
    debootstrap --variant=minbase --include="ca-certificates,$packages" --cache-dir="$CACHE/debs" \
      "$SUITE" "$rootfs" "$mirror" >"$CACHE/$name.debootstrap.log" 2>&1 \
      || { tail -n 20 "$CACHE/$name.debootstrap.log" >&2; die "debootstrap failed (see $CACHE/$name.debootstrap.log)"; }
    if [ -n "$extra" ]; then
      log "apt-get install $extra (in the new root)"
      # shellcheck disable=SC2086
      chroot "$rootfs" /usr/bin/env DEBIAN_FRONTEND=noninteractive /bin/sh -c \
        "apt-get update -qq && apt-get install -y -qq --no-install-recommends $extra && apt-get clean" \
        >>"$CACHE/$name.debootstrap.log" 2>&1 \
        || { tail -n 20 "$CACHE/$name.debootstrap.log" >&2; die "apt-get install $extra failed (see $CACHE/$name.debootstrap.log)"; }
    fi
    # Trust the same certificate authorities as the host, so package installs in image builds
    # work behind a TLS-inspecting proxy too.
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
      cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
      chroot "$rootfs" update-ca-certificates >/dev/null 2>&1 || cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
    fi
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log
    log "packing $tarball"
    tar -C "$rootfs" --numeric-owner -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
    rm -rf "$rootfs"
    trap - EXIT
  else
    log "using cached $tarball"
  fi
  log "docker import $tag"
  docker import "$@" "$tarball" "$tag" >/dev/null
}

ensure_bases() {
  mkdir -p "$CACHE"
  build_base "$PYTHON_BASE" python-base-$SUITE "python3,python3-pip,python3-venv" "" \
    --change 'ENV LANG=C.UTF-8' --change 'ENV PIP_BREAK_SYSTEM_PACKAGES=1' --change 'CMD ["python3"]'
  build_base "$NODE_BASE" node-base-$SUITE "nodejs" "npm" \
    --change 'ENV LANG=C.UTF-8' --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' --change 'CMD ["node"]'
}

# ---------------------------------------------------------------- example images

build_example() {
  local app="$1" base image dir
  base="$(example_base "$app")"
  image="$(example_image "$app")"
  dir="$ROOT/examples/$app"
  [ -f "$dir/Dockerfile" ] || die "$dir/Dockerfile not found"
  image_exists "$base" || ensure_bases
  log "docker build $image (BASE=$base)"
  mkdir -p "$CACHE"
  DOCKER_BUILDKIT=0 docker build --network host --build-arg "BASE=$base" -t "$image" "$dir" >"$CACHE/build-$app.log" 2>&1 \
    || { tail -n 25 "$CACHE/build-$app.log" >&2; die "docker build of $image failed (see $CACHE/build-$app.log)"; }
}

ensure_example_image() {
  if image_exists "$(example_image "$1")"; then
    log "image $(example_image "$1") present"
  else
    build_example "$1"
  fi
}

# ---------------------------------------------------------------- field apps (test/field)

# The image a field app's compose file names (`image: field/<app>:dev`).
field_image() { awk '$1 == "image:" { print $2; exit }' "$1/docker-compose.yml"; }

ensure_field_images() {
  local dir app image base
  for dir in "$ROOT"/test/field/*/; do
    dir="${dir%/}"
    [ -f "$dir/Dockerfile" ] || continue
    app="$(basename "$dir")"
    image="$(field_image "$dir")"
    [ -n "$image" ] || die "$dir/docker-compose.yml names no image"
    if image_exists "$image"; then
      log "image $image present"
      continue
    fi
    if [ -f "$dir/package.json" ]; then base="$NODE_BASE"; else base="$PYTHON_BASE"; fi
    image_exists "$base" || ensure_bases
    log "docker build $image (BASE=$base)"
    DOCKER_BUILDKIT=0 docker build --network host --build-arg "BASE=$base" -t "$image" "$dir" >"$CACHE/build-field-$app.log" 2>&1 \
      || { tail -n 25 "$CACHE/build-field-$app.log" >&2; die "docker build of $image failed (see $CACHE/build-field-$app.log)"; }
  done
}

# ---------------------------------------------------------------- up / down

compose() {
  local app="$1"
  shift
  docker-compose -p "$app" -f "$ROOT/examples/$app/docker-compose.yml" "$@"
}

up() {
  local app="$1" url
  url="$(example_health "$app")"
  ensure_engine
  ensure_compose
  ensure_example_image "$app"
  command -v curl >/dev/null || apt_install curl ca-certificates
  log "docker-compose up $app"
  compose "$app" up -d --no-build >&2 2>&1
  local i
  for i in $(seq 1 60); do
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
      log "$app healthy at $url after ${i}s"
      return 0
    fi
    sleep 1
  done
  compose "$app" logs --tail 30 >&2 || true
  die "$app did not answer $url within 60 s"
}

down() {
  local app="$1"
  example_base "$app" >/dev/null
  log "docker-compose down $app"
  compose "$app" down --remove-orphans -t 5 >&2 2>&1
}

status() {
  docker_answers && log "engine: answers" || log "engine: not answering"
  local t
  for t in "$PYTHON_BASE" "$NODE_BASE" "$(example_image shop-api)" "$(example_image todo-api-node)"; do
    image_exists "$t" && log "image $t: present" || log "image $t: missing"
  done
  for t in "${EXAMPLES[@]}"; do
    curl -fsS -o /dev/null --max-time 2 "$(example_health "$t")" 2>/dev/null \
      && log "$t: healthy" || log "$t: not answering"
  done
}

cmd="${1:-all}"
# One set-up at a time: test files started in parallel may all ask for the same example.
if [ "$cmd" != status ] && [ "$cmd" != help ] && [ "$cmd" != -h ] && [ "$cmd" != --help ] && command -v flock >/dev/null; then
  mkdir -p "$CACHE"
  exec 9>"$CACHE/setup.lock"
  if ! flock -n 9; then
    log "waiting for another set-up to finish ($CACHE/setup.lock)"
    flock -w 1800 9 || die "another set-up has held $CACHE/setup.lock for 30 min; holders: $( (command -v fuser >/dev/null && fuser "$CACHE/setup.lock" 2>&1) || echo unknown)"
    log "lock acquired"
  fi
fi
case "$cmd" in
  all)
    ensure_engine
    ensure_compose
    ensure_bases
    for app in "${EXAMPLES[@]}"; do build_example "$app"; done
    ensure_field_images
    ;;
  engine) ensure_engine ;;
  field) ensure_engine; mkdir -p "$CACHE"; ensure_field_images ;;
  bases) ensure_engine; ensure_bases ;;
  images)
    ensure_engine
    if [ $# -ge 2 ]; then build_example "$2"; else for app in "${EXAMPLES[@]}"; do build_example "$app"; done; fi
    ;;
  up) [ $# -ge 2 ] || die "usage: $0 up <example>"; up "$2" ;;
  down) [ $# -ge 2 ] || die "usage: $0 down <example>"; down "$2" ;;
  status) status ;;
  -h|--help|help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$cmd' (expected all, engine, bases, images, field, up, down, status)" ;;
esac
