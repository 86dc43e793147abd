"""Smoke tests of `tenfold flowreason train|eval|solve` and the reproduction with the `test` preset."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_one_line_error


@pytest.mark.smoke
def test_train_eval_solve(cli, tmp_path):
    run = tmp_path / "run"
    out = cli("flowreason", "train", "--task", "game24", "--method", "for", "--preset", "test", "--out-dir", run,
              "--json", check=True).stdout  # fmt: skip
    summary = json.loads(out[: out.rindex("}") + 1])
    assert summary["method"] == "for" and summary["updates"] == 2 * 3 and summary["samples"] > 0
    assert 0 <= summary["train"]["sample_accuracy"] <= summary["train"]["any_accuracy"] <= 1
    assert {"config.json", "env.json", "metrics.jsonl", "summary.json", "policy.pt", "checkpoint.pt"} <= {
        p.name for p in run.iterdir()
    }
    # re-running resumes from the checkpoint: nothing left to train, the same summary
    again = cli("flowreason", "train", "--task", "game24", "--method", "for", "--preset", "test", "--out-dir", run,
                "--json", check=True).stdout  # fmt: skip
    assert json.loads(again[: again.rindex("}") + 1])["train"] == summary["train"]
    ev = json.loads(cli("flowreason", "eval", run, "--k", "4", "--json", check=True).stdout)
    assert set(ev["train"]) == {"sample_accuracy", "any_accuracy", "distinct_correct"}
    solved = cli("flowreason", "solve", "3 3 8 8", "--run", run, "--k", "8")
    lines = solved.stdout.strip().splitlines()
    assert solved.returncode in (0, 1)
    if solved.returncode == 0:
        assert all(line.endswith("= 24") for line in lines)
    else:
        assert lines[-1].startswith("no solution found in 8 samples")
    assert_one_line_error(cli("flowreason", "solve", "1 1 1 1", "--run", run), "has no solution")
    assert_one_line_error(cli("flowreason", "solve", "4 7 x 8"), "malformed Game24 puzzle")
    assert_one_line_error(cli("flowreason", "train", "--task", "chess"), "unknown task 'chess'")
    assert_one_line_error(cli("flowreason", "train", "--method", "dpo"), "unknown method 'dpo'")


@pytest.mark.smoke
def test_reproduce_test_preset(cli, tmp_path):
    out = tmp_path / "report"
    cli("reproduce", "flowreason", "--preset", "test", "--out", out, check=True)
    (run_dir,) = (out / "flowreason").glob("flowreason__test__seed0__*")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["identities"]["holds"] is True and summary["game24_solvable"]["holds"] is True
    assert set(summary["table"]) == {"game24", "blocksworld"}
    assert summary["large"]["holds"] is None and "5 training problems" in summary["large"]["ours"]
    assert (run_dir / "distinct_vs_accuracy.png").exists()
    assert "(in progress)" in (out / "report.md").read_text()
