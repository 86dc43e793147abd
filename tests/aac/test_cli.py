"""Smoke tests of ``tenfold aac ...`` on a tiny model trained with the test preset."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import assert_one_line_error

pytestmark = pytest.mark.smoke


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from tenfold.lm.config import make_job
    from tenfold.lm.jobs import final_dir, train_job

    out = tmp_path_factory.mktemp("aac") / "run"
    train_job(make_job("gpt2-tiny", "dialogues", "test"), out, preset="test")
    return final_dir(out)


def test_predict_json_and_table(cli, model_dir):
    out = json.loads(
        cli("aac", "predict", "--model", model_dir, "--lowercase-context", "--json", "i would li", check=True).stdout
    )
    assert abs(sum(out["probs"].values()) - 1) < 1e-9 and len(out["probs"]) == 28
    table = cli("aac", "predict", "--model", model_dir, "--unpruned", "how are yo", check=True).stdout
    assert "next" in table


def test_bad_inputs(cli, model_dir, tmp_path):
    assert_one_line_error(cli("aac", "predict", "--model", model_dir, "hello!"), "outside the symbol set")
    assert_one_line_error(cli("aac", "eval", "--model", model_dir, "--data", tmp_path / "none.txt"), "does not exist")


def test_eval_and_type(cli, model_dir, tmp_path):
    data = tmp_path / "test.txt"
    data.write_text("How are you?\nI would like a cup of tea.\n")
    out = json.loads(
        cli("aac", "eval", "--model", model_dir, "--data", data, "--lowercase-context", "--json", check=True).stdout
    )
    assert out["chars"] == 36 and out["perplexity"] > 1
    proc = subprocess.run(
        [sys.executable, "-m", "tenfold", "aac", "type", "--model", str(model_dir)],
        input="hi!x\x7fo\n",
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TENFOLD_PROGRESS": "0"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "message: 'hio'" in proc.stdout and "not one of the symbols" in proc.stderr
    assert proc.stdout.count("next ") == 6  # states: empty, h, hi, hix, hi (backspace), hio; "!" is refused


def test_adapt(cli, model_dir, tmp_path):
    (tmp_path / "seed.txt").write_text("how are you\nthank you\ni would like tea\n")
    (tmp_path / "pool.txt").write_text("the treaty was signed\nwould you like tea\nsee you soon\nthe empire fell\n")
    out = tmp_path / "adapted"
    proc = cli(
        "aac",
        "adapt",
        "--model",
        model_dir,
        "--seed-file",
        tmp_path / "seed.txt",
        "--pool",
        tmp_path / "pool.txt",
        "--top",
        "2",
        "--steps",
        "3",
        "--out-dir",
        out,
        check=True,
    )
    assert "selected 2 of 4" in proc.stdout and (out / "final" / "config.json").exists()
    assert "would you like tea" in (out / "selected.txt").read_text()


def test_reproduce_test_preset(test_reproductions):
    from tenfold.common.reproduce import load_reproduction

    rep = load_reproduction(test_reproductions, "aac")
    assert rep.result("exact_marginal").holds is True
    table = json.loads((rep.run_dirs[0] / "comparison.json").read_text())
    assert {"algorithm (adapted)", "classification head", "naive subword", "algorithm (random selection)"} <= set(table)
    assert all(1 < row["perplexity"] < 60 and row["chars"] >= 150 for row in table.values())
    # even 20 training steps put the algorithm below uniform over the 28 symbols
    assert table["algorithm (adapted)"]["perplexity"] < 28
    assert rep.result("mixture").values["mixture_zero_prob_events"] == 0
    assert "paper" in (test_reproductions / "report.md").read_text()
