#!/bin/sh
# Re-records the host fixtures: harmless scripts of ours under the host's strace, inside an
# empty network namespace (loopback only). Usage: sh record.sh  (as root)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/.."
work=$(mktemp -d /tmp/vetbox-trace-XXXXXX)
unshare -n sh -c "ip link set lo up; cd '$work' && strace -f -ttt -yy -s 4096 -o '$out/node-activity.trace' node '$here/node-activity.cjs' '$work'" || true
sleep 0.5
mkdir -p "$work/py"
unshare -n sh -c "cd '$work/py' && strace -f -ttt -yy -s 4096 -o '$out/py-activity.trace' /usr/bin/python3 -S '$here/py-activity.py' '$work/py'"
# The work dir path is random: replace it by a stable one so tests can name paths.
sed -i "s#$work#/tmp/vetbox-work#g" "$out/node-activity.trace" "$out/py-activity.trace"
rm -rf "$work"
