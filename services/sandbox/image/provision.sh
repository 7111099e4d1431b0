#!/bin/sh
# Shared provisioning of the sandbox image (run by Dockerfile and Dockerfile.local as root).
set -eu

# node-gyp compiles native addons against the headers shipped with Node, never downloads them.
NODE_BIN=$(command -v node)
NODE_PREFIX=$(dirname "$(dirname "$(readlink -f "$NODE_BIN")")")
NPM_DIR=$(npm root -g 2>/dev/null || echo "$NODE_PREFIX/lib/node_modules")/npm
test -f "$NODE_PREFIX/include/node/node.h"
cat >> "$NPM_DIR/npmrc" <<RC
nodedir=$NODE_PREFIX
update-notifier=false
fund=false
audit=false
RC

# A developer's npm: common CLIs in the global prefix, and an app's dependencies (the most
# depended-upon packages, project/package-lock.json) installed once. Each analysis's project links
# its node_modules entries to them (project-links.tar: symlinks only, no per-analysis copy), so
# code requiring a popular module it never declared finds it, as on a real machine. Scripts are
# disabled: nothing of these packages runs at build time.
NPM_CI_FLAGS="--ignore-scripts --no-audit --no-fund --loglevel=error"
npm install -g $NPM_CI_FLAGS typescript@7.0.2 yarn@1.22.22 pnpm@12.24.0 nodemon@3.1.14 pm2@7.0.4 \
  eslint@10.16.0 prettier@3.10.1 ts-node@10.9.2 npm-check-updates@23.1.1 http-server@14.1.1 serve@14.2.7
PROJECT=/usr/local/lib/node-project
(cd "$PROJECT" && npm ci $NPM_CI_FLAGS)
LINKS=$(mktemp -d)
mkdir -p "$LINKS/node_modules"
for entry in "$PROJECT"/node_modules/* "$PROJECT"/node_modules/@*/*; do
  [ -e "$entry" ] || continue
  case "$entry" in "$PROJECT"/node_modules/@*/*) ;; "$PROJECT"/node_modules/@*) continue ;; esac
  rel=${entry#"$PROJECT"/node_modules/}
  mkdir -p "$LINKS/node_modules/$(dirname "$rel")"
  ln -s "$entry" "$LINKS/node_modules/$rel"
done
# .bin entries are relative (../typescript/bin/tsc): they resolve through the links above.
cp -a "$PROJECT/node_modules/.bin" "$LINKS/node_modules/.bin"
tar -C "$LINKS" --owner=0 --group=0 -cf "$PROJECT/project-links.tar" node_modules
rm -rf "$LINKS" /root/.npm
chmod -R go-w "$PROJECT" /usr/lib/node_modules

# /trace holds strace output: root only, so traced code cannot tamper with it.
mkdir -p /trace /work /vetbox-in
chmod 0700 /trace /vetbox-in
chmod 0755 /opt/vetbox /opt/vetbox/bin
chmod 0755 /opt/vetbox/bin/* 

# Traced code runs as an unprivileged user: leave it no world-writable place on the image's
# filesystem (the sandbox mounts size-limited tmpfs where it may write).
# /tmp and /var/tmp stay 1777: tmpfs mounts there copy the mode of the image's directory.
for d in /run/lock /var/lock /var/mail /var/local; do
  [ -d "$d" ] && [ ! -L "$d" ] && chmod o-w "$d" || true
done
find / -xdev -type d -perm -0002 ! -path '/proc/*' ! -path /tmp ! -path /var/tmp -exec chmod o-w {} + 2>/dev/null || true
chmod 1777 /tmp /var/tmp
# Setuid binaries are useless under no-new-privileges; remove the bit anyway.
find / -xdev -perm /6000 -type f -exec chmod ug-s {} + 2>/dev/null || true

# The sandbox creates its randomized user as uid/gid 1000 at start (node:20 images ship `node` there).
if getent passwd 1000 >/dev/null; then userdel -r "$(getent passwd 1000 | cut -d: -f1)" 2>/dev/null || true; fi
if getent group 1000 >/dev/null; then groupdel "$(getent group 1000 | cut -d: -f1)" 2>/dev/null || true; fi
mkdir -p /etc/skel /usr/local/share/ca-certificates
printf 'vetbox sandbox image\n' > /opt/vetbox/IMAGE
node --version > /opt/vetbox/node-version
# What the machine reports to code that asks (recorded in each report's persona).
OS_NAME=$(. /etc/os-release && echo "$PRETTY_NAME")
printf '{"os":"%s","python":"%s","node":"%s","npm":"%s"}\n' "$OS_NAME" "$(python3 -c 'import platform; print(platform.python_version())')" \
  "$(node --version | sed 's/^v//')" "$(npm --version)" > /opt/vetbox/versions.json
