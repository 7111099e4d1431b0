#!/usr/bin/env bash
# Offline build of the sandbox image (no registry): debootstrap → docker import (+ host Node 20)
# → docker build of Dockerfile.local running provision.sh. Idempotent: the tag is a hash of the
# image inputs, and an existing tag returns at once. Prints the tag; writes it to image/TAG.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=/var/cache/vetbox
LOG=/var/log/vetbox/sandbox-image.log
REPO=vetbox-sandbox

# Keep this list and its order in sync with IMAGE_INPUTS in src/image.ts.
INPUTS=(packages.txt packages-python.txt Dockerfile Dockerfile.local provision.sh build.sh bin/import-npm.cjs bin/import-py.py bin/phase.cjs bin/snapshot.py project/package.json project/package-lock.json)
TAG=$(cd "$HERE" && cat "${INPUTS[@]}" | sha256sum | cut -c1-8)
IMAGE="$REPO:$TAG"
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE" > "$HERE/TAG"; echo "$IMAGE"; exit 0
fi

mkdir -p "$CACHE" "$(dirname "$LOG")"
exec 3>&1 >>"$LOG" 2>&1
echo "== $(date -u +%FT%TZ) building $IMAGE"

MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
PKGS=$(grep -v '^#' "$HERE/packages.txt" | grep -v '^$' | paste -sd, -)
NODE_VERSION=$(/usr/bin/node --version)
ROOTFS_KEY=$(printf '%s\n' "$PKGS" "$MIRROR" bookworm | sha256sum | cut -c1-12)
ROOTFS_TAR="$CACHE/rootfs-bookworm-$ROOTFS_KEY.tar"
BASE="$REPO-base:$ROOTFS_KEY-${NODE_VERSION#v}"

if [ ! -s "$ROOTFS_TAR" ]; then
  DIR=$(mktemp -d /var/tmp/vetbox-rootfs.XXXXXX)
  trap 'rm -rf "$DIR"' EXIT
  debootstrap --variant=minbase --include="$PKGS" bookworm "$DIR" "$MIRROR"
  chroot "$DIR" apt-get clean
  rm -rf "$DIR"/var/lib/apt/lists/* "$DIR"/var/cache/apt/*.bin
  tar -C "$DIR" -cf "$ROOTFS_TAR.part" . && mv "$ROOTFS_TAR.part" "$ROOTFS_TAR"
  rm -rf "$DIR"; trap - EXIT
fi

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

docker build --network host --build-arg BASE="$BASE" -f "$HERE/Dockerfile.local" \
  --label vetbox.image=sandbox -t "$IMAGE" "$HERE"
echo "$IMAGE" > "$HERE/TAG"
echo "== $(date -u +%FT%TZ) built $IMAGE"
echo "$IMAGE" >&3
