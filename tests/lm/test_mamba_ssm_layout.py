"""Loading checkpoints saved in the ``mamba_ssm`` layout: a tiny ``transformers`` model written out the way
``MambaLMHeadModel.save_pretrained`` writes (``backbone.embedding``, a ``d_model``/``ssm_cfg`` config, padded vocab)
comes back with identical logits, and unsupported variants fail with one line."""

from __future__ import annotations

import json

import pytest
import torch

from tenfold.common.errors import UserError
from tenfold.lm.loading import load_local
from tenfold.lm.mamba_ssm_format import hf_config, save_mamba_ssm


def tiny_ssm_model(layer: str, vocab: int = 21):
    """A random tiny model built from a mamba_ssm config (vocab padded to a multiple of 8, as mamba_ssm does)."""
    import transformers as tf

    torch.manual_seed(0)
    if layer == "Mamba1":
        conf = hf_config(
            {
                "d_model": 16,
                "n_layer": 2,
                "vocab_size": vocab,
                "ssm_cfg": {"layer": "Mamba1", "d_state": 4, "d_conv": 4, "expand": 2},
            }
        )
        assert conf.vocab_size == 24 and conf.time_step_rank == 1 and conf.state_size == 4
        model = tf.MambaForCausalLM(conf)
    else:
        conf = hf_config(
            {
                "d_model": 16,
                "n_layer": 2,
                "vocab_size": vocab,
                "ssm_cfg": {"layer": "Mamba2", "d_state": 8, "headdim": 8, "ngroups": 2, "chunk_size": 4},
            }
        )
        assert conf.num_heads == 4 and conf.n_groups == 2 and conf.head_dim == 8
        model = tf.Mamba2ForCausalLM(conf)
    with torch.no_grad():  # away from the initialisation, so that a mis-mapped parameter shows
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model.eval()


@pytest.mark.parametrize("layer", ["Mamba1", "Mamba2"])
def test_a_mamba_ssm_checkpoint_loads_with_identical_logits(tmp_path, layer):
    model = tiny_ssm_model(layer)
    ids = torch.randint(0, 21, (2, 9))
    want = model(input_ids=ids).logits
    for fmt in (False, True):
        path = tmp_path / f"{layer}-{fmt}"
        save_mamba_ssm(model, path, vocab_size=21, safetensors=fmt)
        config = json.loads((path / "config.json").read_text())
        assert "model_type" not in config and config["ssm_cfg"]["layer"] == layer
        loaded, tokenizer = load_local(path)
        assert tokenizer is None and type(loaded) is type(model)
        torch.testing.assert_close(loaded(input_ids=ids).logits, want, rtol=1e-5, atol=1e-5)


def test_unsupported_mamba_ssm_checkpoints_fail_with_one_line(tmp_path):
    base = {"d_model": 16, "n_layer": 1, "vocab_size": 8, "ssm_cfg": {"layer": "Mamba2"}}
    with pytest.raises(UserError, match="hybrid"):
        hf_config({**base, "attn_layer_idx": [0]})
    with pytest.raises(UserError, match="d_ssm"):
        hf_config({**base, "ssm_cfg": {"layer": "Mamba2", "d_ssm": 16}})
    with pytest.raises(UserError, match="multiple of headdim"):
        hf_config(base)  # d_inner 32, the default headdim 64
    path = tmp_path / "noweights"
    path.mkdir()
    (path / "config.json").write_text(json.dumps({**base, "ssm_cfg": {"layer": "Mamba2", "headdim": 8}}))
    with pytest.raises(UserError, match=r"no pytorch_model\.bin"):
        load_local(path)
