"""The official benchmark as shipped (``../shared/data/projecttest-official``, or ``$TENFOLD_SHARED_DATA``): all 59
projects load, and our prompt for each is the authors' ``original_prompt.json`` text byte for byte."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tenfold.projecttest.data import official_dataset
from tenfold.projecttest.generators import TestFiles
from tenfold.projecttest.project import authors_prompts, load_official
from tenfold.projecttest.prompt import FLAGS, SYSTEM_PROMPT, build_messages
from tenfold.projecttest.runner_js import installed_node_modules
from tenfold.projecttest.sweep import SweepConfig, run_sweep
from tests.lanes import skip_unless

DATASET = official_dataset()
pytestmark = skip_unless(
    DATASET is not None,
    "projecttest-data",
    "the official ProjectTest data is not here (set TENFOLD_SHARED_DATA to its parent folder)",
)
COUNTS = {"python": 20, "javascript": 20, "java": 19}  # the repository never had a 20th Java project


@pytest.mark.parametrize("language", list(COUNTS))
def test_every_official_project_loads_with_the_authors_prompt(language):
    projects = load_official(DATASET, language)
    assert len(projects) == COUNTS[language]
    prompts = authors_prompts(DATASET, language)
    assert sorted(p.name for p in projects) == sorted(prompts)
    for project in projects:
        entry = prompts[project.name]
        # generate_tests_gpt.py: "# " + classname + ".<flag>\n" + original_code + "\n" + test_prompt.strip() + "\n\t\t"
        authors = (
            f"# {entry['classname']}.{FLAGS[language]}\n{entry['original_code']}\n{entry['test_prompt'].strip()}\n\t\t"
        )
        system, user = build_messages(project)
        assert system == {"role": "system", "content": SYSTEM_PROMPT}
        assert user["content"] == authors, project.name
        assert all((project.root / f).is_file() for f in project.files)


def test_the_authors_test_named_sources_are_kept():
    java = {p.name: p for p in load_official(DATASET, "java")}
    assert "HeapPerformanceTest.java" in java["heap"].files
    assert "GeneratorTest.java" in java["passwordGenerator"].files


SUITES = Path(__file__).parent / "official_suites"


def _by_hand_python(project, tmp_path) -> tuple[dict[str, int], dict]:
    """What the authors' run_all_py.py does, in a copy: `coverage run --branch -m pytest`, report omitting *_test.py."""
    work = tmp_path / "by-hand" / project.name
    shutil.copytree(project.root, work)
    shutil.copy(SUITES / f"{project.name}_test.py", work)
    run = subprocess.run(
        [sys.executable, "-m", "coverage", "run", "--branch", "-m", "pytest", "-p", "no:cacheprovider"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed)", run.stdout.splitlines()[-1])}
    report = [sys.executable, "-m", "coverage", "json", "--omit=*_test.py", "-o", "c.json"]
    subprocess.run(report, cwd=work, capture_output=True, timeout=120)
    return counts, json.loads((work / "c.json").read_text())["totals"]


def test_existing_python_test_files_score_as_the_authors_tools_do(tmp_path):
    project = {p.name: p for p in load_official(DATASET, "python")}["stock"]
    (rec,) = run_sweep([project], TestFiles(str(SUITES)), tmp_path / "run", SweepConfig(("vanilla",)))
    counts, totals = _by_hand_python(project, tmp_path)
    assert counts == {"passed": 4, "failed": 1}
    assert (rec.n_passed, rec.n_tests - rec.n_passed) == (counts["passed"], counts["failed"])
    assert rec.line_coverage * 100 == pytest.approx(totals["percent_statements_covered"], abs=1e-9)
    assert rec.branch_coverage * 100 == pytest.approx(totals["percent_covered"], abs=1e-9)
    assert rec.owner == "model" and not rec.environment


@skip_unless(installed_node_modules() is not None and shutil.which("node") is not None, "javascript", "no Jest")
def test_existing_javascript_test_files_score_as_jest_reports(tmp_path):
    """The lane's numbers for ckmeans0.test.js are Jest's own summary under the authors' set-up (jsdom, babel-jest,
    coverage collected), run by hand in a copy."""
    modules = installed_node_modules()
    project = {p.name: p for p in load_official(DATASET, "javascript")}["ckmeans"]
    (rec,) = run_sweep([project], TestFiles(str(SUITES)), tmp_path / "run", SweepConfig(("vanilla",)))
    work = tmp_path / "by-hand" / project.name
    shutil.copytree(project.root, work)
    shutil.copy(SUITES / "ckmeans0.test.js", work)
    preset = json.dumps(str(modules / "@babel" / "preset-env"))
    (work / "babel.config.cjs").write_text(
        f"module.exports = {{ presets: [[{preset}, {{targets: {{node: 'current'}}}}]] }};"
    )
    config = {
        "testEnvironment": str(modules / "jest-environment-jsdom"),
        "transform": {r"^.+\.js$": str(modules / "babel-jest")},
        "collectCoverage": True,
        "collectCoverageFrom": ["**/*.js", "!**/*.test.js", "!*.config.cjs"],
        "coverageReporters": ["json-summary"],
    }
    (work / "jest.config.json").write_text(json.dumps(config))
    jest = [
        "node",
        str(modules / "jest" / "bin" / "jest.js"),
        "--config",
        "jest.config.json",
        "--json",
        "--outputFile=result.json",
        "--ci",
    ]
    subprocess.run(jest, cwd=work, capture_output=True, timeout=300)
    result = json.loads((work / "result.json").read_text())
    total = json.loads((work / "coverage" / "coverage-summary.json").read_text())["total"]
    assert (result["numPassedTests"], result["numFailedTests"]) == (4, 1)
    assert (rec.n_passed, rec.n_tests - rec.n_passed) == (4, 1)
    assert rec.line_coverage * 100 == pytest.approx(total["lines"]["pct"], abs=0.01)
    assert rec.branch_coverage * 100 == pytest.approx(total["branches"]["pct"], abs=0.01)


def test_a_missing_dependency_is_the_environments_failure(tmp_path, monkeypatch):
    """A project importing a module that is not installed is not scored against the model: it is listed apart."""
    from tenfold.projecttest.metrics import aggregate

    project = {p.name: p for p in load_official(DATASET, "python")}["stock"]
    broken = tmp_path / "stock"
    shutil.copytree(project.root, broken)
    (broken / "validate.py").write_text("import tenfold_not_installed_xyz\n" + (broken / "validate.py").read_text())
    from tenfold.projecttest.project import load_project

    (rec,) = run_sweep(
        [load_project(broken, "python")], TestFiles(str(SUITES)), tmp_path / "run", SweepConfig(("vanilla",))
    )
    assert rec.owner == "environment" and "missing dependency tenfold_not_installed_xyz" in rec.environment
    assert aggregate([rec]) == {"projects": 0, "environment": 1}


def test_every_official_python_project_imports_under_the_harness():
    from tenfold.projecttest.environment import environment_status

    status = {p.name: environment_status(p) for p in load_official(DATASET, "python")}
    assert len(status) == 20 and all(why == "" for why in status.values()), status


@pytest.mark.slow
@pytest.mark.parametrize(("language", "at_least"), [("javascript", 20), ("java", 11)])
def test_official_javascript_and_java_projects_run_here(language, at_least):
    """JavaScript: all 20 import under jsdom; Java: the projects without framework dependencies compile and load,
    the others are listed with a compiler message naming what is missing."""
    from tenfold.projecttest.environment import environment_status

    status = {p.name: environment_status(p) for p in load_official(DATASET, language)}
    ready = [n for n, why in status.items() if not why]
    assert len(ready) >= at_least, status
    for name, why in status.items():
        if why:
            assert "does not compile here" in why and name.startswith(("spring", "servlet", "redis", "logrequest"))
