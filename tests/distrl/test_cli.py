"""Smoke tests of ``tenfold distrl ...`` with the test preset: every command once, and one-line errors on bad
input."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_one_line_error


@pytest.mark.smoke
def test_train_then_play_the_trained_agent_and_resume(cli, tmp_path):
    run = tmp_path / "run"
    proc = cli("distrl", "train", "--preset", "test", "--workers", "2", "--out-dir", run, check=True)
    result = json.loads((run / "result.json").read_text())
    assert result["transitions"] > 0 and (run / "curve.png").exists() and "held-out" in proc.stdout
    assert sorted(result["per_worker"]) == ["0", "1"]
    proc = cli("distrl", "play", "--task", "Turn on wifi", "--policy", run, check=True)
    assert "task: Turn on wifi" in proc.stdout and ("success" in proc.stdout or "failure" in proc.stdout)
    other = cli("distrl", "train", "--preset", "test", "--workers", "3", "--out-dir", run)
    assert_one_line_error(other, "different config")


@pytest.mark.smoke
def test_sync_baseline_with_checkpoints(cli, tmp_path):
    run = tmp_path / "sync"
    cli(
        "distrl",
        "train",
        "--preset",
        "test",
        "--mode",
        "sync",
        "--method",
        "filtered-bc",
        "--checkpoint-every",
        "5",
        "--evaluator",
        "noisy",
        "--set",
        "evaluator.false_positive=0.2",
        "--out-dir",
        run,
        check=True,
    )
    assert (run / "checkpoint.pt").exists() and json.loads((run / "summary.json").read_text())["updates"] > 0
    assert json.loads((run / "config.json").read_text())["config"]["evaluator"]["false_positive"] == 0.2


@pytest.mark.smoke
def test_bench_simulated_and_real(cli):
    proc = cli("distrl", "bench", "--workers", "1,8", "--steps", "200", check=True)
    assert "async/sync" in proc.stdout and "2.75" in proc.stdout  # the analytic ratio at 8 workers
    proc = cli("distrl", "bench", "--workers", "2", "--steps", "20", "--time-scale", "0.001", check=True)
    assert "threads, real workers" in proc.stdout


@pytest.mark.smoke
def test_play_oracle_solves_and_random_fails(cli):
    proc = cli(
        "distrl", "play", "--task", "Set an alarm for 06:30", "--split", "test", "--policy", "oracle", check=True
    )
    assert "success after" in proc.stdout and "> type 06 into hour" in proc.stdout


@pytest.mark.smoke
def test_bad_input_gives_one_line_errors(cli, tmp_path):
    assert_one_line_error(cli("distrl", "train", "--workers", "0"), "--workers")
    assert_one_line_error(cli("distrl", "bench", "--workers", "1,x"), "worker counts")
    assert_one_line_error(cli("distrl", "play", "--task", "Order a pizza"), "no all task starts with")
    assert_one_line_error(cli("distrl", "play", "--task", "99", "--split", "test"), "out of range")
    assert_one_line_error(cli("distrl", "play", "--policy", tmp_path), "has no agent.pt")
    assert_one_line_error(cli("distrl", "train", "--preset", "test", "--set", "learner.lr=-1"), "lr")
