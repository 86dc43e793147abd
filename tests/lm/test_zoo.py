from __future__ import annotations

import pytest
import torch

from tenfold.common.config import apply_overrides
from tenfold.common.errors import UserError
from tenfold.lm.zoo import ZOO, ModelSpec, build_model


@pytest.mark.parametrize("name", ZOO.names())
def test_zoo_models_build_and_run(name):
    spec = apply_overrides(ZOO.get(name), ["n_layer=1"])
    model = build_model(spec, vocab_size=64, eos_id=0)
    ids = torch.randint(0, 64, (2, 16))
    assert model(input_ids=ids).logits.shape == (2, 16, 64)
    assert model.config.num_hidden_layers == 1


def test_same_seed_same_init():
    a = build_model(ZOO.get("gpt2-tiny"), 64, 0, seed=3).state_dict()
    b = build_model(ZOO.get("gpt2-tiny"), 64, 0, seed=3).state_dict()
    c = build_model(ZOO.get("gpt2-tiny"), 64, 0, seed=4).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_spec_validation():
    with pytest.raises(ValueError, match="not divisible by n_head"):
        ModelSpec("gpt2", d_model=30, n_head=4)
    with pytest.raises(UserError, match="invalid value for head_dim"):
        apply_overrides(ZOO.get("mamba2-tiny"), ["head_dim=7"])
    with pytest.raises(UserError, match=r"unknown model 'gpt3-tiny' \(did you mean"):
        ZOO.get("gpt3-tiny")
