"""Smoke tests of ``tenfold pipkag ...`` on the test preset's tiny model (trained in seconds, then cached)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_one_line_error

TINY = ("--model", "tiny-test")


@pytest.mark.smoke
def test_score_prune_adapt_eval_ask(cli, tmp_path):
    out = tmp_path / "scores"
    proc = cli("pipkag", "score-layers", *TINY, "--probe", "6", "--out-dir", out, check=True)
    assert "automatic k" in proc.stdout and (out / "layer_scores.png").exists()
    scores = json.loads((out / "layer_scores.json").read_text())
    assert len(scores["delta"]) == 4 and len(scores["top"]) == scores["auto_k"]

    pruned = tmp_path / "pruned"
    proc = cli("pipkag", "prune", *TINY, "--layers", "1", "--out-dir", pruned, check=True)
    assert "pruned layers [1]" in proc.stdout and (pruned / "pipkag.json").exists()

    adapted = tmp_path / "adapted"
    cli("pipkag", "adapt", "--model", str(pruned), "--steps", "2", "--out-dir", adapted, check=True)
    assert json.loads((adapted / "pipkag.json").read_text())["pruned_layers"] == [1]

    result = json.loads(cli("pipkag", "eval", "--model", str(adapted), "--data", "tiny", "--json", check=True).stdout)
    assert set(result) >= {"ConR", "ParR", "MR", "EM"} and result["n"] > 0
    cad = json.loads(cli("pipkag", "eval", *TINY, "--data", "tiny", "--cad", "--json", check=True).stdout)
    assert cad["n"] == result["n"]

    question = ("--context", "The capital of Bakosia is Mur.", "--question", "What is the capital of Bakosia?")
    proc = cli("pipkag", "ask", *TINY, "--compare", str(adapted), *question, check=True)
    assert proc.stdout.count("with the context:") == 2


@pytest.mark.smoke
def test_build_conflicts(cli, tmp_path):
    out = tmp_path / "c.jsonl"
    proc = cli("pipkag", "build-conflicts", *TINY, "--data", "tiny", "--samples", "3", "--out", out, check=True)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert f"kept {len(rows)} of" in proc.stdout
    for row in rows:  # the filter's two conditions, checked on what it wrote
        assert row["parametric_answer"] not in row["answers"] and row["answers"][0] in row["context"]
        assert 1 <= row["majority_res_freq"] <= 3


@pytest.mark.smoke
def test_methods_table(cli, tmp_path):
    out = tmp_path / "m"
    proc = cli("pipkag", "methods", "--setting", "tiny-test", "--methods", "base,pip-kag", "--out-dir", out, check=True)
    assert "pip-kag" in proc.stdout
    rows = json.loads((out / "methods.json").read_text())["rows"]
    assert set(rows) == {"base", "pip-kag"}


@pytest.mark.smoke
def test_bad_input(cli, tmp_path):
    assert_one_line_error(
        cli("pipkag", "prune", *TINY, "--top-k", "9", "--out-dir", tmp_path / "p"), "below the model's 4"
    )
    assert_one_line_error(
        cli("pipkag", "prune", *TINY, "--layers", "7", "--out-dir", tmp_path / "p"), "layer 7 does not"
    )
    assert_one_line_error(cli("pipkag", "methods", "--methods", "base,magic"), "unknown method 'magic'")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q"}\n')
    proc = cli("pipkag", "eval", *TINY, "--data", "coconflictqa", "--path", bad)
    assert proc.returncode == 2 and "no usable items" in proc.stderr.splitlines()[-1]
    # a malformed line among good ones: reported with its number, the rest scored
    good = {"question": "What is the capital of Vopia?", "answers": ["Mur"], "context": "The capital of Vopia is Mur."}
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(json.dumps(good | {"parametric_answer": "Lifar"}) + "\nnot json\n")
    proc = cli("pipkag", "eval", *TINY, "--data", "coconflictqa", "--path", mixed, "--json", check=True)
    assert json.loads(proc.stdout)["n"] == 1 and "mixed.jsonl:2: not a JSON record" in proc.stderr
