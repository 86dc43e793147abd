"""Smoke tests of ``tenfold ppmarl ...`` with the test preset: every command once (train → attack → report,
bandwidth), the test reproduction's figures, and one-line errors on bad input."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_one_line_error

pytest.importorskip("tenseal")


@pytest.mark.smoke
def test_train_attack_report(cli, tmp_path):
    runs = {}
    for method in ("plain", "pp-marl"):
        runs[method] = tmp_path / method
        proc = cli("ppmarl", "train", "--method", method, "--preset", "test", "--out-dir", runs[method], check=True)
        assert "greedy return" in proc.stdout and (runs[method] / "returns.png").exists()
        metrics = (runs[method] / "metrics.jsonl").read_text().splitlines()
        assert len(metrics) == 24  # one line per training episode, written as it came
    summary = json.loads((runs["pp-marl"] / "summary.json").read_text())
    assert summary["epsilon"] > 0 and summary["he_max_error"] < 1e-6 and summary["attack"]["best"] > 0.5
    proc = cli("ppmarl", "attack", runs["pp-marl"], check=True)
    assert "ridge" in proc.stdout and (runs["pp-marl"] / "attack.json").exists()
    table = tmp_path / "table.md"
    proc = cli("ppmarl", "report", runs["plain"], runs["pp-marl"], "--out", table, check=True)
    assert "pp-marl" in proc.stdout and "| plain |" in table.read_text()
    other = cli("ppmarl", "train", "--method", "split", "--preset", "test", "--out-dir", runs["plain"])
    assert_one_line_error(other, "different config")


@pytest.mark.smoke
def test_bandwidth_prints_the_counts_and_the_reduction(cli):
    proc = cli("ppmarl", "bandwidth", "--agents", "3", "--batch", "1024", check=True)
    assert "│ 12 " in proc.stdout and "│ 24 " in proc.stdout and "reduction 88.89%" in proc.stdout
    assert_one_line_error(cli("ppmarl", "bandwidth", "--agents", "1"), "--agents")


@pytest.mark.smoke
def test_bad_input_is_one_line(cli, tmp_path):
    assert_one_line_error(cli("ppmarl", "train", "--preset", "test", "--set", "sigma=-1"), "sigma")
    assert_one_line_error(cli("ppmarl", "train", "--method", "dp-only", "--set", "sigma=0"), "sigma must be > 0")
    assert_one_line_error(cli("ppmarl", "train", "--preset", "test", "--set", "delta=2"), "delta")
    assert_one_line_error(cli("ppmarl", "train", "--preset", "test", "--set", "train.dropout=1"), "dropout")
    plain = tmp_path / "plain"
    cli("ppmarl", "train", "--method", "federated", "--preset", "test", "--out-dir", plain, check=True)
    assert_one_line_error(cli("ppmarl", "attack", plain), "shares no per-sample view")
    (tmp_path / "x").mkdir()
    assert_one_line_error(cli("ppmarl", "report", tmp_path / "x"), "summary.json")


@pytest.mark.smoke
def test_test_reproduction_measures_every_claim(test_reproductions):
    from tenfold.common.reproduce import load_reproduction

    rep = load_reproduction(test_reproductions, "ppmarl")
    for claim_id in ("he_identities", "bandwidth", "dp_accounting", "determinism", "dropout"):
        assert rep.result(claim_id).holds, rep.result(claim_id).ours
    assert rep.result("privacy_ordering").values["by_seed"]["0"]["plain"] < 0.05
