"""Running model-written code safely: a subprocess in a temporary copy, with limits and no network.

Layers, all on by default:

* **bubblewrap** (``bwrap``, Debian package ``bubblewrap``), where it can start: the whole file system read-only (the
  source project and ``/tmp`` included), the run's temporary directory the only writable place, new network,
  PID, IPC and UTS namespaces (no network at all; every process the tests start dies with the sandbox, detached
  daemons included), all capabilities dropped, killed with the harness (``--die-with-parent``). Where ``bwrap``
  cannot start, the layers below remain and the run's record says so (``isolation: fallback``);
* **a temporary copy**: the project is copied into a fresh directory, tests are added there, and the copy is deleted
  afterwards; the source project is never opened for writing;
* **resource limits** (``setrlimit`` in the child): CPU seconds, address space, file size, plus a wall-clock timeout
  that kills the whole process group; stdin is ``/dev/null``, so ``input()`` raises ``EOFError`` instead of blocking;
* **a process limit**: a ``pids`` cgroup of its own with ``pids.max`` where the cgroup tree is writable (root, as in
  containers), else ``RLIMIT_NPROC`` (which the kernel counts per user and does not enforce for root, hence the cgroup
  first); a fork bomb gets ``EAGAIN`` instead of taking the machine;
* **no network**: a new, empty network namespace (``unshare -n``, or ``unshare -rn`` for non-root users) where the
  kernel allows it; always, for Python, an audit hook (``sitecustomize``) that refuses socket connections and writes,
  renames or deletions outside the sandbox.

:func:`isolation` reports which layers are active on this machine.
"""

from __future__ import annotations

import contextlib
import functools
import os
import resource
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

GUARD = r"""
# Installed by tenfold.projecttest: refuse network access and writes outside the sandbox for model-written tests.
import os
import sys

_ROOTS = tuple(os.path.realpath(p) for p in os.environ.get("TENFOLD_SANDBOX_ROOTS", "").split(os.pathsep) if p)
_WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _inside(path):
    try:
        real = os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return True  # file descriptors and odd arguments: not a path to judge
    return real == os.devnull or any(real == r or real.startswith(r + os.sep) for r in _ROOTS)


def _hook(event, args):
    if event in ("socket.connect", "socket.bind", "socket.getaddrinfo", "socket.sendto"):
        raise PermissionError("network access is disabled in the ProjectTest sandbox")
    if event == "open" and _ROOTS and args[0] is not None and not isinstance(args[0], int):
        mode, flags = args[1] or "r", args[2] or 0
        if (any(c in str(mode) for c in "wax+") or flags & _WRITE) and not _inside(args[0]):
            raise PermissionError(f"writing outside the sandbox is refused: {args[0]}")
    if event in ("os.remove", "os.rmdir", "os.mkdir", "os.rename", "os.replace", "shutil.rmtree") and _ROOTS:
        for p in args[:2]:
            if isinstance(p, (str, bytes, os.PathLike)) and not _inside(p):
                raise PermissionError(f"changing files outside the sandbox is refused: {p}")


if _ROOTS:
    sys.addaudithook(_hook)
"""


@dataclass(frozen=True)
class Limits:
    """Per-run limits of a generated test suite."""

    wall_s: float = 120.0
    """wall-clock seconds for the whole command (the process group is killed after it)."""
    cpu_s: int = 120
    """CPU seconds (RLIMIT_CPU)."""
    memory_mb: int = 2048
    """address space in MiB (RLIMIT_AS); a test that allocates 10 GB gets MemoryError."""
    file_mb: int = 64
    """largest file the run may write (RLIMIT_FSIZE)."""
    processes: int = 256
    """processes and threads the run may hold at once (pids cgroup, else RLIMIT_NPROC over the user's current count)."""
    network: bool = False
    """allow network access (off: new network namespace where possible, and the Python audit hook)."""


@dataclass
class RunResult:
    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    timed_out: bool = False
    notes: list[str] = field(default_factory=list)
    killed: str = ""
    """why a watchdog stopped the run early (e.g. the test that hung), empty otherwise."""
    isolation: str = ""
    """``bubblewrap`` or ``fallback (<why>)``."""


BWRAP_ENV = "TENFOLD_SANDBOX"
"""Set to ``fallback`` to run without bubblewrap even where it works (to test the fallback guards)."""


@functools.cache
def _bwrap_probe() -> str:
    """Empty when bubblewrap can start a sandbox here, else why not (checked once)."""
    exe = shutil.which("bwrap")
    if not exe:
        return "bwrap is not installed (apt-get install bubblewrap)"
    try:
        proc = subprocess.run(
            [exe, *_BWRAP_FIXED, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "true"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not start: {exc}"
    return "" if proc.returncode == 0 else f"bwrap could not start: {proc.stderr.strip()[:200]}"


def bubblewrap_reason() -> str:
    """Empty when runs are sandboxed by bubblewrap here, else why they fall back to the other guards."""
    if os.environ.get(BWRAP_ENV) == "fallback":
        return f"{BWRAP_ENV}=fallback"
    return _bwrap_probe()


_BWRAP_FIXED = ("--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session")


def _bwrap_prefix(writable: Path, cwd: Path, network: bool) -> tuple[str, ...]:
    """``bwrap`` arguments: everything read-only but ``writable``."""
    net = () if network else ("--unshare-net",)
    return (
        shutil.which("bwrap") or "bwrap",
        *_BWRAP_FIXED,
        *net,
        "--cap-drop",
        "ALL",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        # no tmpfs over /tmp: the toolchains may live there (a checkout's venv, $TENFOLD_CACHE); it stays read-only
        # and TMPDIR points into the writable directory
        "--bind",
        str(writable),
        str(writable),
        "--chdir",
        str(cwd),
        "--",
    )


@functools.cache
def _unshare_prefix() -> tuple[str, ...]:
    """The command prefix that gives a child an empty network namespace here, or () if none works."""
    exe = shutil.which("unshare")
    if not exe:
        return ()
    for prefix in ((exe, "-n"), (exe, "-rn")):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0:
                return prefix
        except (OSError, subprocess.TimeoutExpired):
            continue
    return ()


_PIDS_V1 = Path("/sys/fs/cgroup/pids")


def _pids_parent() -> Path | None:
    """A writable cgroup directory with the ``pids`` controller, or None (then RLIMIT_NPROC is the process limit).

    cgroup v1 (``/sys/fs/cgroup/pids``) is used directly; on a cgroup v2 host a sub-group needs delegation, so only
    our own v2 group is used, and only when ``pids`` is already in its ``cgroup.subtree_control``.
    """
    if (_PIDS_V1 / "cgroup.procs").exists() and os.access(_PIDS_V1, os.W_OK):
        return _PIDS_V1
    try:
        line = next(x for x in Path("/proc/self/cgroup").read_text().splitlines() if x.startswith("0::"))
        own = Path("/sys/fs/cgroup") / line[3:].lstrip("/")
        if "pids" in (own / "cgroup.subtree_control").read_text().split() and os.access(own, os.W_OK):
            return own
    except (OSError, StopIteration):
        pass
    return None


@functools.cache
def _pids_cgroups() -> Path | None:
    """:func:`_pids_parent` if a child group can really be made and limited here (checked once)."""
    parent = _pids_parent()
    if parent is None:
        return None
    probe = parent / f"tenfold-probe-{os.getpid()}"
    try:
        probe.mkdir()
        (probe / "pids.max").write_text("8")
        return parent
    except OSError:
        return None
    finally:
        with contextlib.suppress(OSError):
            probe.rmdir()


class _ProcessLimit:
    """A fresh pids cgroup for one run (entered by the child before exec), removed afterwards."""

    def __init__(self, limit: int):
        parent = _pids_cgroups()
        self.path = parent / f"tenfold-{os.getpid()}-{time.monotonic_ns()}" if parent else None
        self.limit = limit
        if self.path is not None:
            try:
                self.path.mkdir()
                (self.path / "pids.max").write_text(str(limit))
            except OSError:
                self.path = None

    def enter(self) -> None:
        """In the child (pre-exec): join the cgroup, or fall back to RLIMIT_NPROC."""
        if self.path is not None:
            (self.path / "cgroup.procs").write_text(str(os.getpid()))
        else:
            n = self.limit + _user_processes()
            resource.setrlimit(resource.RLIMIT_NPROC, (n, n))

    def close(self) -> None:
        """Kill what is left in the group (children that left the process group too), then remove it."""
        if self.path is None:
            return
        with contextlib.suppress(OSError, ValueError):
            for pid in (self.path / "cgroup.procs").read_text().split():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(int(pid), signal.SIGKILL)
        for _ in range(50):  # killed processes leave the group a moment after SIGKILL
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.02)


def _user_processes() -> int:
    """Processes (and threads) of this user now: RLIMIT_NPROC counts them all, so the budget goes on top."""
    uid, n = os.getuid(), 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.stat(f"/proc/{d}").st_uid == uid:
                    n += len(os.listdir(f"/proc/{d}/task"))
            except OSError:
                continue
    return n


def isolation() -> dict[str, bool | str]:
    """What this machine offers: bubblewrap, a network namespace, a process limit, and the always-on layers."""
    prefix, root = _unshare_prefix(), os.getuid() == 0
    why = bubblewrap_reason()
    return {
        "bubblewrap": "yes" if not why else f"no: {why}",
        "network_namespace": bool(prefix) or not why,
        "unshare": " ".join(prefix),
        "process_limit": "pids cgroup" if _pids_cgroups() else "RLIMIT_NPROC" + " (not enforced for root)" * root,
        "python_audit_hook": True,
        "rlimits": True,
        "temporary_copy": True,
    }


def _limit(limits: Limits, procs: _ProcessLimit):
    def apply() -> None:
        os.setsid()  # own process group: a timeout kills every child the tests started
        procs.enter()
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 5))
        mem = limits.memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        size = limits.file_mb * 2**20
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


class Sandbox:
    """A temporary directory holding a copy of a project; deleted on exit.

    >>> with Sandbox(project.root, project.name) as box:
    ...     box.write("uno_test.py", text)
    ...     result = box.run([sys.executable, "-m", "pytest"], limits)
    """

    def __init__(self, source: Path, name: str):
        self.source, self.name = Path(source), name
        self.tmp: Path | None = None

    def __enter__(self) -> Sandbox:
        self.tmp = Path(tempfile.mkdtemp(prefix="tenfold-projecttest-"))
        self.work = self.tmp / self.name
        shutil.copytree(self.source, self.work, ignore=shutil.ignore_patterns("__pycache__", "node_modules", ".git"))
        # the copy keeps the source's modes; a read-only source (shared data) would leave the tests, which run
        # without capabilities, unable to write in their own copy
        for path in [self.work, *self.work.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | stat.S_IWUSR)
        (self.tmp / "home").mkdir()
        (self.tmp / "guard").mkdir()
        (self.tmp / "guard" / "sitecustomize.py").write_text(GUARD)
        return self

    def __exit__(self, *exc) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, rel: str, text: str) -> Path:
        path = self.work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")}
        python_path = os.pathsep.join([str(self.tmp / "guard"), str(self.work)])
        return (
            keep
            | {
                "HOME": str(self.tmp / "home"),
                "TMPDIR": str(self.tmp / "home"),
                "PYTHONPATH": python_path,
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONHASHSEED": "0",
                "TENFOLD_SANDBOX_ROOTS": os.pathsep.join([str(self.tmp), os.devnull]),
                "NO_PROXY": "*",
            }
            | (extra or {})
        )

    def run(
        self,
        cmd: list[str],
        limits: Limits | None = None,
        extra_env: dict[str, str] | None = None,
        watchdog: Callable[[], str] | None = None,
    ) -> RunResult:
        """Run ``cmd`` in the project copy under ``limits``; never raises for what the command does.

        Args:
            watchdog: polled every 0.2 s while the command runs; a non-empty answer kills the run (``killed``).
        """
        assert self.tmp is not None, "use Sandbox as a context manager"
        limits = limits or Limits()
        why_not = bubblewrap_reason()
        if not why_not:
            prefix, isolation_kind = _bwrap_prefix(self.tmp, self.work, limits.network), "bubblewrap"
        else:
            prefix, isolation_kind = (() if limits.network else _unshare_prefix()), f"fallback ({why_not})"
        t0 = time.perf_counter()
        procs = _ProcessLimit(limits.processes)
        proc = subprocess.Popen(
            [*prefix, *cmd],
            cwd=self.work,
            env=self.env(extra_env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            preexec_fn=_limit(limits, procs),  # runs in the child before exec: limits apply to the tests only
        )
        timed_out, killed = False, ""
        try:
            while True:
                try:
                    out, err = proc.communicate(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    if time.perf_counter() - t0 > limits.wall_s:
                        timed_out = True
                    elif watchdog is not None:
                        killed = watchdog()
                    if timed_out or killed:
                        os.killpg(proc.pid, signal.SIGKILL)
                        out, err = proc.communicate()
                        break
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # background children the tests left behind
            procs.close()
        notes = [f"isolation: {isolation_kind}"]
        if why_not and not prefix and not limits.network:
            notes.append("no network namespace here; Python audit hook only")
        return RunResult(proc.returncode, out, err, time.perf_counter() - t0, timed_out, notes, killed, isolation_kind)
