# Import phase for PyPI: import each top-level module of the installed distribution the way an
# application would. Module names come from the command line, or when none are given, from the
# installed distribution's metadata (top_level.txt, else the files it installed).
import importlib
import importlib.metadata
import os
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


def main():
    # Run by the steps runner (commands.ts pythonStep: python3 reading this file from stdin): the
    # package sees the argv of a plain `python3`, no harness path.
    args = sys.argv[1:]
    sys.argv[:] = [""]
    dist_name = args[0]
    modules = [m for m in args[1:] if m] or discover(dist_name)
    if not modules:
        say(f"No importable module found in the installed distribution {dist_name}\n")
        return 1
    failed = 0
    for mod in modules:
        try:
            importlib.import_module(mod)
        except BaseException:  # a package may raise anything at import, SystemExit included
            failed += 1
            say(traceback.format_exc())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
