"""The method table's parts: k from the ΔR curve, the pruning rules, the methods list, perplexity against a hand
computation, and one run of every method on the test preset's tiny setting (the rows a report reads by name)."""

from __future__ import annotations

import math

import pytest
import torch

from tenfold.common.errors import UserError
from tenfold.pipkag.layers import LayerScores
from tenfold.pipkag.pipeline import CONTROLS, METHODS, auto_k, choose_layers, method, perplexity


def test_auto_k_splits_the_curve_where_the_groups_differ_most():
    # the released LLaMA3-8B figure in shape: ~0.01 in layers 1-21, rising through 22-24, 0.07-0.085 in 25-30
    curve = [0.01] * 21 + [0.02, 0.025, 0.03] + [0.07, 0.08, 0.085, 0.075, 0.07, 0.069] + [0.03, 0.03]
    assert auto_k(curve) == 6
    assert auto_k([0.5, 0.0, 0.0, 0.0]) == 1
    assert auto_k([0.3, 0.29, 0.0, 0.0, 0.0, 0.0]) == 2
    assert auto_k([0.0, 0.3, 0.0, 0.29, 0.0, 0.0]) == 2  # order of the layers does not matter
    # the high group never holds more than max_share of the layers
    assert auto_k([0.3, 0.29, 0.28, 0.27, 0.26, 0.0], max_share=0.5) == 3


def test_pruning_rules_and_their_errors():
    scores = LayerScores(with_context=[0.0] * 5, without_context=[0.1, 0.5, 0.0, 0.3, 0.2])
    assert choose_layers(scores, 2, "top") == [1, 3]
    assert choose_layers(scores, 2, "lowest") == [0, 2]
    assert choose_layers(scores, 2, "random", seed=3) == choose_layers(scores, 2, "random", seed=3)
    assert len(set(choose_layers(scores, 3, "random", seed=1))) == 3
    with pytest.raises(UserError, match=r"k must be in 1\.\.4"):
        choose_layers(scores, 5, "top")  # k larger than the layer count
    with pytest.raises(UserError, match="pruning rule"):
        choose_layers(scores, 1, "middle")


def test_one_list_of_methods():
    names = [m.name for m in METHODS + CONTROLS]
    assert len(names) == len(set(names))
    assert method("pip-kag").prune == "top" and method("pip-kag").adapt == "pip"
    assert {m.name for m in METHODS if m.prune == "none" and m.adapt == "none"} == {"base", "cad"}
    with pytest.raises(UserError, match="unknown method 'pipkag'"):
        method("pipkag")


class _Setting:
    """Just what :func:`perplexity` reads."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    def ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])


def test_perplexity_equals_a_hand_computation():
    from tenfold.pipkag.tiny import TinyConfig, build_model, tokenizer_for

    cfg = TinyConfig(n_layer=2, d_model=32, n_memorised=4, n_readers=2, n_test=1)
    tok = tokenizer_for(cfg)
    model = build_model(cfg, len(tok)).eval()
    setting = _Setting(tok)
    pairs = [("Q : What is the capital of", " Vopia ?"), ("", "A : Mur")]
    nll, count = 0.0, 0
    for prefix, text in pairs:
        head, tail = (
            (setting.ids(prefix), setting.ids(text)) if prefix else (setting.ids(text)[:1], setting.ids(text)[1:])
        )
        ids = torch.tensor([head + tail])
        with torch.no_grad():
            logp = model(input_ids=ids).logits.log_softmax(-1)[0]
        for j, token in enumerate(tail):
            nll -= float(logp[len(head) + j - 1, token])
            count += 1
    assert perplexity(model, setting, pairs) == pytest.approx(math.exp(nll / count), rel=1e-5)


def test_every_method_runs_on_the_test_setting(tmp_path):
    from tenfold.pipkag.config import PRESETS
    from tenfold.pipkag.reproduce import run_setting
    from tenfold.pipkag.tiny import tiny_setting

    cfg = PRESETS["test"]()
    setting = tiny_setting(cfg.tiny)
    names = tuple(m.name for m in METHODS + CONTROLS)
    result = run_setting(setting, cfg.k, names, tmp_path, pair_table=True)
    rows = result["rows"]
    assert set(rows) == set(names)
    d_ff = setting.fresh_model().config.intermediate_size
    per_layer = 3 * cfg.tiny.d_model * d_ff + cfg.tiny.d_model  # SwiGLU's three matrices and the norm
    for name, row in rows.items():
        pruned = method(name).prune != "none"
        assert len(row["pruned"]) == (cfg.k if pruned else 0)
        assert rows["base"]["parameters"] - row["parameters"] == (cfg.k * per_layer if pruned else 0)
        assert 0 <= row["ConR"] + row["ParR"] <= 100 and len(row["predictions"]) == len(setting.conflict)
    assert rows["pip-kag"]["pruned"] == result["top"] == rows["prune-only"]["pruned"]
    # a finished adaptation keeps its training log and drops the checkpoints it needed only to resume
    assert (tmp_path / "pip-kag" / "metrics.jsonl").exists() and not (tmp_path / "pip-kag" / "checkpoints").exists()
    assert result["pairs"] == math.comb(cfg.tiny.n_layer, cfg.k) and 1 <= result["rank"] <= result["pairs"]
    # the base model answers every fact in its retention set: that is how the set is chosen
    assert rows["base"]["closed_book"] == 100.0 or not setting.known
