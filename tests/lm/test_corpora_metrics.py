from __future__ import annotations

import importlib.util
import math

import pytest
import torch

from tenfold.common.errors import UserError
from tenfold.lm import corpora
from tenfold.lm.corpora import CORPORA, load_corpus, split_of
from tenfold.lm.metrics import text_token_nll, unigram_perplexity
from tenfold.lm.tokenization import char_tokenizer
from tenfold.lm.zoo import ModelSpec, build_model


@pytest.mark.parametrize("name", CORPORA.names())
def test_corpora_load_with_disjoint_deterministic_splits(name):
    corpus = load_corpus(name)
    sizes = {s: len(corpus.docs(s)) for s in ("train", "val", "test")}
    assert sizes["train"] > 10 * sizes["val"] > 0 and sizes["test"] > 0
    train, val = set(corpus.docs("train")), set(corpus.docs("val"))
    assert not train & val
    assert all(split_of(d) == "val" for d in corpus.docs("val"))
    assert corpus.sources and all(len(h) == 64 for h in corpus.sources.values())
    again = load_corpus(name)  # from the cache
    assert again.splits == corpus.splits


def test_wikipedia_is_prose_not_markup():
    text = load_corpus("wikipedia").text("train")
    assert "[[" not in text and "{{" not in text and "'''" not in text
    assert len(text.split()) > 300_000


def test_unknown_corpus_and_split():
    with pytest.raises(UserError, match="unknown corpus 'dialogs' \\(did you mean dialogues"):
        load_corpus("dialogs")
    with pytest.raises(UserError, match="unknown split"):
        load_corpus("pydoc").docs("dev")


def test_missing_package_names_it(monkeypatch, tmp_path):
    monkeypatch.setenv("TENFOLD_CACHE", str(tmp_path))
    real = importlib.util.find_spec
    monkeypatch.setattr(corpora.importlib.util, "find_spec", lambda n: None if n == "chatterbot_corpus" else real(n))
    with pytest.raises(UserError, match=r"needs the Python package 'chatterbot-corpus'.*pip install chatterbot-corpus"):
        load_corpus("dialogues")


def test_unigram_perplexity_identities():
    # uniform counts over the whole vocabulary: perplexity = vocabulary size
    assert unigram_perplexity(list(range(10)) * 3, [0, 5, 9], 10) == pytest.approx(10.0)
    # add-one smoothing keeps unseen tokens finite
    assert math.isfinite(unigram_perplexity([0, 0, 0], [1], 4))


def test_text_token_nll_of_untrained_model_is_near_uniform():
    tok = char_tokenizer(["abcdefgh"])
    model = build_model(ModelSpec("gpt2", d_model=16, n_layer=1, n_head=2), len(tok), 0).eval()
    nll = text_token_nll(model, tok, "abcdefgh" * 4)
    assert abs(nll - math.log(len(tok))) < 0.5
    with torch.no_grad():
        assert nll > 0
