#!/bin/sh
# Shared provisioning of the sandbox image (run by Dockerfile and Dockerfile.local as root).
set -eu

# node-gyp compiles native addons against the headers shipped with Node, never downloads them.
NODE_BIN=$(command -v node)
NODE_PREFIX=$(dirname "$(dirname "$(readlink -f "$NODE_BIN")")")
NPM_DIR=$(npm root -g 2>/dev/null || echo "$NODE_PREFIX/lib/node_modules")/npm
test -f "$NODE_PREFIX/include/node/node.h"
# foreground-scripts: lifecycle scripts share the terminal of the user's `npm install` (argv stays
# plain), so what they print reaches the phase's output and their stdio is the login's pty.
cat >> "$NPM_DIR/npmrc" <<RC
nodedir=$NODE_PREFIX
update-notifier=false
fund=false
audit=false
foreground-scripts=true
RC

# A developer's npm: common CLIs in the global prefix (npm-globals.txt), and an app's
# dependencies (the most depended-upon packages, project/package-lock.json) installed once. The
# offline build (build.sh) installs both on the host and copies them in; a build that can reach
# the registry installs them here. Each analysis's project links its node_modules entries to the
# app's (symlinks staged with the lockfile by fetch: no per-analysis copy), so code requiring a
# popular module it never declared finds it, as on a real machine. Scripts are disabled: nothing of these
# packages runs at build time.
NPM_FLAGS="--ignore-scripts --no-audit --no-fund --loglevel=error"
PROJECT=/usr/local/lib/node-project
if [ ! -d "$PROJECT/node_modules" ]; then (cd "$PROJECT" && npm ci $NPM_FLAGS); fi
if [ ! -e /usr/bin/tsc ]; then
  # shellcheck disable=SC2046
  npm install -g $NPM_FLAGS $(grep -v '^#' /opt/vetbox/npm-globals.txt | grep -v '^$')
fi
# An analysis's project links the app's top-level packages, and npm runs the lifecycle scripts of
# every root-linked package on each install (as it does for a local directory dependency). Their
# `prepare` scripts (build steps of the package's own repository) never run for a registry
# install and fail here: a developer's installed copies behave as if they were not there.
node -e '
const fs = require("fs"), path = require("path");
const root = process.argv[1];
const dirs = fs.readdirSync(root).flatMap((d) => d.startsWith("@") ? fs.readdirSync(path.join(root, d)).map((n) => path.join(d, n)) : [d]);
for (const d of dirs) {
  const file = path.join(root, d, "package.json");
  if (!fs.existsSync(file)) continue;
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  const scripts = pkg.scripts ?? {};
  const lifecycle = ["preinstall", "install", "postinstall", "prepare"].filter((s) => s in scripts);
  if (lifecycle.length === 0) continue;
  for (const s of lifecycle) delete scripts[s];
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
}' "$PROJECT/node_modules"
rm -rf /root/.npm
chmod -R go-w "$PROJECT" /usr/lib/node_modules

mkdir -p /work

# pid 1 and the login sessions (src/init.c), installed where Debian keeps systemd, which this
# image does not carry (an installed systemd would be overwritten: refuse).
if dpkg-query -W -f='${Status}' systemd 2>/dev/null | grep -q 'install ok installed'; then
  echo "provision: the systemd package is installed; src/init.c would replace it" >&2; exit 1
fi
mkdir -p /usr/lib/systemd /root/.local/spool /root/.local/state /root/.local/in /root/.local/lib
chmod 0700 /root /root/.local /root/.local/spool /root/.local/state /root/.local/in /root/.local/lib
gcc -O2 -s -Wall -Wno-format-truncation -Wno-unused-result -DPHASE_DRIVER='"/root/.local/lib/phase.cjs"' \
  -o /usr/lib/systemd/systemd /opt/vetbox/src/init.c
chmod 0755 /usr/lib/systemd/systemd
ln -sf /lib/systemd/systemd /sbin/init

# Helpers: the user's (import steps) in a system directory, root's where the user cannot list.
# Nothing package code can see is named after the sandbox (src/commands.ts: HELPERS, ROOT_HELPERS).
mkdir -p /usr/local/libexec
install -m 0644 /opt/vetbox/bin/import-py.py /opt/vetbox/bin/execute-npm.cjs \
  /opt/vetbox/bin/execute-py.py /opt/vetbox/bin/next-login.cjs /usr/local/libexec/
install -m 0700 /opt/vetbox/bin/phase.cjs /opt/vetbox/bin/snapshot.py /opt/vetbox/bin/clock.cjs /opt/vetbox/bin/capture.py /opt/vetbox/bin/remove-tree.py /root/.local/lib/

# The fast clock (src/fastclock.c), named like a system library. It is loaded through LD_PRELOAD
# in the environment the session helper starts each phase with (never /etc/ld.so.preload, which
# any probe reads); on load it removes itself from its process's environment (getenv, environ
# and /proc/self/environ) and hands itself on to what that process executes. Until the idle
# phase moves its state page (root's, read-only to the user) it passes every call through.
LIBDIR=/usr/lib/$(gcc -print-multiarch)
gcc -O2 -s -shared -fPIC -Wall -o "$LIBDIR/libhrclock.so.1" /opt/vetbox/src/fastclock.c -ldl -lpthread

# What the machine reports to code that asks (recorded in each report's persona; root only).
OS_NAME=$(. /etc/os-release && echo "$PRETTY_NAME")
printf '{"os":"%s","python":"%s","node":"%s","npm":"%s"}\n' "$OS_NAME" "$(python3 -c 'import platform; print(platform.python_version())')" \
  "$(node --version | sed 's/^v//')" "$(npm --version)" > /root/.local/lib/versions.json
rm -rf /opt/vetbox

# Traced code runs as an unprivileged user: leave it no world-writable place on the image's
# filesystem (the sandbox mounts size-limited tmpfs where it may write).
# /tmp and /var/tmp stay 1777: tmpfs mounts there copy the mode of the image's directory.
for d in /run/lock /var/lock /var/mail /var/local; do
  [ -d "$d" ] && [ ! -L "$d" ] && chmod o-w "$d" || true
done
find / -xdev -type d -perm -0002 ! -path '/proc/*' ! -path /tmp ! -path /var/tmp -exec chmod o-w {} + 2>/dev/null || true
chmod 1777 /tmp /var/tmp
# crontab works for the user without its setgid bit (useless under no-new-privileges) when the
# spool takes new files from anyone, as /tmp does; entries stay unreadable to other users.
if [ -d /var/spool/cron/crontabs ]; then chmod 1733 /var/spool/cron/crontabs; fi
# Setuid binaries are useless under no-new-privileges; remove the bit anyway.
find / -xdev -perm /6000 -type f -exec chmod ug-s {} + 2>/dev/null || true

# The sandbox creates its randomized user as uid/gid 1000 at start (node:20 images ship `node` there).
if getent passwd 1000 >/dev/null; then userdel -r "$(getent passwd 1000 | cut -d: -f1)" 2>/dev/null || true; fi
if getent group 1000 >/dev/null; then groupdel "$(getent group 1000 | cut -d: -f1)" 2>/dev/null || true; fi
mkdir -p /etc/skel /usr/local/share/ca-certificates
