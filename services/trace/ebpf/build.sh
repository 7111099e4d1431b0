#!/usr/bin/env bash
# Builds the eBPF tracer (kernel programs + loader) from Debian's clang, libbpf-dev and bpftool:
#   bash services/trace/ebpf/build.sh [out-dir]     (default: services/trace/ebpf/build)
# vmlinux.h comes from this kernel's BTF; the programs are CO-RE, so the binary runs on any
# kernel with BTF. Idempotent: rebuilds only when a source changed. Exit 0 with a note when the
# toolchain or BTF is missing (the worker then traces with strace).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/build}
mkdir -p "$out"
for tool in clang bpftool cc; do
  command -v "$tool" >/dev/null || { echo "ebpf tracer not built: $tool missing (apt-get install clang libbpf-dev bpftool)"; exit 0; }
done
[ -r /sys/kernel/btf/vmlinux ] || { echo "ebpf tracer not built: no BTF at /sys/kernel/btf/vmlinux"; exit 0; }
[ -f /usr/include/bpf/libbpf.h ] || { echo "ebpf tracer not built: libbpf-dev missing"; exit 0; }

stamp=$(cat "$here"/*.c "$here"/*.h "$0" | sha256sum | cut -c1-16)
if [ -x "$out/vetbox-tracer" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "ebpf tracer up to date: $out/vetbox-tracer"
  exit 0
fi
[ -s "$out/vmlinux.h" ] || bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$out/vmlinux.h"
arch=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
objs=()
for src in "$here"/*.bpf.c; do
  obj="$out/$(basename "$src" .c).o"
  clang -g -O2 -target bpf -D__TARGET_ARCH_"$arch" -I"$out" -I"$here" -c "$src" -o "$obj"
  objs+=("$obj")
done
bpftool gen object "$out/vetbox_tracer.bpf.o" "${objs[@]}"
bpftool gen skeleton "$out/vetbox_tracer.bpf.o" name vetbox_tracer > "$out/vetbox_tracer.skel.h"
cc -O2 -Wall -I"$out" -I"$here" "$here/loader.c" -o "$out/vetbox-tracer.tmp" -lbpf -lelf -lz
mv "$out/vetbox-tracer.tmp" "$out/vetbox-tracer"
echo "$stamp" > "$out/stamp"
echo "ebpf tracer built: $out/vetbox-tracer"
