"""The JavaScript lane: Jest 29.7 with Babel and Istanbul coverage, inside a :class:`~.sandbox.Sandbox`.

As in the paper (Jest 29.7 + babel-jest + @babel/preset-env, ``collectCoverage``, and the authors'
``testEnvironment: jsdom``, so projects that touch the DOM run as they did for them), but Jest and Babel are installed
once with npm into the cache (``$TENFOLD_CACHE/projecttest/node``), not into each project, and the run gets its own
``jest.config.cjs`` / ``babel.config.cjs`` that point there by absolute path, so ES-module sources need no
``package.json`` edits. Node is required; without it (or without npm on first use) the lane reports itself
unavailable with an install hint.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tenfold.common.paths import cache_dir
from tenfold.projecttest.project import Project
from tenfold.projecttest.prompt import TestFile
from tenfold.projecttest.records import ProjectRecord, TestOutcome, classify
from tenfold.projecttest.sandbox import Limits, Sandbox

PACKAGES = (
    "jest@29.7.0",
    "babel-jest@29.7.0",
    "@babel/core@7",
    "@babel/preset-env@7",
    "jest-environment-jsdom@29.7.0",
)
"""The authors' ``jstest/package.json`` devDependencies (Jest, Babel, jsdom) at the versions they pin."""
HINT = "install Node.js 18+ and npm (Debian: apt-get install nodejs npm)"


class LaneUnavailable(RuntimeError):
    """A language lane whose toolchain is missing (reported per project with the install hint, never fatal)."""


def _complete(modules: Path) -> bool:
    needed = ("jest/bin/jest.js", "@babel/preset-env", "jest-environment-jsdom")
    return all((modules / n).exists() for n in needed)


def installed_node_modules() -> Path | None:
    """Jest, Babel and jsdom where ``make setup`` puts them (``<venv>/node``) or a previous run installed them (the
    cache)."""
    for root in (Path(sys.prefix) / "node", cache_dir("projecttest", "node")):
        if _complete(root / "node_modules"):
            return root / "node_modules"
    return None


def node_modules() -> Path:
    """Jest and Babel: installed ones, else installed with npm into the cache on first use."""
    if not shutil.which("node"):
        raise LaneUnavailable(f"the JavaScript lane needs node: {HINT}")
    found = installed_node_modules()
    if found is not None:
        return found
    root = cache_dir("projecttest", "node")
    modules = root / "node_modules"
    if not shutil.which("node") or not shutil.which("npm"):
        raise LaneUnavailable(f"the JavaScript lane needs node and npm: {HINT}")
    cmd = ["npm", "install", "--prefix", str(root), "--no-audit", "--no-fund", "--silent", *PACKAGES]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise LaneUnavailable(f"npm could not install Jest ({proc.stderr.strip()[-200:]}); {HINT}")
    return modules


def _configs(modules: Path, test_timeout_s: float) -> dict[str, str]:
    babel = f"""module.exports = {{
  presets: [[{json.dumps(str(modules / "@babel" / "preset-env"))}, {{ targets: {{ node: "current" }} }}]],
}};
"""
    jest = f"""module.exports = {{
  rootDir: ".",
  testEnvironment: {json.dumps(str(modules / "jest-environment-jsdom"))},
  testMatch: ["**/*.test.js", "**/*.test.mjs"],
  transform: {{ "\\\\.m?js$": [{json.dumps(str(modules / "babel-jest"))}, {{ configFile: "./babel.config.cjs" }}] }},
  collectCoverage: true,
  collectCoverageFrom: ["**/*.{{js,mjs}}", "!**/*.test.{{js,mjs}}", "!**/node_modules/**", "!*.config.cjs"],
  coverageDirectory: "../coverage",
  coverageReporters: ["json-summary"],
  testTimeout: {int(test_timeout_s * 1000)},
  watchman: false,
  cacheDirectory: "../jest-cache",
}};
"""
    return {"babel.config.cjs": babel, "jest.config.cjs": jest}


def _outcomes(report: dict) -> tuple[list[TestOutcome], str]:
    tests, suite_errors = [], []
    for suite in report.get("testResults", []):
        name = Path(suite.get("name", "")).name
        if suite.get("status") == "failed" and not suite.get("assertionResults"):
            message = (suite.get("message") or "").strip()
            lines = [ln.strip() for ln in message.splitlines() if ln.strip() and not ln.strip().startswith("●")]
            first = lines[0] if lines else "suite failed to run"
            tests.append(TestOutcome(name, "error", first))
            suite_errors.append(first)
        for a in suite.get("assertionResults", []):
            status = {"passed": "passed", "failed": "failed", "pending": "skipped", "todo": "skipped"}.get(
                a.get("status", ""), "skipped"
            )
            message = ""
            if a.get("failureMessages"):
                message = next((ln.strip() for ln in a["failureMessages"][0].splitlines() if ln.strip()), "")
            tests.append(TestOutcome(f"{name}::{a.get('fullName', '')}", status, message))
    return tests, "; ".join(suite_errors)


def run_js_suite(
    project: Project,
    tests: list[TestFile],
    limits: Limits | None = None,
    test_timeout_s: float = 10.0,
    record: ProjectRecord | None = None,
) -> ProjectRecord:
    """Run ``tests`` with Jest against a copy of ``project``; fill a :class:`ProjectRecord`."""
    limits = limits or Limits(memory_mb=4096)  # V8 reserves a large address space up front
    rec = record or ProjectRecord(project.name, project.language)
    try:
        modules = node_modules()
    except LaneUnavailable as e:
        rec.reason = rec.environment = str(e)
        return rec
    with Sandbox(project.root, project.name) as box:
        for name, text in _configs(modules, test_timeout_s).items():
            box.write(name, text)
        for t in tests:
            box.write(t.path, t.text)
        cmd = [
            "node",
            str(modules / "jest" / "bin" / "jest.js"),
            "--config",
            "jest.config.cjs",
            "--ci",
            "--json",
            "--outputFile=../jest.json",
            "--forceExit",
        ]
        res = box.run(cmd, limits)
        rec.run_s = res.wall_s
        rec.notes += res.notes
        out = box.work.parent / "jest.json"
        report = json.loads(out.read_text()) if out.exists() else {}
        rec.tests, suite_errors = _outcomes(report)
        ran = [t for t in rec.tests if t.outcome != "error" or "::" in t.name]
        collected = bool(report) and not suite_errors and not res.timed_out
        if res.timed_out:
            rec.reason = f"the suite ran past {limits.wall_s:.0f} s and was stopped"
        elif not report:
            rec.reason = "jest did not run: " + (res.stderr.strip().splitlines() or ["no output"])[-1][:300]
        elif suite_errors:
            rec.reason = "suite failed to run: " + suite_errors
        rec.executable = collected and any(t.outcome in ("passed", "failed") for t in ran)
        rec.cascades = classify(rec.tests, collected)
        summary = box.work.parent / "coverage" / "coverage-summary.json"
        if rec.executable and summary.exists():
            total = json.loads(summary.read_text())["total"]
            rec.line_coverage = _ratio(total["lines"])
            rec.branch_coverage = _ratio(total["branches"])
        rec.output = (res.stdout + res.stderr)[-6000:].replace(str(box.tmp), "<sandbox>")
    return rec


def _ratio(entry: dict) -> float:
    return entry["covered"] / entry["total"] if entry.get("total") else 0.0
