from __future__ import annotations

import json

import pytest

from tenfold.common.config import apply_overrides
from tenfold.common.errors import UserError
from tenfold.lm.config import make_job
from tenfold.lm.jobs import is_trained, train_job


def _job(steps: int):
    return apply_overrides(make_job("gpt2-tiny", "pydoc", "test"), [f"train.steps={steps}", "model.n_layer=1"])


def test_job_records_and_refuses_foreign_directories(tmp_path):
    summary = train_job(_job(3), tmp_path / "run", preset="test")
    assert is_trained(tmp_path / "run")
    assert summary["steps"] == 3 and summary["val_ppl"] > 1 and summary["unigram_ppl"] > 1
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["preset"] == "test" and config["config"]["train"]["steps"] == 3
    assert train_job(_job(3), tmp_path / "run") == summary  # finished: read back, not retrained
    with pytest.raises(UserError, match="holds a run of a different config"):
        train_job(_job(4), tmp_path / "run")


def test_stopped_job_is_resumable(tmp_path):
    partial = train_job(_job(4), tmp_path / "run", stop_at=2)
    assert partial == {"step": 2, "finished": False} and not is_trained(tmp_path / "run")
    assert train_job(_job(4), tmp_path / "run")["steps"] == 4
