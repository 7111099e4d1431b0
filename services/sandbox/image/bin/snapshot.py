# Filesystem snapshots of the places the sandboxed user can write (size-limited tmpfs mounts, which
# `docker diff` does not see), run as root between phases. Usage:
#   snapshot.py save NAME ROOT...            record the state as SNAP_DIR/.snap-NAME.json (root only)
#   snapshot.py diff BEFORE AFTER ROOT...    record AFTER, print the changes since BEFORE as JSON
#   snapshot.py hash PATH...                 print sha256/size/executable of the given files as JSON
# A state may have an addendum, SNAP_DIR/.snap-NAME.add: entries listed after it was saved by
# `find PATH... -printf '%y %m %s %T@ %i %p\0'` (a pooled sandbox's workdir, staged at adoption
# into a state saved when the sandbox was made), which override the saved ones.
# Added or changed executables and scripts get a sha256. Output is capped (hostile input).
import hashlib
import json
import os
import stat
import sys

# Root-only, on the image's filesystem (the harness's hidden state): never on the /run tmpfs that
# strace's output can fill (a flood that fills it must not turn into a failed analysis).
SNAP_DIR = "/root/.local/state"
MAX_ENTRIES = 200_000
MAX_CHANGES = 5_000
MAX_HASHED = 500
MAX_HASH_BYTES = 64 * 1024 * 1024
SCRIPT_EXT = (".sh", ".bash", ".py", ".js", ".cjs", ".mjs", ".pl", ".rb", ".php", ".ps1", ".bat", ".cmd", ".so", ".node", ".exe", ".dll", ".bin")


def walk(roots):
    state = {}
    for root in roots:
        stack = [root]
        while stack and len(state) < MAX_ENTRIES:
            path = stack.pop()
            try:
                st = os.lstat(path)
            except OSError:
                continue
            kind = "d" if stat.S_ISDIR(st.st_mode) else "l" if stat.S_ISLNK(st.st_mode) else "f" if stat.S_ISREG(st.st_mode) else "o"
            if path != root:
                state[path] = [kind, st.st_mode & 0o7777, st.st_size, st.st_mtime_ns, st.st_ino]
            if kind == "d":
                try:
                    stack.extend(os.path.join(path, n) for n in os.listdir(path))
                except OSError:
                    pass
    return state


def open_regular(path):
    """Opens a regular file without following a link or blocking on a FIFO: the user may swap
    the file for a symlink (to /dev/zero, say) between our lstat and this open."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError("not a regular file")
    return os.fdopen(fd, "rb")


def looks_executable(path, mode):
    if mode & 0o111 or path.endswith(SCRIPT_EXT):
        return True
    try:
        with open_regular(path) as f:
            head = f.read(4)
        return head.startswith(b"#!") or head == b"\x7fELF"
    except OSError:
        return False


def describe(path, hashed):
    info = {"path": path}
    try:
        st = os.lstat(path)
    except OSError:
        return info
    info["size"] = st.st_size
    if not stat.S_ISREG(st.st_mode):
        return info
    info["executable"] = bool(st.st_mode & 0o111)
    if hashed[0] < MAX_HASHED and st.st_size <= MAX_HASH_BYTES and looks_executable(path, st.st_mode):
        h = hashlib.sha256()
        try:
            with open_regular(path) as f:
                left = MAX_HASH_BYTES
                while left > 0:
                    chunk = f.read(min(1 << 20, left))
                    if not chunk:
                        break
                    h.update(chunk)
                    left -= len(chunk)
            info["sha256"] = h.hexdigest()
            hashed[0] += 1
        except OSError:
            pass
    return info


FIND_KINDS = {"d": "d", "l": "l", "f": "f"}


def parse_listing(data):
    """find's `%y %m %s %T@ %i %p` records (NUL-terminated) as walk() states them."""
    state = {}
    for record in data.split(b"\0"):
        if not record:
            continue
        kind, mode, size, mtime, ino, path = record.decode("utf-8", "surrogateescape").split(" ", 5)
        seconds, _, fraction = mtime.partition(".")
        mtime_ns = int(seconds) * 1_000_000_000 + int((fraction + "000000000")[:9])
        state[path] = [FIND_KINDS.get(kind, "o"), int(mode, 8), int(size), mtime_ns, int(ino)]
    return state


def load(name):
    with open(os.path.join(SNAP_DIR, f".snap-{name}.json")) as f:
        state = json.load(f)
    try:
        with open(os.path.join(SNAP_DIR, f".snap-{name}.add"), "rb") as f:
            state.update(parse_listing(f.read()))
    except FileNotFoundError:
        pass
    return state


def save(name, roots):
    state = walk(roots)
    with open(os.path.join(SNAP_DIR, f".snap-{name}.json"), "w") as f:
        json.dump(state, f)
    return state


def main():
    cmd = sys.argv[1]
    if cmd == "save":
        save(sys.argv[2], sys.argv[3:])
        print(json.dumps({"ok": True}))
    elif cmd == "diff":
        before = load(sys.argv[2])
        after = save(sys.argv[3], sys.argv[4:])
        changes, hashed = [], [0]
        for path in sorted(set(before) | set(after)):
            if len(changes) >= MAX_CHANGES:
                break
            b, a = before.get(path), after.get(path)
            if b == a:
                continue
            if a is None:
                changes.append({"path": path, "kind": "deleted"})
                continue
            kind = "added" if b is None or b[0] != a[0] or b[4] != a[4] else "changed"
            if kind == "changed" and a[0] == "d":
                continue  # a directory's mtime moves whenever an entry changes: the entry is the news
            entry = describe(path, hashed)
            entry["kind"] = kind
            changes.append(entry)
        print(json.dumps({"changes": changes, "truncated": len(changes) >= MAX_CHANGES}))
    elif cmd == "hash":
        hashed = [0]
        print(json.dumps([describe(p, hashed) for p in sys.argv[2:]]))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
