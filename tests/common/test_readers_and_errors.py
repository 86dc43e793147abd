"""Strict readers, strict JSON records, the CLI's error boundary for paths, and a diverging training run."""

from __future__ import annotations

import json
import math

import pytest

from tenfold.common.errors import UserError
from tenfold.common.readers import load_torch, read_json, read_jsonl
from tenfold.common.rundir import RunDir
from tests.conftest import assert_one_line_error


def test_jsonl_names_the_first_bad_line(tmp_path):
    f = tmp_path / "r.jsonl"
    f.write_text('{"a": 1}\n{"a": 2\n{"a": 3}\n')
    with pytest.raises(UserError, match=r"r\.jsonl:2: not a JSON record"):
        read_jsonl(f)
    f.write_text('{"a": 1}\n[1, 2]\n')
    with pytest.raises(UserError, match=r"r\.jsonl:2: expected a JSON object, got list"):
        read_jsonl(f)


def test_a_line_torn_by_a_kill_is_dropped_only_where_allowed_and_only_at_the_end(tmp_path):
    f = tmp_path / "metrics.jsonl"
    f.write_text('{"step": 1}\n{"step": 2}\n{"ste')  # killed mid-append: no final newline
    assert read_jsonl(f, torn_tail_ok=True) == [{"step": 1}, {"step": 2}]
    with pytest.raises(UserError, match=":3:"):
        read_jsonl(f)
    f.write_text('{"step": 1}\n{"ste\n{"step": 3}\n')  # damage in the middle is never a torn tail
    with pytest.raises(UserError, match=":2:"):
        read_jsonl(f, torn_tail_ok=True)
    with pytest.raises(UserError, match="metrics log is damaged"):
        RunDir.open(tmp_path).metrics()
    f.write_text('{"step": 1}\n{"ste')
    assert RunDir.open(tmp_path).metrics() == [{"step": 1}]


def test_json_and_torch_files_that_do_not_parse_are_user_errors(tmp_path):
    (tmp_path / "c.json").write_text('{"a": ')
    with pytest.raises(UserError, match=r"c\.json:1: not valid JSON"):
        read_json(tmp_path / "c.json")
    (tmp_path / "policy.pt").write_bytes(b"\x80\x04 not a pickle")
    with pytest.raises(UserError, match=r"corrupt policy file .*policy\.pt"):
        load_torch(tmp_path / "policy.pt", "policy file")


def test_records_are_strict_json_with_nan_as_null(tmp_path):
    run = RunDir.create(tmp_path, "lm", "test", 0, {"x": 1})
    run.write_summary({"val_ppl": math.nan, "best": math.inf, "ok": 1.5, "nested": [math.nan]})
    run.log(3, loss=math.nan)
    strict = json.loads((run.path / "summary.json").read_text(), parse_constant=lambda c: pytest.fail(c))
    assert strict == {"val_ppl": None, "best": None, "ok": 1.5, "nested": [None]}
    assert run.metrics() == [{"step": 3, "loss": None}]


def test_output_places_that_cannot_be_used_are_one_line_errors(cli, tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    assert_one_line_error(
        cli("reproduce", "zweistein", "--preset", "test", "--out-dir", a_file), "is a file, not a directory"
    )
    blocked = tmp_path / "run"
    (blocked / "config.json").mkdir(parents=True)  # a directory where the run's record goes
    assert_one_line_error(
        cli("lm", "train", "--model", "gpt2-tiny", "--corpus", "pydoc", "--preset", "test", "--out-dir", blocked),
        "config.json",
    )
    assert not list(blocked.glob(".*tmp*"))  # the atomic write cleaned up after itself


def test_a_diverging_training_run_stops_and_exits_1(cli, tmp_path):
    out = tmp_path / "run"
    args = ["lm", "train", "--model", "gpt2-tiny", "--corpus", "pydoc", "--preset", "test", "--out-dir", out]
    proc = cli(*args, "--set", "train.lr=1e9", "--set", "train.steps=30", "--set", "train.ckpt_every=1")
    assert proc.returncode == 1, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "training diverged at step" in lines[0] and "Traceback" not in proc.stderr
    assert not (out / "summary.json").exists() and not (out / "final").exists()
    kept = sorted((out / "checkpoints").glob("step_*.pt"))
    assert kept and kept[-1].name in lines[0]  # the last checkpoint, written before the loss went bad, is named
    state = load_torch(kept[-1])
    assert all(bool(v.isfinite().all()) for v in state["model"].values() if v.is_floating_point())
