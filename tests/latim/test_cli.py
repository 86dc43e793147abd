"""Smoke tests of `tenfold latim explain|eval|train-task` and the reproduction with the `test` preset."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_one_line_error, report_row


def _save_tiny(path, family: str = "mamba"):
    from tenfold.lm.tokenization import char_tokenizer
    from tenfold.lm.zoo import ModelSpec, build_model

    tok = char_tokenizer(["the cat sat on the mat. abcdefghijklmnopqrstuvwxyz"])
    spec = ModelSpec(family, d_model=16, n_layer=2, d_state=4, head_dim=8, chunk_size=8, n_head=2)
    model = build_model(spec, len(tok), 0)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.mark.smoke
def test_explain_writes_heatmaps_and_the_hover_view(cli, tmp_path):
    import torch

    model = _save_tiny(tmp_path / "tiny2", "mamba2")
    out = tmp_path / "out"
    res = cli("latim", "explain", "--model", model, "--text", "the cat sat", "--out", out, check=True)
    assert "top sources" in res.stdout
    saved = torch.load(out / "maps.pt", weights_only=False)
    assert saved["maps"].shape == (2, 11, 11) and len(saved["tokens"]) == 11
    assert (out / "layer0.png").exists() and (out / "layer1.png").exists()
    page = (out / "index.html").read_text()
    assert "const DATA=" in page and "onmouseenter" in page and "http" not in page.split("<script>")[1]
    one = cli(
        "latim",
        "explain",
        "--model",
        model,
        "--text",
        "a mat",
        "--layer",
        "-1",
        "--method",
        "mamba-lrp",
        "--out",
        tmp_path / "lrp",
        check=True,
    )
    assert one.returncode == 0 and (tmp_path / "lrp" / "layer1.png").exists()
    assert_one_line_error(cli("latim", "explain", "--model", model, "--text", "cat", "--layer", "7"), "out of range")
    assert_one_line_error(cli("latim", "explain", "--model", model, "--text", "  "), "text is empty")
    from tenfold.lm.tokenization import char_tokenizer
    from tenfold.lm.zoo import ModelSpec, build_model

    tok = char_tokenizer(["abc"])
    gpt = build_model(ModelSpec("gpt2", d_model=16, n_layer=1, n_head=2), len(tok), 0)
    gpt.save_pretrained(tmp_path / "gpt")
    tok.save_pretrained(tmp_path / "gpt")
    assert_one_line_error(cli("latim", "explain", "--model", tmp_path / "gpt", "--text", "abc"), "Mamba-1 and Mamba-2")


@pytest.mark.smoke
def test_explain_reads_a_mamba_ssm_checkpoint(cli, tmp_path):
    """A checkpoint in the mamba_ssm layout (as state-spaces/mamba-130m ships) with a tokenizer beside it."""
    from tenfold.lm.loading import load_local
    from tenfold.lm.mamba_ssm_format import save_mamba_ssm

    hf = _save_tiny(tmp_path / "hf", "mamba")
    model, tok = load_local(hf)
    ssm = tmp_path / "ssm"
    save_mamba_ssm(model, ssm, vocab_size=model.config.vocab_size)
    tok.save_pretrained(ssm)
    out = tmp_path / "out"
    cli("latim", "explain", "--model", ssm, "--text", "the mat", "--out-dir", out, check=True)
    cli("latim", "explain", "--model", hf, "--text", "the mat", "--out", tmp_path / "out-hf", check=True)
    import torch

    a = torch.load(out / "maps.pt", weights_only=False)["maps"]
    b = torch.load(tmp_path / "out-hf" / "maps.pt", weights_only=False)["maps"]
    torch.testing.assert_close(a, b)


@pytest.mark.smoke
def test_eval_and_train_task(cli):
    out = cli(
        "latim",
        "eval",
        "--task",
        "translate",
        "--arch",
        "mamba2",
        "--preset",
        "test",
        "--examples",
        "6",
        "--method",
        "latim-alti",
        "--method",
        "hidden-attention",
        "--json",
        check=True,
    ).stdout
    res = json.loads(out[out.index("{") :])
    assert set(res["methods"]) == {"latim-alti", "hidden-attention"} and "aer" in res["methods"]["latim-alti"]
    assert 0 <= res["accuracy"] <= 1 and 0 <= res["causal"]["auc"] <= 100 and res["causal"]["strings"] == 6
    control = cli(
        "latim",
        "eval",
        "--task",
        "copy-fixed",
        "--preset",
        "test",
        "--examples",
        "4",
        "--causal",
        "0",
        "--method",
        "latim-l2",
        check=True,
    ).stdout
    assert "copy-fixed / mamba" in control and "latim-l2" in control and "causal" not in control
    trained = cli("latim", "train-task", "--task", "recall", "--arch", "mamba", "--preset", "test", check=True)
    assert "accuracy" in trained.stdout
    assert_one_line_error(cli("latim", "eval", "--task", "sorting", "--preset", "test"), "unknown task 'sorting'")
    assert_one_line_error(cli("latim", "eval", "--arch", "rwkv", "--preset", "test"), "unknown architecture")


@pytest.mark.smoke
def test_reproduce_test_preset(test_reproductions):
    from tenfold.common.reproduce import load_reproduction

    rep = load_reproduction(test_reproductions, "latim")
    assert rep.result("exact").holds is True
    assert rep.result("exact").values["float64_vs_recurrence"] < 1e-10
    run_dir = rep.run_dirs[0]
    assert set(json.loads((run_dir / "table.json").read_text())) == {
        "copy",
        "copy-fixed",
        "recall",
        "translate",
        "retrieve",
    }
    assert "retrieval accuracy" in rep.result("retrieve").ours and rep.result("retrieve").holds is None
    assert rep.result("copy_control").holds in (True, False)  # judged, per model, against its causal AUC
    assert (run_dir / "top1_by_method.png").exists() and (run_dir / "copy_example.png").exists()
    assert "(in progress)" not in report_row((test_reproductions / "report.md").read_text(), "latim")
