from __future__ import annotations

import math

import numpy as np
import pytest

from tenfold.aac.adaptation import UsefulnessScorer, select_random, select_top
from tenfold.aac.baselines import (
    CharLMPredictor,
    ClassifierHeadPredictor,
    MixturePredictor,
    NaiveSubwordPredictor,
    UniformPredictor,
    train_classifier_head,
)
from tenfold.aac.metrics import evaluate, keystroke_savings, word_completions
from tenfold.aac.ngram import KneserNeyCharLM
from tenfold.aac.predictor import CharPredictor
from tenfold.aac.symbols import DEFAULT_SYMBOLS

SENTENCES = [
    "i would like a cup of tea",
    "would you like some coffee",
    "the weather is nice today",
    "how are you doing today",
    "i am fine thank you",
] * 8


def test_kneser_ney_is_a_smoothed_distribution():
    lm = KneserNeyCharLM(order=4).fit(SENTENCES)
    for typed in ["", "i wou", "the weath", "zzz q"]:
        p = lm.predict_array(typed)
        assert p.sum() == pytest.approx(1.0, abs=1e-12) and (p > 0).all()
    assert lm.predict("i would like a cu")["p"] > 0.5  # memorised continuation
    assert lm.predict("how are yo")["u"] > 0.5


def test_uniform_perplexity_is_the_symbol_count():
    summary = evaluate(UniformPredictor(), ["abc def"]).summary()
    assert summary["perplexity"] == pytest.approx(len(DEFAULT_SYMBOLS))
    assert summary["chars"] == 7 and summary["zero_prob_events"] == 0


def test_mixture_and_zero_probabilities():
    class Spiky:
        symbols = DEFAULT_SYMBOLS

        def predict_array(self, typed):
            p = np.zeros(len(DEFAULT_SYMBOLS))
            p[0] = 1.0
            return p

    assert evaluate(Spiky(), ["ab"]).summary()["perplexity"] == math.inf
    mix = MixturePredictor([Spiky(), UniformPredictor()], [0.8, 0.2])
    summary = evaluate(mix, ["ab"]).summary()
    assert summary["zero_prob_events"] == 0 and math.isfinite(summary["perplexity"])
    with pytest.raises(ValueError, match="sum to 1"):
        MixturePredictor([Spiky()], [0.5])


@pytest.fixture(scope="module")
def tiny():
    from tenfold.lm.tokenization import char_tokenizer, train_bpe
    from tenfold.lm.zoo import ModelSpec, build_model

    bpe = train_bpe(SENTENCES, 300)
    chars = char_tokenizer([*SENTENCES, DEFAULT_SYMBOLS])
    spec = ModelSpec("gpt2", d_model=32, n_layer=1, n_head=2)
    return (
        build_model(spec, len(bpe), bpe.eos_token_id).eval(),
        bpe,
        build_model(spec, len(chars), chars.eos_token_id).eval(),
        chars,
    )


def test_baselines_are_distributions(tiny):
    sub, bpe, char_model, chars = tiny
    head = train_classifier_head(sub, bpe, SENTENCES, steps=3, batch_size=8)
    for model in (
        NaiveSubwordPredictor(sub, bpe, case_context=False),
        CharLMPredictor(char_model, chars),
        ClassifierHeadPredictor(head, bpe),
        CharPredictor(sub, bpe, case_context=False),
    ):
        for typed in ["", "i would li", "the "]:
            p = model.predict_array(typed)
            assert p.shape == (28,) and p.sum() == pytest.approx(1.0, abs=1e-9) and (p >= 0).all()


def test_word_completions_and_keystroke_savings():
    lm = KneserNeyCharLM(order=6).fit(SENTENCES)
    assert word_completions(lm, "i would like a cu", n=3)[0] == "cup"
    ks = keystroke_savings(lm, ["i would like a cup of tea"])
    assert ks["characters"] == 25 and 20 < ks["keystroke_savings"] < 100


def test_subword_word_completions_extend_the_partial_word(tiny):
    sub, bpe, _, _ = tiny
    words = CharPredictor(sub, bpe, case_context=False).complete_words("i would like a cu", n=5)
    assert words and all(w.startswith("cu") for w in words)


def test_usefulness_scorer_prefers_conversation():
    scorer = UsefulnessScorer().fit(
        ["how are you", "i would like tea", "thank you so much"],
        ["the treaty was signed in", "anarchism is a political philosophy"],
    )
    pool = ["the empire declined after the war", "would you like some tea", "photosynthesis converts light"]
    scores = [scorer.score(s) for s in pool]
    assert select_top(pool, scores, 1) == [1]
    assert sorted(select_random(pool, 2, 0)) == select_random(pool, 2, 0) and len(select_random(pool, 2, 0)) == 2
