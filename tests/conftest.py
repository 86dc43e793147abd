"""Shared fixtures: an isolated cache, quiet progress bars, and a runner for CLI smoke tests."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # One cache for the whole session (corpora, tokenizers, trained tiny models, the SmolLM2 conversion), isolated
    # from the user's unless TENFOLD_CACHE is set on purpose (reusing it makes repeated runs faster).
    if "TENFOLD_CACHE" not in os.environ:
        import tempfile

        os.environ["TENFOLD_CACHE"] = tempfile.mkdtemp(prefix="tenfold-test-cache-")
    os.environ["TENFOLD_PROGRESS"] = "0"
    # Hypothesis keeps its example database in ./.hypothesis by default: keep the checkout clean
    if "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:
        import tempfile

        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = tempfile.mkdtemp(prefix="tenfold-hypothesis-")


def run_cli(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``tenfold ARGS...`` in this process (a CLI subprocess costs ~4 s of imports; the commands keep no state
    between calls), capturing stdout and stderr; returns a CompletedProcess like :func:`subprocess.run` would."""
    from tenfold.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse: --help, --version and usage errors
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    proc = subprocess.CompletedProcess(["tenfold", *map(str, args)], code, out.getvalue(), err.getvalue())
    if check and proc.returncode != 0:
        raise AssertionError(f"tenfold {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
    return proc


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run ``tenfold ARGS...`` in this process with cwd = a temporary directory (see :func:`run_cli`)."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str, timeout: float = 600, check: bool = False) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, check=check)

    return run


@pytest.fixture
def cli_subprocess(tmp_path: Path):
    """Run ``tenfold ARGS...`` in a subprocess (cwd = a temporary directory): for what needs a fresh interpreter
    (imports, signals, stdin)."""

    def run(*args: str, timeout: float = 600, check: bool = False) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "tenfold", *map(str, args)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "TENFOLD_PROGRESS": "0"},
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"tenfold {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
        return proc

    return run


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """A user error: exit code 2, one line on stderr naming the problem, no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert lines[0].startswith("tenfold: error:"), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture(scope="session")
def test_reproductions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tenfold reproduce --preset test`` of every built system, run once per session and shared by the conformance
    suite and the systems' own checks of their reproduction; returns the report directory."""
    from tenfold.systems import built

    out = tmp_path_factory.mktemp("reproduce-test")
    names = [spec.name for spec in built()]
    proc = run_cli("reproduce", *names, "--preset", "test", "--out-dir", out)
    (out / "stderr.txt").write_text(proc.stderr)
    return out


@pytest.fixture(scope="session")
def quick_reproduction(tmp_path_factory: pytest.TempPathFactory):
    """``quick_reproduction(system)``: the system's quick reproduction at seed 0 (the acceptance tests' subject),
    computed once per session, or read from the cache when ``TENFOLD_CACHE`` already holds it (after ``make run``)."""
    from tenfold.common.reproduce import reproduce_cached
    from tenfold.systems import get_system

    done: dict[str, object] = {}

    def get(system: str):
        if system not in done:
            out = tmp_path_factory.mktemp(f"quick-{system}")
            done[system] = reproduce_cached(get_system(system).load_reproducer(), "quick", out, seed=0)
        return done[system]

    return get


def report_row(report: str, system: str) -> str:
    """The line of ``system`` in a report's summary table (``| system | paper | verdicts |``)."""
    rows = [line for line in report.splitlines() if line.startswith(f"| {system} |")]
    assert rows, f"{system} is not in the report's summary"
    return rows[0]


def _ray_pids() -> set[int]:
    """Processes of a local Ray instance (GCS, raylet, workers, agents), by their command lines."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if any(m in cmd for m in (b"raylet", b"gcs_server", b"ray::", b"ray/_private", b"default_worker.py")):
            pids.add(int(entry.name))
    return pids


@pytest.fixture(scope="session")
def ray_session():
    """One local Ray instance for every Ray test of the session (ProjectTest's sweep, DistRL's backend): starting
    Ray costs seconds, so it starts once; at the end it is shut down and no Ray process it started may remain."""
    ray = pytest.importorskip("ray")
    before = _ray_pids()
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    if started:
        import time

        ray.shutdown()
        deadline = time.monotonic() + 15
        while (left := _ray_pids() - before) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, f"Ray processes left behind: {sorted(left)}"
