"""The Python lane on toy projects with known outcomes: metric identities, cascades, isolation, coverage parity."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tenfold.projecttest.metrics import aggregate
from tenfold.projecttest.project import fingerprint
from tenfold.projecttest.prompt import extract_tests
from tenfold.projecttest.runner_python import run_python_suite
from tenfold.projecttest.sandbox import Limits
from tenfold.projecttest.toy import REPLIES, write_toy_project

LIMITS = Limits(wall_s=60, memory_mb=1024)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return write_toy_project(tmp_path_factory.mktemp("toy"))


@pytest.fixture(scope="module")
def records(toy):
    before = fingerprint(toy.root)
    out = {k: run_python_suite(toy, extract_tests(REPLIES[k], toy), LIMITS, test_timeout_s=3) for k in "ABCDE"}
    assert fingerprint(toy.root) == before  # the source project is byte-identical afterwards
    return out


def test_metric_identities(records):
    a, b, c = records["A"], records["B"], records["C"]
    assert (a.executable, a.n_tests, a.n_passed) == (True, 4, 4)
    assert (b.executable, b.line_coverage, b.branch_coverage) == (False, 0.0, 0.0) and "calculator" in b.reason
    assert (c.executable, c.n_tests, c.n_passed) == (True, 4, 2)
    agg = aggregate([a, b, c])
    assert agg["executability"] == pytest.approx(2 / 3)
    assert agg["correctness"] == 0.5  # mean of per-project rates (1 + 0 + 0.5) / 3, not 6 / 9
    assert a.line_coverage == 1.0 and 0 < c.line_coverage < 1
    assert {t.category for t in c.tests if t.outcome == "failed"} == {"assertion"}
    assert b.categories() == {"import": 1}


def test_cascade_of_a_missing_import(records):
    d = records["D"]
    assert d.cascades == {"NameError: name 'np' is not defined": 3}
    assert d.categories() == {"cascade": 3} and d.n_passed == 1


def test_misbehaving_tests_are_stopped_and_the_run_goes_on(records):
    e = records["E"]
    outcome = {t.name.rsplit("::", 1)[-1]: (t.outcome, t.category) for t in e.tests}
    assert outcome["test_good"] == ("passed", "")
    assert outcome["test_forever"] == ("failed", "timeout")
    for name in ("test_input", "test_escape", "test_memory", "test_socket"):
        assert outcome[name] == ("failed", "blocked"), name
    assert not Path("/tmp/tenfold-escaped.txt").exists()
    assert e.run_s < 30


@pytest.mark.parametrize("definition", ["authors", "strict"])
def test_coverage_equals_coverage_py_report(toy, tmp_path, definition):
    """The harness's line and branch rates are coverage.py's own numbers for the same suite: by default as the
    authors' run_all_py.py runs it (no --source; branch = the report's total), else strict (--source=., branch-only)."""
    import shutil

    work = tmp_path / toy.name
    shutil.copytree(toy.root, work)
    (test,) = extract_tests(REPLIES["C"], toy)
    (work / test.path).write_text(test.text)
    source = ["--source=."] if definition == "strict" else []
    run = [sys.executable, "-m", "coverage", "run", "--branch", *source, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    subprocess.run([*run, test.path], cwd=work, capture_output=True, timeout=120)
    report = [sys.executable, "-m", "coverage", "json", "--omit=*_test.py", "-o", "c.json"]  # the authors' omit
    subprocess.run(report, cwd=work, capture_output=True)
    totals = json.loads((work / "c.json").read_text())["totals"]
    ours = run_python_suite(toy, [test], LIMITS, coverage=definition)
    assert ours.line_coverage * 100 == pytest.approx(totals["percent_statements_covered"], abs=1e-9)
    branch = totals["percent_covered"] if definition == "authors" else totals["percent_branches_covered"]
    assert ours.branch_coverage * 100 == pytest.approx(branch, abs=1e-9)
    assert totals["percent_covered"] != totals["percent_branches_covered"]  # the two definitions really differ here


def _bomb(tmp_path, limits: Limits):
    """Run a script that keeps starting `sleep 30.<marker>` processes; returns its report lines as a dict, with the
    marker (the sandbox may give the script its own PID namespace, so its pids mean nothing out here)."""
    from tenfold.projecttest.sandbox import Sandbox

    marker = f"30.{os.getpid()}{time.monotonic_ns() % 10**6:06d}"
    script = (
        "import resource, subprocess\n"
        "print('nproc', resource.getrlimit(resource.RLIMIT_NPROC)[0])\n"
        "kids = []\n"
        "try:\n"
        "    for _ in range(200):\n"
        f"        kids.append(subprocess.Popen(['sleep', '{marker}'], stdout=subprocess.DEVNULL, "
        "stderr=subprocess.DEVNULL))\n"
        "except OSError as e:\n"
        "    print('refused', type(e).__name__)\n"
        "print('started', len(kids))\n"
    )
    (tmp_path / "p").mkdir(exist_ok=True)
    (tmp_path / "p" / "bomb.py").write_text(script)
    with Sandbox(tmp_path / "p", "p") as box:
        res = box.run([sys.executable, "bomb.py"], limits)
    return dict(line.split(" ", 1) for line in res.stdout.splitlines()) | {"marker": marker}


def _running(marker: str) -> list[int]:
    """Live (not zombie) processes whose command line holds ``marker``."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if marker.encode() in (d / "cmdline").read_bytes() and state not in ("Z", "X"):
                found.append(int(d.name))
        except OSError:
            continue
    return found


def _gone(marker: str, within_s: float = 5.0) -> bool:
    """No process with ``marker`` is alive within ``within_s``: SIGKILL is delivered asynchronously, so on a busy
    machine a killed process can still be listed as running for a moment after kill() returns."""
    deadline = time.monotonic() + within_s
    while _running(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_fork_bomb_meets_the_process_limit(tmp_path):
    """Where the pids cgroup works (here), the 24th process is refused; what the suite started does not outlive it."""
    from tenfold.projecttest.sandbox import isolation

    lines = _bomb(tmp_path, Limits(wall_s=60, processes=24))
    assert _gone(lines["marker"])
    if isolation()["process_limit"] == "pids cgroup":
        assert lines["refused"] in ("BlockingIOError", "PermissionError") and int(lines["started"]) < 24
    else:  # RLIMIT_NPROC fallback: the child carries the limit on top of the user's current processes
        assert int(lines["nproc"]) >= 24 and int(lines["nproc"]) != resource.RLIM_INFINITY


def test_without_a_pids_cgroup_the_child_gets_rlimit_nproc(tmp_path, monkeypatch):
    """The fallback path, forced: RLIMIT_NPROC = the user's processes + the budget (root ignores it; others hit it)."""
    from tenfold.projecttest import sandbox

    monkeypatch.setattr(sandbox, "_pids_cgroups", lambda: None)
    lines = _bomb(tmp_path, Limits(wall_s=60, processes=24))
    assert 24 < int(lines["nproc"]) <= 24 + sandbox._user_processes() + 250  # + what started since
    assert _gone(lines["marker"])  # the process-group kill reaches the leftovers without a cgroup too
    if os.getuid() != 0:
        assert lines["refused"] in ("BlockingIOError", "PermissionError")
