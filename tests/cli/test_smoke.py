"""Every CLI command, with the ``test`` preset where there is one (in this process unless a test needs a fresh
interpreter: signals, stdin, imports)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors.torch import load_file

from tenfold import __version__
from tests.conftest import assert_one_line_error

pytestmark = pytest.mark.smoke


def test_version_and_listings(cli):
    assert cli("--version", check=True).stdout.strip() == f"tenfold {__version__}"
    systems = cli("systems", check=True).stdout
    from tenfold.systems import systems as catalogue

    for spec in catalogue():
        assert spec.name in systems
    assert "built" in systems and "planned" not in systems  # all ten have a package
    corpora = cli("corpora", "list", check=True).stdout
    assert all(name in corpora for name in ("dialogues", "wikipedia", "lee", "pydoc"))
    models = cli("lm", "models", check=True).stdout
    assert all(name in models for name in ("gpt2-tiny", "llama-tiny", "mamba-tiny", "mamba2-tiny", "smollm2"))


def test_tokenize(cli):
    out = cli("lm", "tokenize", "--tokenizer", "gpt2", "--text", "Hello world, the quick brown fox.", check=True)
    assert out.stdout.strip() == "[15496, 995, 11, 262, 2068, 7586, 21831, 13]"


def test_help_for_groups(cli):
    assert "train" in cli("lm", "--help", check=True).stdout
    proc = cli("lm")
    assert proc.returncode == 2 and "generate" in proc.stdout


@pytest.mark.parametrize("model", ["gpt2-tiny", "llama-tiny", "mamba-tiny", "mamba2-tiny"])
def test_train_and_generate(cli, tmp_path, model):
    out = tmp_path / "run"
    proc = cli(
        "lm",
        "train",
        "--model",
        model,
        "--corpus",
        "dialogues",
        "--preset",
        "test",
        "--out-dir",
        out,
        "--set",
        "train.steps=12",
        check=True,
    )
    assert "val ppl" in proc.stdout
    for name in ("config.json", "env.json", "metrics.jsonl", "summary.json", "perplexity.png", "final/config.json"):
        assert (out / name).exists(), name
    env = json.loads((out / "env.json").read_text())
    assert any("chatterbot_corpus" in k for k in env["data_files"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 12 and summary["val_ppl"] > 1
    gen = cli(
        "lm", "generate", "--model", out / "final", "--prompt", "Hello", "--max-new-tokens", "5", "--json", check=True
    )
    assert 1 <= len(json.loads(gen.stdout)["new_token_ids"]) <= 5


def test_ppl_and_finished_runs_are_not_retrained(cli, tmp_path):
    out = tmp_path / "run"
    args = ["lm", "train", "--model", "gpt2-tiny", "--corpus", "pydoc", "--preset", "test", "--out-dir", out]
    cli(*args, "--set", "train.steps=5", check=True)
    again = cli(*args, "--set", "train.steps=5", check=True)
    assert "already trained" in again.stderr
    ppl = cli("lm", "ppl", "--model", out / "final", "--corpus", "pydoc", "--block-size", "32", check=True)
    assert "perplexity" in ppl.stdout and "pydoc/val" in ppl.stdout


def test_show_config_and_overrides(cli):
    proc = cli(
        "lm", "train", "--model", "gpt2-tiny", "--corpus", "dialogues", "--show-config", "--train.lr=0.5", check=True
    )
    assert "train.lr" in proc.stdout and "0.5" in proc.stdout and "peak learning rate" in proc.stdout


OVERRIDES = ["train.steps=40", "train.ckpt_every=4"]


def _train_cmd(out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tenfold",
        "lm",
        "train",
        "--model",
        "gpt2-tiny",
        "--corpus",
        "dialogues",
        "--preset",
        "test",
        "--out-dir",
        str(out),
        *[f"--set={o}" for o in OVERRIDES],
    ]


def test_resume_after_sigkill_gives_identical_weights(tmp_path):
    from tenfold.common.config import apply_overrides
    from tenfold.lm.config import make_job
    from tenfold.lm.jobs import train_job

    env = {**os.environ, "TENFOLD_PROGRESS": "0"}
    # the uninterrupted reference runs in this process (same code path as the CLI, one interpreter start less)
    train_job(
        apply_overrides(make_job("gpt2-tiny", "dialogues", "test", 0), OVERRIDES), tmp_path / "full", preset="test"
    )
    killed = tmp_path / "killed"
    proc = subprocess.Popen(_train_cmd(killed), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not list((killed / "checkpoints").glob("step_*.pt")) and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "final").exists(), "the run finished before it could be killed"
    steps = sorted(p.name for p in (killed / "checkpoints").glob("step_*.pt"))
    assert steps and steps[-1] < "step_0000040.pt"
    resumed = subprocess.run(_train_cmd(killed), env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from" in resumed.stderr
    a = load_file(tmp_path / "full" / "final" / "model.safetensors")
    b = load_file(killed / "final" / "model.safetensors")
    assert a.keys() == b.keys()
    assert max((a[k] - b[k]).abs().max().item() for k in a) == 0.0


def test_bad_inputs_are_one_line_errors(cli, tmp_path):
    assert_one_line_error(cli("lm", "generate", "--model", tmp_path / "nope", "--prompt", "x"), "does not exist")
    (tmp_path / "empty").mkdir()
    assert_one_line_error(cli("lm", "generate", "--model", tmp_path / "empty", "--prompt", "x"), "has no config.json")
    assert_one_line_error(cli("lm", "ppl", "--model", "gpt9", "--corpus", "dialogues"), "unknown model 'gpt9'")
    assert_one_line_error(
        cli("lm", "train", "--model", "gpt2-tiny", "--corpus", "shakespeare", "--preset", "test"),
        "unknown corpus 'shakespeare'",
    )
    assert_one_line_error(cli("lm", "train", "--model", "gpt5-tiny", "--corpus", "dialogues"), "unknown model")
    assert_one_line_error(
        cli("lm", "train", "--model", "gpt2-tiny", "--corpus", "dialogues", "--set", "train.lr=fast"),
        "train.lr must be a number",
    )
    bad = tmp_path / "bad"
    (bad / "checkpoints").mkdir(parents=True)
    (bad / "checkpoints" / "step_0000010.pt").write_bytes(b"\x00\x01 not a zip")
    assert_one_line_error(
        cli("lm", "train", "--model", "gpt2-tiny", "--corpus", "dialogues", "--preset", "test", "--out-dir", bad),
        "corrupt checkpoint",
    )
    model_dir = tmp_path / "brokenmodel"
    model_dir.mkdir()
    (model_dir / "config.json").write_text('{"model_type": "gpt2", "vocab_size": 10, "n_embd": 8, "n_layer": 1}')
    (model_dir / "model.safetensors").write_bytes(b"garbage")
    assert_one_line_error(cli("lm", "generate", "--model", model_dir, "--prompt", "x"), "cannot load the model weights")
    assert_one_line_error(cli("reproduce", "nosuch"), "unknown system 'nosuch'")


def test_reproduce_writes_report(tmp_path):
    """A planned system is listed as not built (never with numbers); a built one's rows and plots are in the report,
    and a re-run reads the finished reproduction back from the cache with the same figures."""
    from tenfold.common.registry import Paper, SystemSpec
    from tenfold.common.reproduce import reproduce_systems
    from tenfold.systems import get_system

    planned = SystemSpec("future", Paper("A paper to come", ("A. Author",), "2502.00000"), "later", status="planned")
    out = tmp_path / "report"
    assert reproduce_systems([get_system("zweistein"), planned], "test", out, seed=0) == 0
    html, md = (out / "index.html").read_text(), (out / "report.md").read_text()
    assert "Zweistein-d2 beats" in html and "data:image/png;base64," in html
    assert "Not built yet: no numbers are reported." in html and "| future |" in md
    first = json.loads(next((out / "zweistein").glob("*/reproduction.json")).read_text())
    assert reproduce_systems([get_system("zweistein")], "test", out, seed=0) == 0
    assert "(cached)" in (out / "report.md").read_text()
    again = json.loads(next((out / "zweistein").glob("*/reproduction.json")).read_text())
    assert [r["ours"] for r in again["results"]] == [r["ours"] for r in first["results"]]
