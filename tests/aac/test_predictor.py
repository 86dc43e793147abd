"""Exactness of the character predictor against brute-force enumeration on toy LMs, and KV-cache identities."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tenfold.aac.brute_force import TOY_STRINGS, TOY_SYMBOLS, ToyTokenizer, brute_force_marginal, toy_logits, toy_setup
from tenfold.aac.lmwrap import FunctionLM
from tenfold.aac.predictor import CharPredictor
from tenfold.aac.symbols import case_simple, normalize
from tenfold.common.errors import UserError

STRINGS, SYMBOLS = TOY_STRINGS, TOY_SYMBOLS


def toy_predictor(**kw) -> CharPredictor:
    lm, tokenizer, strings, symbols = toy_setup()
    return CharPredictor(
        lm, tokenizer, symbols=symbols, strings=strings, beam_width=None, max_completed=None, case_context=False, **kw
    )


def brute_force(typed: str) -> np.ndarray:
    lm, tokenizer, strings, symbols = toy_setup()
    return brute_force_marginal(lm, tokenizer, strings, symbols, typed)


@pytest.mark.parametrize("typed", ["", "a", "ab", "c", "b a", "ab ", "ba ca", "cab a", "a b c"])
def test_unpruned_equals_brute_force(typed):
    got = toy_predictor().predict_array(typed)
    np.testing.assert_allclose(got, brute_force(typed), rtol=0, atol=1e-9)
    assert got.sum() == pytest.approx(1.0, abs=1e-12)


def test_marginalises_over_token_paths():
    strings = [None, "a", "ab", "ac", "b", "c"]
    table = {(): np.log([1e-9, 0.3, 0.2, 0.1, 0.25, 0.15]), (1,): np.log([1e-9, 0.1, 0.2, 0.3, 0.35, 0.05])}

    def fn(ids):
        return table.get(tuple(ids[1:]), np.zeros(6))

    pred = CharPredictor(
        FunctionLM(fn, 6),
        ToyTokenizer(strings),
        symbols="abc",
        strings=strings,
        beam_width=None,
        max_completed=None,
        case_context=False,
    )
    probs = pred.predict("a")
    p = {k: np.exp(v) / np.exp(v).sum() for k, v in table.items()}
    # P(b) ∝ p(ab) + p(a)·p(b|a); P(c) ∝ p(ac) + p(a)·p(c|a); P(a) ∝ p(a)·(p(a|a) + p(ab|a) + p(ac|a))
    raw = {
        "b": p[()][2] + p[()][1] * p[(1,)][4],
        "c": p[()][3] + p[()][1] * p[(1,)][5],
        "a": p[()][1] * (p[(1,)][1] + p[(1,)][2] + p[(1,)][3]),
    }
    total = sum(raw.values())
    for ch, value in raw.items():
        assert probs[ch] == pytest.approx(value / total, abs=1e-12)


def test_pruning_limits():
    pruned = toy_predictor()
    pruned.beam_width, pruned.max_completed = 1, 3
    out = pruned.predict_array("ab a")
    assert (
        out.sum() == pytest.approx(1.0)
        and pruned.stats.votes <= 3
        and pruned.stats.hypotheses <= 1 + pruned.stats.steps
    )


def test_bad_input_and_bad_vocabularies():
    with pytest.raises(UserError, match="outside the symbol set"):
        toy_predictor().predict("abd")
    with pytest.raises(UserError, match="starts with"):
        CharPredictor(FunctionLM(toy_logits, 3), ToyTokenizer(STRINGS), symbols="abcz", strings=[None, "a", "b c"])
    with pytest.raises(UserError, match="no token of this tokenizer can be written"):
        CharPredictor(FunctionLM(toy_logits, 2), ToyTokenizer(STRINGS), symbols="xyz", strings=[None, "ab"])


def test_text_helpers():
    assert normalize("Hello, World!  It’s 5 o'clock") == "hello world it's o'clock"
    assert case_simple("i think i'm sure") == "I think I'm sure"


# -- a real (tiny) transformers model -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny():
    from tenfold.lm.tokenization import train_bpe
    from tenfold.lm.zoo import ModelSpec, build_model

    texts = ["i would like a cup of tea", "would you like some coffee", "the weather is nice today"] * 20
    tok = train_bpe(texts, 300)
    model = build_model(ModelSpec("gpt2", d_model=32, n_layer=2, n_head=2), len(tok), tok.eos_token_id, seed=0)
    return model.eval(), tok


@pytest.mark.parametrize("typed", ["", "i", "i would like a cu", "would you like so", "the weather is n", "tea "])
def test_cache_reuse_changes_nothing(tiny, typed):
    model, tok = tiny
    cached = CharPredictor(model, tok, beam_width=None, max_completed=None)
    plain = CharPredictor(model, tok, beam_width=None, max_completed=None, use_cache=False)
    np.testing.assert_allclose(cached.predict_array(typed), plain.predict_array(typed), atol=1e-6)


def test_typing_a_sentence_reuses_the_context(tiny):
    model, tok = tiny
    pred = CharPredictor(model, tok)
    sentence = "i would like a cup of tea"
    fresh = [CharPredictor(model, tok, use_cache=False).predict_array(sentence[:i]) for i in range(len(sentence))]
    for i in range(len(sentence)):
        np.testing.assert_allclose(pred.predict_array(sentence[:i]), fresh[i], atol=1e-6)
    fed = pred.lm.context_tokens_fed
    recompute = sum(
        len(pred.context_ids(sentence[: sentence[:i].rfind(" ")] if " " in sentence[:i] else ""))
        for i in range(len(sentence))
    )
    assert fed < recompute / 2  # the context is fed about once per word, not once per keystroke


def test_unpruned_matches_pruned_closely_on_a_real_model(tiny):
    model, tok = tiny
    exact = CharPredictor(model, tok, beam_width=None, max_completed=None)
    pruned = CharPredictor(model, tok, beam_width=2, max_completed=50)
    for typed in ["i would like a cu", "the weath"]:
        assert np.abs(exact.predict_array(typed) - pruned.predict_array(typed)).max() < 0.2
        assert set(itertools.islice(exact.predict(typed), 3))


@pytest.mark.parametrize("pruning", [{"min_ratio": 0.3}, {"beam_width": 1}, {"beam_width": 2, "max_completed": 3}])
def test_dropped_mass_bounds_the_exact_marginal(pruning):
    lm, tokenizer, strings, symbols = toy_setup()
    kw = {"beam_width": None, "max_completed": None} | pruning
    pred = CharPredictor(lm, tokenizer, symbols=symbols, strings=strings, case_context=False, **kw)
    tight = 0
    for typed in ["a", "ab", "ba ca", "cab a", "a b c"]:
        got, d = pred.predict_array(typed), pred.stats.dropped
        exact = brute_force(typed)
        assert 0 <= d < 1
        assert np.all(got * (1 - d) <= exact + 1e-12) and np.all(exact <= got * (1 - d) + d + 1e-12)
        tight += d > 0
    assert tight > 0  # the pruning really dropped something, so the bound was exercised
    assert toy_predictor().predict_array("cab a") is not None and toy_predictor().stats.dropped == 0
