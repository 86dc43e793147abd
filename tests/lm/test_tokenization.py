from __future__ import annotations

import pytest

from tenfold.common.errors import UserError
from tenfold.lm.tokenization import (
    EOS,
    TokenizerSpec,
    build_tokenizer,
    char_tokenizer,
    encode_documents,
    gpt2_tokenizer,
    train_bpe,
)

TEXTS = ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog\nmet on a mat"] * 5


def test_gpt2_ids_are_openais():
    tok = gpt2_tokenizer()
    assert len(tok) == 50257 and tok.eos_token == EOS and tok.eos_token_id == 50256
    ids = tok("Hello world, the quick brown fox.", add_special_tokens=False)["input_ids"]
    assert ids == [15496, 995, 11, 262, 2068, 7586, 21831, 13]
    text = "  Spaces, tabs\tand ünïcödé 🙂 round-trip."
    assert tok.decode(tok(text)["input_ids"]) == text


def test_trained_bpe_is_deterministic_and_sized():
    a, b = train_bpe(TEXTS, 300), train_bpe(TEXTS, 300)
    assert a.get_vocab() == b.get_vocab()
    assert len(a) <= 300 and a.convert_tokens_to_ids(EOS) == 0
    assert a.decode(a("the cat met a dog")["input_ids"]) == "the cat met a dog"


def test_char_tokenizer_round_trip_and_unknowns():
    tok = char_tokenizer(TEXTS)
    ids = tok("cat\ndog", add_special_tokens=False)["input_ids"]
    assert len(ids) == 7 and tok.decode(ids) == "cat\ndog"
    assert tok("Z", add_special_tokens=False)["input_ids"] == [tok.unk_token_id]
    assert tok.eos_token_id == 0


def test_encode_documents_separates_with_eos():
    tok = char_tokenizer(TEXTS)
    ids = encode_documents(tok, ["ab", "c"])
    assert ids == [
        *tok("ab", add_special_tokens=False)["input_ids"],
        0,
        *tok("c", add_special_tokens=False)["input_ids"],
        0,
    ]


@pytest.mark.parametrize("text", ["bpe-12", "bpe-x", "wordpiece"])
def test_bad_tokenizer_specs(text):
    with pytest.raises(UserError, match="unknown tokenizer"):
        TokenizerSpec.parse(text)


def test_build_tokenizer_caches_trained_ones():
    assert str(TokenizerSpec.parse("bpe-512")) == "bpe-512"
    first = build_tokenizer("bpe-512", "pydoc")
    second = build_tokenizer("bpe-512", "pydoc")  # from the cache
    assert first.get_vocab() == second.get_vocab() and len(first) == 512
    with pytest.raises(UserError, match="is trained on a corpus"):
        build_tokenizer("char")


def test_word_tokenizer_round_trips_with_character_offsets():
    from tenfold.lm.tokenization import word_tokenizer

    text = "The capital of Zorbia is Kelmar.\nQ: What is it?\nA: Kelmar\n"
    tok = word_tokenizer([text])
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    assert tok.decode(enc["input_ids"]) == text
    pieces = [text[a:b] for a, b in enc["offset_mapping"]]
    assert "Kelmar" in pieces and " " in pieces and "\n" in pieces and "".join(pieces) == text
    assert tok("Unseen", add_special_tokens=False)["input_ids"] == [tok.unk_token_id]


def test_word_tokenizer_without_space_tokens():
    from tenfold.lm.tokenization import word_tokenizer

    text = "The capital of Zorbia is Kelmar.\nA: Kelmar\n"
    tok = word_tokenizer([text], spaces=False)
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    pieces = [text[a:b] for a, b in enc["offset_mapping"]]
    assert " " not in pieces and pieces.count("Kelmar") == 2 and pieces.count("\n") == 2
    assert (
        len(enc["input_ids"]) == len(word_tokenizer([text])(text, add_special_tokens=False)["input_ids"]) - 6
    )  # its six spaces
    assert tok.decode(tok("Kelmar", add_special_tokens=False)["input_ids"]) == "Kelmar"
