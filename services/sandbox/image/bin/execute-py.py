# Execute phase for PyPI: make the distribution act the way a program using it would. Every module
# of the distribution is imported; public functions and methods are called with mock arguments
# (declared defaults kept), generators drained, coroutines awaited; each console_scripts entry
# runs with --help; `python -m <package>` runs.
#
# Each call runs in a forked child, so a call that hangs is killed after its time box without
# losing the others, and each call has a pid of its own that the host joins to the trace. One
# record per call (`@@VBCALL@@{...}`) goes to the phase driver on the socket the session gives
# this process (RECORD_FD), never across the terminal: call children close it before they call,
# and what the package runs never inherits it.
#   argv: ['', <call-ms>, <total-ms>, <distribution>, <module>...]
# Run by the steps runner (commands.ts pythonStep) as import-py.py is: in a namespace of its own,
# each module imported from `__main__` (import_as_typed), which keeps only what `python3 -c` has.
import asyncio
import importlib
import importlib.metadata
import inspect
import json
import os
import pkgutil
import re
import signal
import subprocess
import sys
import time

MARK = "@@VBCALL@@"
CALL_S = 3.0
TOTAL_S = 20.0
MAX_CALLS = 400
MAX_MODULES = 100
LOAD_S = 10.0
MOCKS = {str: "default", int: 1, float: 1.0, bool: True, bytes: b"default", list: [], dict: {}, tuple: (), set: set()}


RECORD_FD = 5
MODULE_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
# Taken before any package code runs: a package that replaces os.write sees none of ours.
_write = os.write
# Every record carries the key declared first (event "key"), before the package is imported: the
# host keeps only records with it (services/sandbox phases/records.ts). The package's code runs in
# this process and could dig it out of the harness's frames; a line it merely writes to the socket
# it finds among its files is not a record.
KEY = os.urandom(16).hex()


def record(**r):
    data = f"{MARK}{json.dumps({**r, 'k': KEY})}\n".encode()
    while data:
        data = data[_write(RECORD_FD, data):]


def import_as_typed(name):
    """`import <name>` run in `__main__`, as `python3 -c "import <name>"` runs it (also in import-py.py)."""
    if not MODULE_NAME.fullmatch(name):
        return importlib.import_module(name)
    exec(compile(f"import {name}", "<stdin>", "exec"), sys.modules["__main__"].__dict__)
    return sys.modules[name]


def now_ms():
    return int(time.time() * 1000)


def top_level(dist_name):
    try:
        dist = importlib.metadata.distribution(dist_name)
    except importlib.metadata.PackageNotFoundError:
        return [], []
    top = [l.strip() for l in (dist.read_text("top_level.txt") or "").splitlines() if l.strip()]
    if not top:
        for f in dist.files or []:
            p = f.parts
            if not p or p[0].endswith((".dist-info", ".egg-info", ".data")) or p[0] in ("..", "__pycache__"):
                continue
            name = p[0][:-3] if len(p) == 1 and p[0].endswith(".py") else (p[0] if len(p) > 1 else None)
            if name and name.isidentifier() and name not in top:
                top.append(name)
    scripts = [ep.name for ep in dist.entry_points if ep.group == "console_scripts"]
    return top, scripts


class LoadTimeout(BaseException):
    pass


def _load_timeout(signum, frame):
    raise LoadTimeout()


def import_boxed(name):
    """import_module, cut off after LOAD_S (a module that hangs at import must not stall the phase)."""
    signal.signal(signal.SIGALRM, _load_timeout)
    signal.setitimer(signal.ITIMER_REAL, LOAD_S)
    try:
        return import_as_typed(name)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def modules_of(top):
    """Each top-level module and (for packages) its submodules, importing as it walks."""
    out = []
    for name in top:
        try:
            mod = import_boxed(name)
        except BaseException:
            continue
        out.append(mod)
        for info in pkgutil.walk_packages(getattr(mod, "__path__", []) or [], prefix=f"{name}.", onerror=lambda _: None):
            if len(out) >= MAX_MODULES:
                return out
            if any(part.startswith("_") or part in ("tests", "test") for part in info.name.split(".")[1:]):
                continue
            try:
                out.append(import_boxed(info.name))
            except BaseException:
                continue
    return out


def mock_args(fn):
    """Positional and keyword mocks for the required parameters; declared defaults are kept."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return [], {}
    args, kwargs = [], {}
    for p in sig.parameters.values():
        if p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        ann = p.annotation if isinstance(p.annotation, type) else None
        value = MOCKS.get(ann, "default") if ann is not None else ("default" if p.name not in ("callback", "cb", "func", "fn") else (lambda *a, **k: None))
        if p.kind == p.KEYWORD_ONLY:
            kwargs[p.name] = value
        else:
            args.append(value)
    return args, kwargs


def describe(name, args, kwargs):
    shown = [repr(a) if not callable(a) else "callback" for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(shown)})"[:200]


def settle(value):
    if inspect.iscoroutine(value):
        return asyncio.run(asyncio.wait_for(value, CALL_S))
    if inspect.isasyncgen(value):
        async def drain():
            n = 0
            async for _ in value:
                n += 1
                if n >= 100:
                    break
        return asyncio.run(asyncio.wait_for(drain(), CALL_S))
    if inspect.isgenerator(value):
        for n, _ in enumerate(value):
            if n >= 1000:
                break
    return value


def plan(modules):
    """[display name, module, thunk] for every public function, class and method, stable order."""
    seen = set()
    for mod in modules:
        for attr in sorted(vars(mod)):
            if attr.startswith("_"):
                continue
            obj = getattr(mod, attr, None)
            # Only what the module defines, not what it imported.
            if id(obj) in seen or getattr(obj, "__module__", None) != mod.__name__:
                continue
            seen.add(id(obj))
            if inspect.isclass(obj):
                args, kwargs = mock_args(obj)
                holder = {}

                def instance(cls=obj, a=args, k=kwargs, h=holder):
                    if "obj" not in h:
                        h["obj"] = cls(*a, **k)
                    return h["obj"]

                yield describe(attr, args, kwargs), mod.__name__, instance
                for m in sorted(vars(obj)):
                    fn = vars(obj)[m]
                    if m.startswith("_") or not inspect.isfunction(fn):
                        continue
                    margs, mkw = mock_args(fn)
                    margs = margs[1:]  # self
                    yield f"{attr}(...).{describe(m, margs, mkw)}", mod.__name__, (lambda m=m, a=margs, k=mkw, inst=instance: getattr(inst(), m)(*a, **k))
            elif callable(obj) and (inspect.isfunction(obj) or inspect.isbuiltin(obj)):
                args, kwargs = mock_args(obj)
                yield describe(attr, args, kwargs), mod.__name__, (lambda f=obj, a=args, k=kwargs: f(*a, **k))


def run_call(i, name, of, thunk, deadline):
    start = now_ms()
    pid = os.fork()
    if pid == 0:  # the call, in its own process
        code = 0
        try:
            os.close(RECORD_FD)
        except OSError:
            pass
        try:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            settle(thunk())
        except BaseException as e:  # noqa: BLE001 - anything the package raises, SystemExit included
            code = 3 if not isinstance(e, SystemExit) else 4
            sys.stderr.write(f"{type(e).__name__}: {str(e)[:200]}\n")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    record(event="start", call=i, name=name, of=of, pid=pid, t=start)
    end = min(time.monotonic() + CALL_S, deadline)
    outcome = "timeout"
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            outcome = {0: "returned", 3: "threw", 4: "exited"}.get(code, f"exit {code}")
            break
        time.sleep(0.01)
    if outcome == "timeout":
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
    record(event="end", call=i, name=name, of=of, pid=pid, t=now_ms(), outcome=outcome)


def run_command(argv, label, deadline):
    start = now_ms()
    try:
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    except OSError:
        return
    record(event="start", name=label, bin=True, pid=child.pid, t=start)
    try:
        code = child.wait(timeout=max(0.0, min(CALL_S, deadline - time.monotonic())))
        outcome = f"exit {code}"
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        outcome = "timeout"
    record(event="end", name=label, bin=True, pid=child.pid, t=now_ms(), outcome=outcome)


def main():
    global CALL_S, TOTAL_S
    args = argv[1:]
    fd = os.open(os.devnull, os.O_RDONLY)  # stdin was the program, read whole: /dev/null from now on
    os.dup2(fd, 0)
    os.close(fd)
    os.set_inheritable(RECORD_FD, False)
    record(event="key")
    CALL_S = float(args[0]) / 1000
    TOTAL_S = float(args[1]) / 1000
    deadline = time.monotonic() + TOTAL_S
    dist_name = args[2]
    top, scripts = top_level(dist_name)
    top = [m for m in args[3:] if m] or top
    for n, (name, of, thunk) in enumerate(plan(modules_of(top))):
        if n >= MAX_CALLS or time.monotonic() >= deadline:
            break
        run_call(n, name, of, thunk, deadline)
    home_bin = os.path.expanduser("~/.local/bin")
    for script in scripts[:10]:
        exe = os.path.join(home_bin, script)
        if time.monotonic() < deadline:
            run_command([exe if os.path.exists(exe) else script, "--help"], f"{script} --help", deadline)
    for mod in top[:5]:
        if time.monotonic() < deadline:
            run_command([sys.executable, "-m", mod], f"python -m {mod}", deadline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
