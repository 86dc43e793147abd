"""The Python lane: pytest + coverage.py (line and branch) on a generated suite, inside a :class:`~.sandbox.Sandbox`.

As in the paper the suite runs from inside the project folder, whose name is the package name, so flat
(``from utils import ...``) and package (``from uno.round import ...``) imports both resolve. One
``coverage run --branch -m pytest`` gives both line and branch coverage; test files are omitted from it.
Each test gets its own timeout (``pytest-timeout``, signal method) so one hanging test fails alone and the run
goes on.
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tenfold.projecttest.project import Project
from tenfold.projecttest.prompt import TestFile
from tenfold.projecttest.records import ProjectRecord, TestOutcome, classify
from tenfold.projecttest.sandbox import Limits, RunResult, Sandbox

TEST_OMIT = "*_test.py,*/test_*.py,test_*.py,*/conftest.py,conftest.py"

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


def _coverage(box: Sandbox, limits: Limits) -> tuple[float, float, dict]:
    res = box.run(
        [
            sys.executable,
            "-m",
            "coverage",
            "json",
            "--data-file=../.coverage",
            "-o",
            "../coverage.json",
            f"--omit={TEST_OMIT}",
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
    branch = totals.get("covered_branches", 0) / branches if branches else 0.0
    return line, branch, totals


def run_python_suite(
    project: Project,
    tests: list[TestFile],
    limits: Limits | None = None,
    test_timeout_s: float = 10.0,
    record: ProjectRecord | None = None,
) -> ProjectRecord:
    """Run ``tests`` against a copy of ``project`` and fill a :class:`ProjectRecord` (never raises for test code)."""
    limits = limits or Limits()
    rec = record or ProjectRecord(project.name, project.language)
    with Sandbox(project.root, project.name) as box:
        for t in tests:
            box.write(t.path, t.text)
        cmd = [
            sys.executable,
            "-m",
            "coverage",
            "run",
            "--branch",
            "--data-file=../.coverage",
            "--source=.",
            f"--omit={TEST_OMIT}",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "-o",
            "console_output_style=classic",
            f"--timeout={test_timeout_s}",
            "--timeout-method=signal",
            "--junitxml=../junit.xml",
            "--rootdir=.",
            *[t.path for t in tests],
        ]
        res: RunResult = box.run(cmd, limits)
        rec.run_s = res.wall_s
        rec.notes += res.notes
        rec.tests = _junit(box.work.parent / "junit.xml")
        collected = res.returncode in _COLLECTED and not res.timed_out
        if res.timed_out:
            rec.reason = f"the suite ran past {limits.wall_s:.0f} s and was stopped"
        elif res.returncode == 5:
            rec.reason = "no tests collected"
        elif not collected:
            rec.reason = "collection failed: " + _first_error(res, rec.tests)
        rec.executable = collected and rec.n_tests > 0
        rec.cascades = classify(rec.tests, collected)
        if rec.executable:
            rec.line_coverage, rec.branch_coverage, _ = _coverage(box, limits)
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
