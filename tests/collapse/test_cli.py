"""Smoke tests of ``tenfold collapse ...`` with the test preset (the bigram tier: seconds)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_one_line_error


@pytest.mark.smoke
def test_run_report_detect(cli, tmp_path):
    out = tmp_path / "run"
    proc = cli(
        "collapse",
        "run",
        "--preset",
        "test",
        "--decoding",
        "greedy",
        "--generations",
        "1",
        "--out-dir",
        out,
        check=True,
    )
    assert "perplexity" in proc.stdout and (out / "curves.png").exists()
    gens = json.loads((out / "generations.json").read_text())["run"]
    assert [g["generation"] for g in gens] == [0, 1]
    # the same command again resumes from the cached stages: the same numbers, one log line per generation
    cli(
        "collapse",
        "run",
        "--preset",
        "test",
        "--decoding",
        "greedy",
        "--generations",
        "1",
        "--out-dir",
        out,
        check=True,
    )
    assert json.loads((out / "generations.json").read_text())["run"] == gens
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 2
    proc = cli("collapse", "report", str(out), "--out", str(tmp_path / "c.png"), check=True)
    assert (tmp_path / "c.png").exists() and "generation" in proc.stdout
    sweep = tmp_path / "sweep"
    proc = cli(
        "collapse",
        "sweep",
        "--preset",
        "test",
        "--regime",
        "mix",
        "--selection",
        "importance",
        "--detector",
        "oracle",
        "--param",
        "oracle_accuracy",
        "--values",
        "0.6,1.0",
        "--generations",
        "1",
        "--out-dir",
        sweep,
        check=True,
    )
    runs = json.loads((sweep / "generations.json").read_text())
    assert runs["oracle_accuracy=1.0"][1]["human_share"] == 1.0 > runs["oracle_accuracy=0.6"][1]["human_share"]
    texts = tmp_path / "texts.txt"
    texts.write_text("The history of the city begins in the middle ages.\nthe the the the the the\n")
    proc = cli("collapse", "detect", str(texts), "--preset", "test", "--json", check=True)
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rows) == 2 and all(0 <= r["p_ai"] <= 1 for r in rows)


@pytest.mark.smoke
def test_bad_input_is_one_line(cli, tmp_path):
    assert_one_line_error(cli("collapse", "run", "--preset", "test", "--set", "beta=-1"), "beta")
    assert_one_line_error(
        cli("collapse", "run", "--preset", "test", "--regime", "replace", "--human-fraction", "0.5"), "human_fraction"
    )
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    assert_one_line_error(cli("collapse", "detect", str(empty), "--preset", "test"), "no text")
    assert_one_line_error(cli("collapse", "report", str(tmp_path)), "generations.json")
