#!/usr/bin/env python3
"""Removes one entry of a directory the sandbox user owns, as the sandbox's root.

Usage: remove-tree.py ABSOLUTE_PATH

Root here has no CAP_DAC_OVERRIDE or CAP_FOWNER, so to unlink in the user's directories it takes
each one (fchown, then an owner's chmod) and hands the parent back afterwards. The package's
processes may still run and may swap any part of the path for a link to a system directory:
everything goes through descriptors opened without following links, and a name is never looked up
twice, so only the tree that was at the path is taken and removed, never what a link points to.
Exit 0 when the path is gone (or never was), 1 when it could not be removed.
"""
import errno
import os
import stat
import sys

DIR_NOFOLLOW = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# What opening a name with O_NOFOLLOW | O_DIRECTORY gives when it is not a directory.
NOT_A_DIR = (errno.ELOOP, errno.ENOTDIR)


def open_dir(parts):
    """The directory at /parts..., each component opened without following links."""
    fd = os.open('/', DIR_NOFOLLOW)
    for name in parts:
        try:
            child = os.open(name, DIR_NOFOLLOW, dir_fd=fd)
        finally:
            os.close(fd)
        fd = child
    return fd


def take(dirfd):
    """Root owns the directory and may write in it (an owner's chmod needs no capability)."""
    os.fchown(dirfd, 0, 0)
    os.fchmod(dirfd, 0o700)


def remove_entry(dirfd, name):
    """Removes `name` in dirfd: a directory's contents first, anything else unlinked as it is."""
    try:
        child = os.open(name, DIR_NOFOLLOW, dir_fd=dirfd)
    except FileNotFoundError:
        return
    except OSError as err:
        if err.errno not in NOT_A_DIR:
            raise
        os.unlink(name, dir_fd=dirfd)  # a file, a link (never followed), a socket, ...
        return
    try:
        take(child)
        for entry in list(os.scandir(child)):
            remove_entry(child, entry.name)
    finally:
        os.close(child)
    os.rmdir(name, dir_fd=dirfd)


def main(argv):
    if len(argv) != 2 or not argv[1].startswith('/'):
        print('usage: remove-tree.py ABSOLUTE_PATH', file=sys.stderr)
        return 2
    parts = [p for p in os.path.normpath(argv[1]).split('/') if p]
    if not parts or '..' in parts:
        print(f'refusing to remove {argv[1]!r}', file=sys.stderr)
        return 2
    try:
        parent = open_dir(parts[:-1])
    except OSError as err:
        print(f'{argv[1]}: parent not reachable without links: {err}', file=sys.stderr)
        return 1
    before = os.fstat(parent)
    try:
        take(parent)
        # Files the package keeps writing can refill a directory between listing and rmdir.
        for attempt in range(3):
            try:
                remove_entry(parent, parts[-1])
                return 0
            except OSError as err:
                if attempt == 2:
                    print(f'{argv[1]}: {err}', file=sys.stderr)
                    return 1
    finally:
        os.fchmod(parent, stat.S_IMODE(before.st_mode))
        os.fchown(parent, before.st_uid, before.st_gid)
        os.close(parent)
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
