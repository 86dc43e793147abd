"""Smoke tests of `tenfold flowreason train|eval|solve` and the reproduction with the `test` preset."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_one_line_error, report_row


@pytest.mark.smoke
def test_train_eval_solve(cli, tmp_path):
    run = tmp_path / "run"
    out = cli(
        "flowreason",
        "train",
        "--task",
        "game24",
        "--method",
        "for",
        "--preset",
        "test",
        "--out-dir",
        run,
        "--json",
        check=True,
    ).stdout
    summary = json.loads(out[: out.rindex("}") + 1])
    assert summary["method"] == "for" and summary["updates"] == 2 * 3 and summary["samples"] > 0
    assert 0 <= summary["train"]["sample_accuracy"] <= summary["train"]["any_accuracy"] <= 1
    assert {"config.json", "env.json", "metrics.jsonl", "summary.json", "policy.pt", "checkpoint.pt"} <= {
        p.name for p in run.iterdir()
    }
    # re-running resumes from the checkpoint: nothing left to train, the same summary
    again = cli(
        "flowreason",
        "train",
        "--task",
        "game24",
        "--method",
        "for",
        "--preset",
        "test",
        "--out-dir",
        run,
        "--json",
        check=True,
    ).stdout
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
    policy = run / "policy.pt"
    policy.write_bytes(policy.read_bytes()[:100])  # truncated
    assert_one_line_error(cli("flowreason", "eval", run), "corrupt policy file")
    assert_one_line_error(cli("flowreason", "solve", "3 3 8 8", "--run", run), "corrupt policy file")


@pytest.mark.smoke
def test_reproduce_test_preset(test_reproductions):
    from tenfold.common.reproduce import load_reproduction

    rep = load_reproduction(test_reproductions, "flowreason")
    assert rep.result("identities").holds is True and rep.result("game24_solvable").holds is True
    run_dir = rep.run_dirs[0]
    assert set(json.loads((run_dir / "table.json").read_text())) == {"game24", "blocksworld", "prontoqa"}
    assert rep.result("diversity_prontoqa").holds in (True, False)  # judged like the other two
    assert rep.result("ablation").holds is None and "TB alone" in rep.result("ablation").ours
    assert rep.result("large").holds is None and "5 training problems" in rep.result("large").ours
    assert (run_dir / "distinct_vs_accuracy.png").exists()
    # built: judged like every system
    assert "(in progress)" not in report_row((test_reproductions / "report.md").read_text(), "flowreason")


@pytest.mark.smoke
def test_train_eval_solve_with_an_llm_policy_from_a_local_directory(cli, tmp_path):
    """--policy llm over a local Hugging Face directory (a tiny random Llama saved here; nothing is downloaded)."""
    pytest.importorskip("peft")
    from tenfold.flowreason.game24 import Game24
    from tenfold.lm.tokenization import char_tokenizer
    from tenfold.lm.zoo import ModelSpec, build_model

    env = Game24()
    tok = char_tokenizer([env.prompt((1, 2, 3, 4), env.initial((1, 2, 3, 4))), "0123456789+-*/=() \n:"])
    model = build_model(ModelSpec("llama", d_model=32, n_layer=1, n_head=4, n_kv_head=2, dropout=0.0), len(tok), 0)
    model.save_pretrained(tmp_path / "tiny")
    tok.save_pretrained(tmp_path / "tiny")
    run = tmp_path / "llm-run"
    out = cli(
        "flowreason",
        "train",
        "--policy",
        "llm",
        "--llm",
        tmp_path / "tiny",
        "--preset",
        "test",
        "--out-dir",
        run,
        "--set",
        "data.n_train=2",
        "--set",
        "data.n_test=1",
        "--json",
        check=True,
    ).stdout
    summary = json.loads(out[: out.rindex("}") + 1])
    assert summary["samples"] > 0 and (run / "policy.pt").stat().st_size < 5_000_000
    config = json.loads((run / "config.json").read_text())["config"]["train"]
    assert config["policy"] == "llm" and config["lr"] == 1e-4
    ev = json.loads(cli("flowreason", "eval", run, "--k", "2", "--split", "train", "--json", check=True).stdout)
    assert 0 <= ev["train"]["sample_accuracy"] <= 1
    assert cli("flowreason", "solve", "3 3 8 8", "--run", run, "--k", "2").returncode in (0, 1)
    assert_one_line_error(
        cli("flowreason", "train", "--policy", "llm", "--llm", tmp_path / "missing"), "does not exist"
    )
