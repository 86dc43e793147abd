"""The Python lane: pytest + coverage.py (line and branch) on a generated suite, inside a :class:`~.sandbox.Sandbox`.

As in the paper the suite runs from inside the project folder, whose name is the package name, so flat
(``from utils import ...``) and package (``from uno.round import ...``) imports both resolve. One
``coverage run --branch -m pytest`` gives both line and branch coverage; test files are omitted from it.
Each test gets its own timeout (``pytest-timeout``, signal method) so one hanging test fails alone and the run
goes on. A test that ignores SIGALRM gets a hard kill: a pytest plugin logs when each test starts, a watchdog kills
the run once one test has run past ``HARD_KILL_FACTOR`` × its timeout, and the suite runs again without it
(``--deselect``; at most ``MAX_HARD_KILLS`` times), so a stuck test costs that test, not its project.
"""

from __future__ import annotations

import json
import re
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from tenfold.projecttest.project import Project, module_names
from tenfold.projecttest.prompt import TestFile
from tenfold.projecttest.records import ProjectRecord, TestOutcome, classify
from tenfold.projecttest.sandbox import Limits, RunResult, Sandbox

TEST_OMIT = "*_test.py,*/test_*.py,test_*.py,*/conftest.py,conftest.py"

COVERAGE_DEFINITIONS = {
    "authors": "as the authors' run_all_py.py: `coverage run --branch -m pytest` without --source (files the tests "
    "import), test files omitted; line = covered statements / statements; branch = coverage.py's total, "
    "(covered statements + covered branches) / (statements + branches)",
    "strict": "every source file of the project counted (--source=.), imported or not; branch = covered branches / "
    "branches only",
}
"""How line and branch coverage are computed (``--coverage``); the authors' by default. coverage.py's combined total
and its branch-only rate differ a lot (47 % vs 32.6 % on one project)."""

HARD_KILL_FACTOR = 2.0
"""A test still running after this many times its timeout (plus a second) is killed with the process."""
MAX_HARD_KILLS = 3
"""Reruns after hard kills before the project is given up (each costs a rerun of the suite)."""

WATCH_PLUGIN = r"""
# Installed by tenfold.projecttest: log when each test starts and ends, for the harness's hard-kill watchdog.
import os
import time

_PATH = os.environ["TENFOLD_WATCH_FILE"]


def _log(kind, nodeid):
    with open(_PATH, "a") as fh:
        fh.write(f"{kind} {time.time():.3f} {nodeid}\n")


def pytest_runtest_logstart(nodeid, location):
    _log("start", nodeid)


def pytest_runtest_logfinish(nodeid, location):
    _log("end", nodeid)
"""

# pytest exit codes: 0 all passed, 1 some failed, 2 interrupted (collection errors), 3 internal error,
# 4 usage error, 5 no tests collected
_COLLECTED = {0, 1}


def _junit(path: Path) -> list[TestOutcome]:
    """Test outcomes from a JUnit XML report (pytest's, or the JUnit console launcher's)."""
    if not path.exists():
        return []
    out = []
    for case in ET.parse(path).getroot().iter("testcase"):
        name = "::".join(x for x in (case.get("classname", ""), case.get("name", "")) if x)
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed" if child.tag == "failure" else "error"
                message = _exception_line(child.get("message", ""), child.text or "")
                kind = (child.get("type") or "").rsplit(".", 1)[-1]  # JUnit's XML names the exception type apart
                if kind and kind not in message:
                    message = f"{kind}: {message}"
                break
            if child.tag == "skipped":
                outcome, message = "skipped", child.get("message", "")
        out.append(TestOutcome(name, outcome, message))
    return out


def _exception_line(message: str, text: str) -> str:
    """``NameError: name 'np' is not defined`` from a junit failure (pytest puts the ``E`` lines in the text)."""
    for line in text.splitlines():
        if line.startswith("E   ") and ":" in line:
            return line[4:].strip()
    return message.strip().splitlines()[0] if message.strip() else ""


def _omit(box: Sandbox) -> str:
    # our own sitecustomize guard and watch plugin run inside the measured process: never count them
    return f"{TEST_OMIT},{box.tmp}/guard/*"


def _coverage(box: Sandbox, limits: Limits, definition: str = "authors") -> tuple[float, float, dict]:
    res = box.run(
        [
            sys.executable,
            "-m",
            "coverage",
            "json",
            "--data-file=../.coverage",
            "-o",
            "../coverage.json",
            f"--omit={_omit(box)}",
            "--ignore-errors",
        ],
        limits,
    )
    path = box.work.parent / "coverage.json"
    if res.returncode != 0 or not path.exists():
        return 0.0, 0.0, {}
    totals = json.loads(path.read_text())["totals"]
    statements, branches = totals.get("num_statements", 0), totals.get("num_branches", 0)
    line = totals.get("covered_lines", 0) / statements if statements else 0.0
    if definition == "authors":  # coverage.py's total of a branch run (what `coverage html` shows)
        covered = totals.get("covered_lines", 0) + totals.get("covered_branches", 0)
        branch = covered / (statements + branches) if statements + branches else 0.0
    else:
        branch = totals.get("covered_branches", 0) / branches if branches else 0.0
    return line, branch, totals


def stuck_test(progress: Path, hard_s: float):
    """A watchdog: the node id of a test that started over ``hard_s`` seconds ago and has not ended, else ""."""

    def check() -> str:
        try:
            last = progress.read_text().splitlines()[-1].split(" ", 2)
        except (OSError, IndexError):
            return ""
        if len(last) == 3 and last[0] == "start" and time.time() - float(last[1]) > hard_s:
            return last[2]
        return ""

    return check


def junit_name(nodeid: str) -> str:
    """A pytest node id as the JUnit report names the test (``a/b_test.py::T::t`` → ``a.b_test.T::t``)."""
    path, *parts = nodeid.split("::")
    module = path.removesuffix(".py").replace("/", ".")
    return "::".join([".".join([module, *parts[:-1]]), parts[-1]]) if parts else module


IMPORT_CHECK = r"""
import importlib, json, sys
sys.path[:0] = ["..", "."]  # as pytest resolves them: the package's parent (package layout) and the folder (flat)
own, missing = set(sys.argv[2:]), {}
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] not in own:
            missing[name] = exc.name
    except BaseException:
        pass  # the project's own errors are for its tests to meet
print(json.dumps(missing))
"""


def missing_dependencies(box: Sandbox, project: Project, limits: Limits) -> str:
    """Why the project cannot be imported here for a reason outside it (a third-party module that is not installed),
    or "" — checked before any test runs, so that such a project is the environment's failure, not the model's."""
    modules = module_names(project)
    own = {m.split(".")[0] for m in modules} | {project.name}
    res = box.run([sys.executable, "-c", IMPORT_CHECK, json.dumps(modules), *sorted(own)], limits)
    if res.stderr.startswith("bwrap:"):
        return f"the sandbox did not start: {res.stderr.strip()[:200]}"
    try:
        missing = json.loads(res.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return ""
    if not missing:
        return ""
    names = sorted(set(missing.values()))
    return f"missing dependency {', '.join(names)} (imported by {', '.join(sorted(missing))})"


def run_python_suite(
    project: Project,
    tests: list[TestFile],
    limits: Limits | None = None,
    test_timeout_s: float = 10.0,
    record: ProjectRecord | None = None,
    coverage: str = "authors",
) -> ProjectRecord:
    """Run ``tests`` against a copy of ``project`` and fill a :class:`ProjectRecord` (never raises for test code).

    Args:
        coverage: a key of :data:`COVERAGE_DEFINITIONS`.
    """
    if coverage not in COVERAGE_DEFINITIONS:
        raise ValueError(f"coverage must be one of {', '.join(COVERAGE_DEFINITIONS)}, got {coverage!r}")
    limits = limits or Limits()
    rec = record or ProjectRecord(project.name, project.language)
    with Sandbox(project.root, project.name) as box:
        missing = missing_dependencies(box, project, limits)
        if missing:
            rec.reason = rec.environment = missing
            return rec
        for t in tests:
            box.write(t.path, t.text)
        (box.tmp / "guard" / "tenfold_watch.py").write_text(WATCH_PLUGIN)
        progress = box.tmp / "progress.log"
        cmd = [
            sys.executable,
            "-m",
            "coverage",
            "run",
            "--branch",
            "--data-file=../.coverage",
            *(["--source=."] if coverage == "strict" else []),
            f"--omit={_omit(box)}",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tenfold_watch",
            "-o",
            "addopts=",
            "-o",
            "console_output_style=classic",
            f"--timeout={test_timeout_s}",
            "--timeout-method=signal",
            "--junitxml=../junit.xml",
            "--rootdir=.",
        ]
        hard_s = HARD_KILL_FACTOR * test_timeout_s + 1
        killed: list[str] = []
        run_s = 0.0
        while True:
            progress.unlink(missing_ok=True)
            (box.tmp / "junit.xml").unlink(missing_ok=True)
            deselect = [f"--deselect={k}" for k in killed]
            res: RunResult = box.run(
                [*cmd, *deselect, *[t.path for t in tests]],
                limits,
                extra_env={"TENFOLD_WATCH_FILE": str(progress)},
                watchdog=stuck_test(progress, hard_s),
            )
            run_s += res.wall_s
            if not res.killed or len(killed) >= MAX_HARD_KILLS:
                break
            killed.append(res.killed)
        rec.run_s = run_s
        rec.notes += res.notes
        rec.tests = _junit(box.work.parent / "junit.xml") + [
            TestOutcome(
                junit_name(k), "error", f"Timeout: killed after {hard_s:.0f} s (it ignored the per-test timeout)"
            )
            for k in killed
        ]
        if killed:
            rec.notes.append(f"hard-killed and deselected: {', '.join(killed)}")
        collected = res.returncode in _COLLECTED and not res.timed_out and not res.killed
        if res.killed:  # still hanging after MAX_HARD_KILLS reruns
            rec.reason = f"{len(killed) + 1} tests ignored their timeout and were killed; the suite was given up"
        elif res.timed_out:
            rec.reason = f"the suite ran past {limits.wall_s:.0f} s and was stopped"
        elif res.returncode == 5:
            rec.reason = "no tests collected"
        elif not collected:
            rec.reason = "collection failed: " + _first_error(res, rec.tests)
        rec.executable = collected and rec.n_tests > 0
        rec.cascades = classify(rec.tests, collected)
        if rec.executable:
            rec.line_coverage, rec.branch_coverage, _ = _coverage(box, limits, coverage)
        rec.notes.append(f"pytest exit {res.returncode}")
        rec.output = normalise_output(res.stdout + res.stderr, box.tmp)[-6000:]
    return rec


def normalise_output(text: str, sandbox: Path | None) -> str:
    """Runner output without what changes between identical runs: the sandbox path and durations."""
    if sandbox is not None:
        text = text.replace(str(sandbox), "<sandbox>")
    return re.sub(r"\b\d+\.\d+s\b", "<t>s", text)


def _first_error(res: RunResult, tests: list[TestOutcome]) -> str:
    for t in tests:
        if t.message:
            return t.message
    for line in (res.stdout + res.stderr).splitlines():
        if line.startswith("E   "):
            return line[4:].strip()
    return f"pytest exit code {res.returncode}"
