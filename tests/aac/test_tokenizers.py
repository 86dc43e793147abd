"""Token strings and exact prediction with a SentencePiece-style tokenizer (``▁`` spaces, dummy prefix, byte
fallback), the family of Llama/Mistral tokenizers, built locally with ``tokenizers``."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from tenfold.aac.brute_force import brute_force_marginal
from tenfold.aac.lmwrap import FunctionLM
from tenfold.aac.predictor import CharPredictor
from tenfold.aac.vocab import token_strings

PIECES = ["▁", "▁a", "▁ab", "▁b", "a", "b", "ab", "ba", "▁ba", "c", "▁c", "A", "▁A"]


@pytest.fixture(scope="module")
def sp_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<s>", "</s>"]
    byte_pieces = [f"<0x{b:02X}>" for b in range(256)]
    vocab = [(p, 0.0) for p in specials + byte_pieces] + [(p, -float(len(PIECES) - i)) for i, p in enumerate(PIECES)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=0, byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    tok.decoder = decoders.Sequence(
        [decoders.Metaspace(replacement="▁", prepend_scheme="first"), decoders.ByteFallback()]
    )
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>")


def test_sentencepiece_token_strings(sp_tokenizer):
    strings = token_strings(sp_tokenizer)
    ids = sp_tokenizer.convert_tokens_to_ids
    assert strings[ids("▁ab")] == " ab" and strings[ids("ab")] == "ab" and strings[ids("▁")] == " "
    assert strings[ids("<0x61>")] == "a"  # byte fallback: an ASCII byte is its character
    assert strings[ids("<0xE2>")] is None  # not UTF-8 on its own
    assert strings[ids("<s>")] is None and strings[ids("<unk>")] is None


@pytest.fixture(scope="module")
def sp_model(sp_tokenizer):
    from tenfold.lm.zoo import ModelSpec, build_model

    spec = ModelSpec("llama", d_model=32, n_layer=2, n_head=2)
    return build_model(spec, len(sp_tokenizer), sp_tokenizer.eos_token_id, seed=0).eval()


@pytest.mark.parametrize("typed", ["", "a", "ab", "b a", "ab ba", "ba c"])
def test_sentencepiece_exact_marginal(sp_tokenizer, sp_model, typed):
    strings = token_strings(sp_tokenizer)
    pred = CharPredictor(
        sp_model, sp_tokenizer, symbols="abc ", beam_width=None, max_completed=None, case_context=False
    )
    assert pred.lead_space and pred.split("ab") == ("", " ab") and pred.left_ids == [sp_tokenizer.bos_token_id]

    @torch.no_grad()
    def logits(ids: tuple[int, ...]) -> np.ndarray:
        return sp_model(input_ids=torch.tensor([ids])).logits[0, -1].double().numpy()

    lm = FunctionLM(logits, len(sp_tokenizer))
    exact = brute_force_marginal(lm, sp_tokenizer, strings, "abc ", typed, bos_id=pred.left_ids[0], lead_space=True)
    np.testing.assert_allclose(pred.predict_array(typed), exact, atol=1e-7)


def test_left_context_of_chat_and_plain_tokenizers(sp_tokenizer):
    from tenfold.aac.vocab import default_left_context

    assert default_left_context(sp_tokenizer) == [sp_tokenizer.bos_token_id]  # no template: the start token
    chat = copy.deepcopy(sp_tokenizer)
    chat.chat_template = "{% for m in messages %}<s>{{ m['role'] }}:{{ m['content'] }}</s>{% endfor %}"
    expected = chat("<s>user:", add_special_tokens=False)["input_ids"]
    assert default_left_context(chat) == expected and expected[0] == chat.bos_token_id and len(expected) > 1
    pred = CharPredictor(FunctionLM(lambda ids: np.zeros(len(chat)), len(chat)), chat, symbols="abc ")
    assert pred.context_ids("") == expected
    assert CharPredictor(pred.lm, chat, symbols="abc ", left_context="</s>").context_ids("") == [chat.eos_token_id]
