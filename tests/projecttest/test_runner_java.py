"""The Java lane (javac + JUnit 5 + JaCoCo) on a toy project; skipped where the JDK or Debian's junit5 is absent."""

from __future__ import annotations

import pytest

from tenfold.projecttest.metrics import aggregate
from tenfold.projecttest.prompt import extract_tests
from tenfold.projecttest.runner_java import toolchain
from tenfold.projecttest.toy import JAVA_REPLIES, write_java_toy_project
from tests.lanes import skip_unless

pytestmark = skip_unless(
    bool(toolchain()["javac"] and toolchain()["junit"]), "java", "JDK or JUnit 5 missing (apt-get install junit5)"
)


def test_metric_identities(tmp_path):
    from tenfold.projecttest.runner_java import run_java_suite

    proj = write_java_toy_project(tmp_path)
    recs = {k: run_java_suite(proj, extract_tests(JAVA_REPLIES[k], proj)) for k in "ABC"}
    a, b, c = recs["A"], recs["B"], recs["C"]
    assert [t.path for t in extract_tests(JAVA_REPLIES["A"], proj)] == ["src/test/java/calc/CalcTest.java"]
    assert (a.executable, a.n_tests, a.n_passed) == (True, 4, 4)
    assert not b.executable and "cannot find symbol" in b.reason and b.categories() == {"collection": 1}
    assert (c.n_tests, c.n_passed) == (4, 2) and c.categories() == {"assertion": 2}
    assert aggregate([a, b, c])["correctness"] == 0.5
    if toolchain()["jacoco_agent"]:
        # 11 executable lines in Calc + Stats; A leaves only Stats' implicit constructor unrun
        assert a.line_coverage == pytest.approx(10 / 11) and a.branch_coverage == 1.0
        assert 0 < c.line_coverage < a.line_coverage
