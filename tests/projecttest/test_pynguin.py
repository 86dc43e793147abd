"""Pynguin as a generator on the toy project (skipped where it is not installed: `projecttest setup-pynguin`)."""

from __future__ import annotations

import pytest

from tenfold.projecttest.pynguin_gen import PynguinGenerator, pynguin_executable
from tenfold.projecttest.sweep import SweepConfig, run_sweep
from tenfold.projecttest.toy import write_toy_project

pytestmark = pytest.mark.skipif(pynguin_executable() is None, reason="pynguin not installed (optional baseline)")


def test_pynguin_suite_runs_and_covers(tmp_path):
    toy = write_toy_project(tmp_path / "p")
    (rec,) = run_sweep([toy], PynguinGenerator(search_time_s=5), tmp_path / "run", SweepConfig(("vanilla",)))
    assert rec.executable and rec.n_tests >= 2 and rec.n_passed == rec.n_tests  # one file per module, all passing
    assert rec.line_coverage > 0.5
