"""Human text as blocks of context + continuation (official ``src/load_data.py``: WikiText-2, each split tokenised,
concatenated and cut into blocks, remainder dropped; context = the first half, continuation the rest).

Offline, the human corpus is one of ``lm``'s corpora (default: the Wikipedia articles shipped in gensim's test data,
the nearest to WikiText-2 on these machines), tokenised by the base model's tokenizer. Three disjoint sources: the
training pool comes from the ``train`` split, the detector's labelled data from ``val``, perplexity from ``test``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenfold.common.errors import UserError


@dataclass(frozen=True)
class Block:
    context: list[int]
    continuation: list[int]

    @property
    def ids(self) -> list[int]:
        return self.context + self.continuation


@dataclass(frozen=True)
class HumanData:
    train: list[Block]
    """the pool's human blocks, in corpus order (the contexts every generation continues)."""
    detector: list[Block]
    """blocks for the detector's labelled data (human continuations vs model continuations of the same contexts)."""
    test: list[Block]
    """held-out blocks for perplexity and accuracy."""


def cut_blocks(ids: list[int], context: int, continuation: int, limit: int | None = None) -> list[Block]:
    """Consecutive blocks of ``context + continuation`` tokens (remainder dropped), at most ``limit``."""
    size = context + continuation
    n = len(ids) // size if limit is None else min(limit, len(ids) // size)
    return [Block(ids[i * size : i * size + context], ids[i * size + context : (i + 1) * size]) for i in range(n)]


def load_human(
    tokenizer: Any,
    corpus: str,
    context: int,
    continuation: int,
    n_train: int,
    n_detector: int,
    n_test: int,
    max_len: int | None = None,
) -> HumanData:
    """The three block sets from corpus ``corpus`` (an ``lm`` corpus name).

    Raises:
        UserError: an empty corpus split, too few blocks, blocks longer than the model's context.
    """
    from tenfold.lm.corpora import load_corpus
    from tenfold.lm.tokenization import encode_documents

    if context < 1 or continuation < 1:
        raise UserError(f"context and continuation need at least one token each (got {context}, {continuation})")
    if max_len is not None and context + continuation > max_len:
        raise UserError(
            f"blocks of {context}+{continuation} tokens exceed the model's context of {max_len}; shorten them"
        )
    c = load_corpus(corpus)
    out = {}
    for split, want in (("train", n_train), ("val", n_detector), ("test", n_test)):
        docs = [d for d in c.docs(split) if d.strip()]
        if not docs:
            raise UserError(f"corpus {corpus!r} has no text in its {split} split")
        blocks = cut_blocks(encode_documents(tokenizer, docs), context, continuation, want)
        if len(blocks) < want:
            raise UserError(
                f"corpus {corpus!r} gives {len(blocks)} {split} blocks of {context + continuation} tokens; {want} asked"
            )
        out[split] = blocks
    return HumanData(out["train"], out["val"], out["test"])
