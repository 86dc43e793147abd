"""Pynguin as a generator on the toy project (skipped where it is not installed: `projecttest setup-pynguin`)."""

from __future__ import annotations

from tenfold.projecttest.pynguin_gen import PynguinGenerator, pynguin_executable
from tenfold.projecttest.sweep import SweepConfig, run_sweep
from tenfold.projecttest.toy import write_toy_project
from tests.lanes import skip_unless

pytestmark = skip_unless(pynguin_executable() is not None, "pynguin", "pynguin not installed (optional baseline)")


def test_pynguin_suite_runs_and_covers(tmp_path):
    toy = write_toy_project(tmp_path / "p")
    (rec,) = run_sweep([toy], PynguinGenerator(search_time_s=5), tmp_path / "run", SweepConfig(("vanilla",)))
    assert rec.executable and rec.n_tests >= 2 and rec.n_passed == rec.n_tests  # one file per module, all passing
    assert rec.line_coverage > 0.5


def test_pynguin_uses_the_module_names_of_a_flat_project(tmp_path):
    """A flat project (no __init__.py; modules import each other top-level) is searched as such: `util`, not
    `flat.util` (which Pynguin cannot import)."""
    from tenfold.projecttest.project import load_project, module_names

    root = tmp_path / "flat"
    root.mkdir()
    (root / "mathx.py").write_text("def add(a, b):\n    return a + b\n")
    (root / "util.py").write_text("from mathx import add\n\n\ndef twice(x):\n    return add(x, x)\n")
    project = load_project(root, "python")
    assert module_names(project) == ["mathx", "util"]
    (rec,) = run_sweep([project], PynguinGenerator(search_time_s=1), tmp_path / "run", SweepConfig(("vanilla",)))
    assert rec.executable and rec.n_tests > 0 and rec.n_passed == rec.n_tests, rec.reason
