from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from tenfold.common.rundir import RunDir, environment, file_sha256


@dataclass
class Cfg:
    lr: float = 0.1


def test_create_writes_config_and_env(tmp_path):
    run = RunDir.create(tmp_path, "demo", "test", 3, Cfg())
    assert run.path.parent == tmp_path and run.path.name.startswith("demo__test__seed3__")
    config = json.loads((run.path / "config.json").read_text())
    assert config == {"system": "demo", "preset": "test", "seed": 3, "config": {"lr": 0.1}}
    env = json.loads((run.path / "env.json").read_text())
    assert env["python"].count(".") == 2 and "numpy" in env["packages"]


def test_metrics_summary_and_truncation(tmp_path):
    run = RunDir.create(tmp_path, "demo", "test", 0, {"a": 1}, path=tmp_path / "r")
    for step in range(1, 6):
        run.log(step, **{"train/loss": 1.0 / step})
    run.log(None, note="final")
    assert [r["step"] for r in run.metrics()] == [1, 2, 3, 4, 5, None]
    run.truncate_metrics(3)
    assert [r["step"] for r in RunDir.open(run.path).metrics()] == [1, 2, 3, None]
    run.write_summary({"best": 0.2})
    assert RunDir.open(run.path).summary() == {"best": 0.2}


def test_data_file_hashes_go_to_env(tmp_path):
    data = tmp_path / "data.txt"
    data.write_text("hello")
    run = RunDir.create(tmp_path, "demo", "test", 0, {}, path=tmp_path / "r")
    digest = run.record_data_file(data, "data.txt")
    assert digest == hashlib.sha256(b"hello").hexdigest() == file_sha256(data)
    assert json.loads((run.path / "env.json").read_text())["data_files"] == {"data.txt": digest}
    # reopening keeps the recorded hashes
    reopened = RunDir.open(run.path)
    reopened.record_data_files({"other": "abc"})
    assert json.loads((run.path / "env.json").read_text())["data_files"] == {"data.txt": digest, "other": "abc"}


def test_environment_lists_given_hashes():
    assert environment({"x": "1"})["data_files"] == {"x": "1"}
