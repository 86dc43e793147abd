"""A pruned model saved as a local checkpoint loads back with the same architecture and the same outputs."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from tenfold.common.errors import UserError
from tenfold.lm.tokenization import word_tokenizer
from tenfold.lm.zoo import ZOO, build_model
from tenfold.pipkag.checkpoint import load_checkpoint, save_checkpoint
from tenfold.pipkag.layers import NoFFN, ffn_sites, prune_layers


def test_a_pruned_checkpoint_round_trips(tmp_path):
    tok = word_tokenizer(["the capital of a is b .\n"])
    model = build_model(replace(ZOO.get("llama-tiny"), n_layer=3, dropout=0.0), len(tok), 0, seed=0).eval()
    prune_layers(model, [1])
    save_checkpoint(model, tok, "plain", tmp_path)
    assert json.loads((tmp_path / "pipkag.json").read_text())["pruned_layers"] == [1]
    loaded, tok2, kind = load_checkpoint(tmp_path)
    assert kind == "plain" and isinstance(ffn_sites(loaded)[1].layer.mlp, NoFFN)
    ids = torch.tensor([tok2("the capital of a is")["input_ids"]])
    with torch.no_grad():
        assert torch.equal(model(input_ids=ids).logits, loaded(input_ids=ids).logits)
    assert sum(p.numel() for p in loaded.parameters()) == sum(p.numel() for p in model.parameters())


def test_weights_that_do_not_fit_are_an_error(tmp_path):
    tok = word_tokenizer(["a b\n"])
    model = build_model(replace(ZOO.get("llama-tiny"), n_layer=2, dropout=0.0), len(tok), 0, seed=0)
    prune_layers(model, [0])
    save_checkpoint(model, tok, "plain", tmp_path)
    (tmp_path / "pipkag.json").write_text(json.dumps({"pruned_layers": [], "kind": "plain"}))
    with pytest.raises(UserError, match="do not fit"):
        load_checkpoint(tmp_path)
