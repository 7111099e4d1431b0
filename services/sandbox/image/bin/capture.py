# Captures the content of files the package wrote (persistence entries, dropped scripts and
# executables), run as root between phases. Usage:
#   capture.py <base64 JSON [{"path": ..., "reason": ...}]>
# Prints a JSON list: the first 64 KiB of each regular file (UTF-8 text, else base64), the sha256
# and size of the whole, and the executable format by magic number. Symlinks are not followed
# (hostile input: a link could point anywhere); hashing stops at 64 MiB.
import base64
import hashlib
import json
import os
import stat
import sys

HEAD = 64 * 1024
MAX_HASH_BYTES = 64 * 1024 * 1024
MAX_FILES = 100


def fmt(head):
    if head.startswith(b"\x7fELF"):
        return "elf"
    if head.startswith(b"MZ"):
        return "pe"
    if head[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return "macho"
    if head.startswith(b"#!"):
        return "script"
    return "data"


def capture(path, reason):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        digest = hashlib.sha256()
        head = b""
        read = 0
        while read < MAX_HASH_BYTES:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            if len(head) < HEAD:
                head += chunk[: HEAD - len(head)]
            digest.update(chunk)
            read += len(chunk)
    finally:
        os.close(fd)
    try:
        text, encoding = head.decode("utf-8"), "utf8"
    except UnicodeDecodeError:
        text, encoding = base64.b64encode(head).decode("ascii"), "base64"
    return {
        "path": path,
        "reason": reason,
        "size": st.st_size,
        "sha256": digest.hexdigest() if read >= st.st_size else "",
        "format": fmt(head),
        "encoding": encoding,
        "content": text,
        "truncated": st.st_size > len(head),
    }


def main():
    wanted = json.loads(base64.b64decode(sys.argv[1]))[:MAX_FILES]
    out = [c for c in (capture(w["path"], w["reason"]) for w in wanted) if c]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
