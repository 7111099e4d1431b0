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
# crontab works for the user without its setgid bit (useless under no-new-privileges) when the
# spool takes new files from anyone, as /tmp does; entries stay unreadable to other users.
if [ -d /var/spool/cron/crontabs ]; then chmod 1733 /var/spool/cron/crontabs; fi
# Setuid binaries are useless under no-new-privileges; remove the bit anyway.
find / -xdev -perm /6000 -type f -exec chmod ug-s {} + 2>/dev/null || true

# The sandbox creates its randomized user as uid/gid 1000 at start (node:20 images ship `node` there).
if getent passwd 1000 >/dev/null; then userdel -r "$(getent passwd 1000 | cut -d: -f1)" 2>/dev/null || true; fi
if getent group 1000 >/dev/null; then groupdel "$(getent group 1000 | cut -d: -f1)" 2>/dev/null || true; fi
mkdir -p /etc/skel /usr/local/share/ca-certificates
printf 'vetbox sandbox image\n' > /opt/vetbox/IMAGE
node --version > /opt/vetbox/node-version

# The fast clock (fastclock.c): every dynamically linked process loads it through
# /etc/ld.so.preload (no environment variable for package code to read), so processes started in
# any phase follow the idle phase's clock. Its state page is created per sandbox (clock.cjs init).
LIBDIR=/usr/lib/$(gcc -print-multiarch)
gcc -O2 -shared -fPIC -o "$LIBDIR/libhrclock.so.1" /opt/vetbox/fastclock.c -ldl -lpthread
rm -f /opt/vetbox/fastclock.c
echo "$LIBDIR/libhrclock.so.1" > /etc/ld.so.preload
mkdir -p /run/hrclock && chmod 0755 /run/hrclock
