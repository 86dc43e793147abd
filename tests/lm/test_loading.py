from __future__ import annotations

import pytest

from tenfold.common.errors import UserError
from tenfold.lm.loading import load_local, load_model
from tenfold.lm.tokenization import char_tokenizer
from tenfold.lm.zoo import ModelSpec, build_model


@pytest.fixture
def saved_model(tmp_path):
    tok = char_tokenizer(["hello world"])
    model = build_model(ModelSpec("mamba", d_model=16, n_layer=1), len(tok), tok.eos_token_id)
    path = tmp_path / "model"
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path, model


def test_round_trip(saved_model):
    path, model = saved_model
    loaded, tok = load_local(path)
    assert tok is not None and tok.decode(tok("hello")["input_ids"]) == "hello"
    assert all((a == b).all() for a, b in zip(model.state_dict().values(), loaded.state_dict().values(), strict=True))
    assert not loaded.training


def test_errors_name_the_problem(tmp_path, saved_model):
    with pytest.raises(UserError, match="does not exist"):
        load_local(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"has no config\.json"):
        load_local(tmp_path / "empty")
    path, _ = saved_model
    (path / "model.safetensors").write_bytes(b"\x00garbage")
    with pytest.raises(UserError, match="cannot load the model weights"):
        load_local(path)
    with pytest.raises(UserError, match="unknown model 'gpt5'"):
        load_model("gpt5")
    with pytest.raises(UserError, match="has not been trained on pydoc with preset test"):
        load_model("gpt2-tiny", corpus="pydoc", preset="test", seed=12345)
