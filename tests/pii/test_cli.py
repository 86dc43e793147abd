"""Smoke tests of ``tenfold pii ...`` with the test preset: every command once, and one-line errors on bad input."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_one_line_error


@pytest.mark.smoke
def test_build_train_extract_audit(cli, tmp_path):
    corpus = tmp_path / "corpus"
    proc = cli("pii", "build-corpus", "--preset", "test", "--out-dir", corpus, check=True)
    assert "records" in proc.stdout and (corpus / "manifest.json").exists()
    run = tmp_path / "run"
    proc = cli(
        "pii", "train", "--pipeline", "continuous", "--preset", "test", "--corpus", corpus, "--out-dir", run, check=True
    )
    out = json.loads((run / "pipeline.json").read_text())
    assert out["checkpoints"] and (run / "taxonomy.png").exists() and "assisted" in proc.stdout
    proc = cli(
        "pii",
        "train",
        "--pipeline",
        "continuous",
        "--preset",
        "test",
        "--corpus",
        corpus,
        "--defence",
        "dp-sgd",
        "--out-dir",
        tmp_path / "dp",
        check=True,
    )
    assert "DP-SGD: ε = " in proc.stdout
    proc = cli("pii", "audit", run, "--faithful", check=True)
    assert "retained" in proc.stdout and (run / "taxonomy_faithful.png").exists()
    from tenfold.pii.training import checkpoints

    last = checkpoints(out["run"])[-1][1]
    proc = cli("pii", "extract", last, "--corpus", corpus, "--preset", "test", "--prompts", "4", check=True)
    assert "true prefix" in proc.stdout


@pytest.mark.smoke
def test_adding_and_removal_pipelines(cli, tmp_path):
    proc = cli("pii", "train", "--pipeline", "adding", "--preset", "test", "--out-dir", tmp_path / "a", check=True)
    out = json.loads((tmp_path / "a" / "pipeline.json").read_text())
    assert set(out["datasets"]) == {"D10", "D40", "D100", "D10+filler"} and "D10+filler" in proc.stdout
    proc = cli("pii", "train", "--pipeline", "removal", "--preset", "test", "--out-dir", tmp_path / "r", check=True)
    out = json.loads((tmp_path / "r" / "pipeline.json").read_text())
    assert out["rounds"][0]["round"] == 0 and out["control"]["seed"] == 1


@pytest.mark.smoke
def test_bad_input_is_one_line(cli, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(cli("pii", "train", "--pipeline", "continuous", "--corpus", empty), "not a PII corpus")
    assert_one_line_error(cli("pii", "extract", tmp_path / "missing.pt", "--corpus", empty), "missing.pt")
    assert_one_line_error(cli("pii", "extract", __file__, "--corpus", empty, "--prompts", "0"), "prompts")
    assert_one_line_error(cli("pii", "audit", empty), "pipeline.json")
    assert_one_line_error(cli("pii", "build-corpus", "--out-dir", tmp_path / "c", "--records", "0"), "records")
