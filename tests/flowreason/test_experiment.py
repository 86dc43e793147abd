"""Run directories of experiments: a finished run is read back (not retrained), a directory holding another config
is refused, resumed runs keep one metrics row per epoch, and the reproduction's cache key follows the config."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tenfold.common.errors import UserError
from tenfold.flowreason.config import DataConfig, PolicyTrainConfig
from tenfold.flowreason.experiment import ExperimentConfig, experiment_dir, run_experiment


def _cfg(epochs: int = 2) -> ExperimentConfig:
    train = PolicyTrainConfig(
        task="prontoqa",
        method="for",
        epochs=epochs,
        prior_steps=3,
        d_model=16,
        ls_proposals=2,
        n_samples=2,
        checkpoint_every=1,
    )
    return ExperimentConfig(train, DataConfig(n_train=2, n_test=2, pronto_hops=3), eval_k=3)


def test_finished_runs_are_read_back_and_other_configs_refused(tmp_path):
    out = tmp_path / "run"
    first = run_experiment(_cfg(), out)
    stamp = (out / "checkpoint.pt").stat().st_mtime_ns
    again = run_experiment(_cfg(), out)
    assert again.summary == first.summary
    assert [e.solutions for e in again.train] == [e.solutions for e in first.train]
    assert (out / "checkpoint.pt").stat().st_mtime_ns == stamp  # nothing was retrained
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2]
    with pytest.raises(UserError, match="different config"):
        run_experiment(_cfg(epochs=3), out)


def test_an_interrupted_run_resumes_with_one_metrics_row_per_epoch(tmp_path, monkeypatch):
    from tenfold.flowreason.trainer import PolicyTrainer

    straight = run_experiment(_cfg(epochs=3), tmp_path / "straight")
    save = PolicyTrainer.save

    def killed_at_epoch_3(self, path):  # the kill lands after epoch 3's metrics row, before its checkpoint
        if self.state.epoch == 3:
            raise KeyboardInterrupt
        save(self, path)

    monkeypatch.setattr(PolicyTrainer, "save", killed_at_epoch_3)
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        run_experiment(_cfg(epochs=3), out)
    monkeypatch.setattr(PolicyTrainer, "save", save)
    assert [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [1, 2, 3]
    resumed = run_experiment(_cfg(epochs=3), out)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert resumed.summary["train"] == straight.summary["train"]
    assert resumed.summary["samples"] == straight.summary["samples"]


def test_cache_key_follows_the_config():
    a, b = experiment_dir(_cfg()), experiment_dir(_cfg())
    assert a == b and a.name.startswith("prontoqa-for-s0-")
    assert experiment_dir(replace(_cfg(), eval_k=4)) != a


def test_a_corrupt_checkpoint_is_a_one_line_error(tmp_path):
    out = tmp_path / "run"
    run_experiment(_cfg(epochs=1), out)
    for name in ("summary.json", "evals.json", "policy.pt"):
        (out / name).unlink()
    (out / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(UserError, match="cannot resume from"):
        run_experiment(_cfg(epochs=1), out)
