#!/usr/bin/env bash
# Offline build of the sandbox image (no registry): debootstrap → docker import (+ host Node 20)
# → docker build of Dockerfile.local running provision.sh. npm packages (the app project's
# dependencies, the global CLIs) are installed on the host with scripts disabled and copied in:
# nothing inside the build talks to the npm registry. Idempotent: the tag is a hash of the image
# inputs, and an existing tag returns at once. Several developers share this machine: builds of
# one tag, and of one debootstrap root filesystem, wait for each other (flock).
# Prints the tag; writes it to image/TAG.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=/var/cache/vetbox
LOG=/var/log/vetbox/sandbox-image.log
REPO=vetbox-sandbox

# Keep this list and its order in sync with IMAGE_INPUTS in src/image.ts.
INPUTS=(packages.txt packages-python.txt Dockerfile Dockerfile.local provision.sh build.sh bin/import-py.py bin/phase.cjs bin/snapshot.py src/init.c project/package.json project/package-lock.json npm-globals.txt src/fastclock.c bin/clock.cjs bin/execute-npm.cjs bin/execute-py.py bin/next-login.cjs bin/capture.py bin/remove-tree.py)
TAG=$(cd "$HERE" && cat "${INPUTS[@]}" | sha256sum | cut -c1-8)
IMAGE="$REPO:$TAG"
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE" > "$HERE/TAG"; echo "$IMAGE"; exit 0
fi

mkdir -p "$CACHE" "$(dirname "$LOG")"
exec 3>&1 >>"$LOG" 2>&1
# One build per tag at a time; the loser of the race finds the image built.
exec 8>"$CACHE/image-$TAG.lock"
flock 8
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE" > "$HERE/TAG"; echo "$IMAGE" >&3; exit 0
fi
echo "== $(date -u +%FT%TZ) building $IMAGE"

MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
PKGS=$(grep -v '^#' "$HERE/packages.txt" | grep -v '^$' | paste -sd, -)
NODE_VERSION=$(/usr/bin/node --version)
ROOTFS_KEY=$(printf '%s\n' "$PKGS" "$MIRROR" bookworm | sha256sum | cut -c1-12)
ROOTFS_TAR="$CACHE/rootfs-bookworm-$ROOTFS_KEY.tar"
BASE="$REPO-base:$ROOTFS_KEY-${NODE_VERSION#v}"

exec 9>"$ROOTFS_TAR.lock"
flock 9
if [ ! -s "$ROOTFS_TAR" ]; then
  DIR=$(mktemp -d /var/tmp/vetbox-rootfs.XXXXXX)
  trap 'rm -rf "$DIR"' EXIT
  debootstrap --variant=minbase --include="$PKGS" bookworm "$DIR" "$MIRROR"
  chroot "$DIR" apt-get clean
  rm -rf "$DIR"/var/lib/apt/lists/* "$DIR"/var/cache/apt/*.bin
  tar -C "$DIR" -cf "$ROOTFS_TAR.part" . && mv "$ROOTFS_TAR.part" "$ROOTFS_TAR"
  rm -rf "$DIR"; trap - EXIT
fi
flock -u 9

exec 9>"$CACHE/base-$ROOTFS_KEY-${NODE_VERSION#v}.lock"
flock 9
if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  # The host's Node 20 (Debian-linked, only bookworm's standard libraries) goes into the base,
  # with npm and Node's headers (npm's nodedir points there: native addons build offline).
  DIR=$(mktemp -d /var/tmp/vetbox-base.XXXXXX)
  trap 'rm -rf "$DIR"' EXIT
  tar -C "$DIR" -xf "$ROOTFS_TAR"
  mkdir -p "$DIR/usr/lib/node_modules" "$DIR/usr/include"
  cp -a /usr/bin/node "$DIR/usr/bin/node"
  cp -a /usr/lib/node_modules/npm "$DIR/usr/lib/node_modules/npm"
  cp -a /usr/include/node "$DIR/usr/include/node"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$DIR/usr/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$DIR/usr/bin/npx"
  tar -C "$DIR" -c . | docker import -c 'ENV LANG=C.UTF-8' -c 'CMD ["/bin/bash"]' - "$BASE"
  rm -rf "$DIR"; trap - EXIT
fi

flock -u 9

# Build context: the image directory plus the npm trees installed here with scripts disabled
# (a persistent npm cache keeps rebuilds quick; the host's npm trusts the host's certificates).
CTX=$(mktemp -d /var/tmp/vetbox-context.XXXXXX)
trap 'rm -rf "$CTX"' EXIT
cp -a "$HERE"/. "$CTX"/
NPM_FLAGS=(--ignore-scripts --no-audit --no-fund --loglevel=error --cache "$CACHE/npm")
mkdir -p "$CTX/npm-staged/project" "$CTX/npm-staged/globals"
cp "$HERE/project/package.json" "$HERE/project/package-lock.json" "$CTX/npm-staged/project/"
(cd "$CTX/npm-staged/project" && npm ci "${NPM_FLAGS[@]}")
# shellcheck disable=SC2046
npm install -g --prefix "$CTX/npm-staged/globals" "${NPM_FLAGS[@]}" $(grep -v '^#' "$HERE/npm-globals.txt" | grep -v '^$')

docker build --network host --build-arg BASE="$BASE" -f "$CTX/Dockerfile.local" \
  --label vetbox.image=sandbox -t "$IMAGE" "$CTX"
rm -rf "$CTX"; trap - EXIT
echo "$IMAGE" > "$HERE/TAG"
echo "== $(date -u +%FT%TZ) built $IMAGE"
echo "$IMAGE" >&3
