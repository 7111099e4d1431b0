# Import phase for PyPI: import each top-level module of the installed distribution the way an
# application would. Module names come from the command line, or when none are given, from the
# installed distribution's metadata (top_level.txt, else the files it installed).
#
# Run by the steps runner (commands.ts pythonStep): a plain `python3` reading from stdin a program
# that runs this file in a namespace of its own, with `argv` (['', <distribution>, <module>...]).
# `__main__` keeps only what `python3 -c` has, and each module is imported from there
# (import_as_typed): the package sees no harness name in sys.modules['__main__'] or in the
# globals of the frame that imports it.
import importlib
import importlib.metadata
import os
import re
import sys
import traceback

# Failures go to the terminal the way Python prints an uncaught exception, through a write the
# package cannot hook (it may replace sys.stderr at import); success prints nothing, as
# `python3 -c "import pkg"` does: no harness line for its code (or a hook) to read.
_write = os.write


def say(text):
    data = text.encode("utf-8", "replace")
    while data:
        data = data[_write(2, data):]


def discover(dist_name):
    try:
        dist = importlib.metadata.distribution(dist_name)
    except importlib.metadata.PackageNotFoundError:
        return []
    top = dist.read_text("top_level.txt")
    if top:
        return [line.strip() for line in top.splitlines() if line.strip()]
    names = []
    for f in dist.files or []:
        parts = f.parts
        if not parts or parts[0].endswith((".dist-info", ".egg-info", ".data")) or parts[0] in ("..", "__pycache__"):
            continue
        if len(parts) == 1:
            if f.name.endswith(".py"):
                name = f.name[:-3]
            elif f.name.endswith((".so", ".pyd")):
                name = f.name.split(".")[0]
            else:
                continue
        else:
            name = parts[0]
        if name.isidentifier() and name not in names:
            names.append(name)
    return names


MODULE_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def import_as_typed(name):
    """`import <name>` run in `__main__`, as `python3 -c "import <name>"` runs it (other names
    go through importlib)."""
    if not MODULE_NAME.fullmatch(name):
        return importlib.import_module(name)
    exec(compile(f"import {name}", "<stdin>", "exec"), sys.modules["__main__"].__dict__)
    return sys.modules[name]


def plain_stdin():
    """stdin is the program Python has read whole: /dev/null from now on, as before."""
    fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(fd, 0)
    os.close(fd)


def main():
    args = argv[1:]
    plain_stdin()
    dist_name = args[0]
    modules = [m for m in args[1:] if m] or discover(dist_name)
    if not modules:
        say(f"No importable module found in the installed distribution {dist_name}\n")
        return 1
    failed = 0
    for mod in modules:
        try:
            import_as_typed(mod)
        except BaseException:  # a package may raise anything at import, SystemExit included
            failed += 1
            say(traceback.format_exc())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
