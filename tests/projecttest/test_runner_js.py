"""The JavaScript lane (Jest) on a toy project with known outcomes; skipped where node or Jest is not installed."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tenfold.projecttest.metrics import aggregate
from tenfold.projecttest.project import fingerprint
from tenfold.projecttest.prompt import extract_tests
from tenfold.projecttest.runner_js import _configs, installed_node_modules, run_js_suite
from tenfold.projecttest.toy import JS_REPLIES, write_js_toy_project
from tests.lanes import skip_unless

pytestmark = skip_unless(
    shutil.which("node") is not None and installed_node_modules() is not None,
    "javascript",
    "node or Jest not installed (make setup installs Jest where npm exists)",
)


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    return write_js_toy_project(tmp_path_factory.mktemp("js"))


def test_metric_identities_and_taxonomy(shapes):
    before = fingerprint(shapes.root)
    recs = {k: run_js_suite(shapes, extract_tests(JS_REPLIES[k], shapes)) for k in "ABC"}
    assert fingerprint(shapes.root) == before
    a, b, c = recs["A"], recs["B"], recs["C"]
    assert (a.executable, a.n_tests, a.n_passed, a.line_coverage, a.branch_coverage) == (True, 4, 4, 1.0, 1.0)
    assert not b.executable and b.categories() == {"import": 1} and "geometry.js" in b.reason
    assert (c.n_tests, c.n_passed) == (4, 2) and c.categories() == {"assertion": 2}
    agg = aggregate([a, b, c])
    assert agg["executability"] == pytest.approx(2 / 3) and agg["correctness"] == 0.5


def test_coverage_equals_jests_own_summary(shapes, tmp_path):
    """Our rates are Jest's: run Jest directly on the same suite and compare with its text summary's percentages."""
    (test,) = extract_tests(JS_REPLIES["C"], shapes)
    ours = run_js_suite(shapes, [test])
    modules = installed_node_modules()
    work = tmp_path / shapes.name
    shutil.copytree(shapes.root, work)
    for name, text in _configs(modules, 10).items():
        (work / name).write_text(text)
    (work / test.path).write_text(test.text)
    subprocess.run(
        ["node", str(modules / "jest" / "bin" / "jest.js"), "--config", "jest.config.cjs", "--ci"],
        cwd=work,
        capture_output=True,
        timeout=120,
    )
    total = json.loads((tmp_path / "coverage" / "coverage-summary.json").read_text())["total"]
    assert ours.line_coverage * 100 == pytest.approx(total["lines"]["pct"], abs=0.01)
    assert ours.branch_coverage * 100 == pytest.approx(total["branches"]["pct"], abs=0.01)


def test_manual_fix_points_a_missing_module_at_the_file_that_exports_the_names(shapes):
    from tenfold.projecttest.fixing import manual_fix
    from tenfold.projecttest.prompt import TestFile

    tests = extract_tests(JS_REPLIES["B"], shapes)
    fixed, log = manual_fix(shapes, tests, run_js_suite(shapes, tests))
    assert "from './area.js'" in fixed[0].text and log.changed_lines == 2
    after = run_js_suite(shapes, fixed)
    assert (after.executable, after.n_tests, after.n_passed) == (True, 1, 1)
    # a bare specifier named like a file in a sub-folder, seen from a test in the root: a relative path to it
    nested = TestFile("x.test.js", "const { rect } = require('area');\ntest('r', () => expect(rect(1, 2)).toBe(2));\n")
    rec = run_js_suite(shapes, [nested])
    (out,), _ = manual_fix(shapes, [nested], rec)
    assert "require('./area.js')" in out.text
