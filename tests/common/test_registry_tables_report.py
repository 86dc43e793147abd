from __future__ import annotations

import pytest

from tenfold.common.claims import Claim, ClaimResult
from tenfold.common.errors import UserError
from tenfold.common.plots import line_plot, save_figure
from tenfold.common.registry import Registry
from tenfold.common.report import ReportEntry, write_report
from tenfold.common.reproduce import Reproduction
from tenfold.common.tables import fmt_mean_std, markdown_table, mean_std
from tenfold.systems import CORE, SYSTEMS, get_system, systems


def test_registry_errors_suggest_names():
    reg: Registry[int] = Registry("widget")
    reg.register("alpha", 1, "first")
    assert reg.get("alpha") == 1 and "alpha" in reg and reg.describe("alpha") == "first"
    with pytest.raises(UserError, match=r"unknown widget 'alpah' \(did you mean alpha\?\); known: alpha"):
        reg.get("alpah")
    with pytest.raises(ValueError, match="already registered"):
        reg.register("alpha", 2)


def test_systems_lists_core_and_all_ten_in_order():
    specs = systems()
    assert [s.name for s in specs] == [s.name for s in (*CORE, *SYSTEMS)]
    assert specs[0].name == "lm" and len(SYSTEMS) == 10
    for spec in specs[1:]:
        assert spec.paper is not None and spec.paper.arxiv
        if spec.status == "planned":
            assert spec.module is None and spec.reproducer is None
            with pytest.raises(UserError, match="not built yet"):
                spec.load_reproducer()
    assert get_system("lm").load_reproducer().system == "lm"
    with pytest.raises(UserError, match="unknown system 'nope'"):
        get_system("nope")


def test_mean_std_and_formatting():
    assert mean_std([1.0, 2.0]) == pytest.approx((1.5, 0.7071067811865476))
    assert mean_std([4.0]) == (4.0, 0.0)
    assert fmt_mean_std([1.0, 2.0]) == "1.50 ± 0.707"
    assert fmt_mean_std([2.0]) == "2.00"
    table = markdown_table(["a", "b"], [["x|y", 0.5]])
    assert table.splitlines() == ["| a | b |", "|---|---|", r"| x\|y | 0.500 |"]


def test_report_shows_results_planned_and_failures(tmp_path):
    claim = Claim("c1", "the effect exists", "0.9", "tenfold demo run")
    other = Claim("c2", "a second effect above {bar}", "0.5", "tenfold demo other", thresholds={"bar": 0.25})
    plot = save_figure(line_plot({"curve": ([0, 1], [1.0, 0.5])}, "x", "y"), tmp_path / "run" / "curve.png")
    rep = Reproduction(
        "lm",
        "test",
        0,
        [ClaimResult(claim, "0.8", False, note="small scale"), ClaimResult(other, "failed", None, error="bad value")],
        run_dirs=[tmp_path / "run"],
        plots=[plot],
        seconds=1.0,
    )
    specs = {s.name: s for s in systems()}
    entries = [
        ReportEntry(specs["lm"], reproduction=rep),
        ReportEntry(specs["latim"], skipped="not built yet"),
        ReportEntry(specs["aac"], error="boom"),
    ]
    html_path, md_path = write_report(entries, tmp_path / "out", "test", 2.0)
    html = html_path.read_text()
    assert "the effect exists" in html and "data:image/png;base64," in html
    assert "Not built yet: no numbers are reported." in html
    assert "Reproduction failed: <code>boom</code>" in html
    assert "../run" in html  # run directories are linked relative to the report
    md = md_path.read_text()
    assert "| the effect exists | 0.9 | 0.8 | no (small scale) | `tenfold demo run` |" in md
    assert "| a second effect above 0.25 | 0.5 | failed | failed (bad value) | `tenfold demo other` |" in md
    assert "0/1 claims hold, 1 failed" in md
