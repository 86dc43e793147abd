"""Synthetic tasks with known token-to-token ground truth (LaTIM Sec. 4: copying, translation, retrieval).

Every example is a token sequence, the positions whose next-token prediction is trained and scored (*target rows*),
and, for each target row i, the gold source position: the token the model must read to predict token i + 1.

* ``copy``       ``BOS x_1..x_n SEP x_1..x_n``, n drawn from [min_len, max_len]: row n + k (SEP for k = 0, else the
                 second copy's x_k) predicts x_{k+1}, whose source is position k + 1. With min_len = max_len the
                 length is fixed: the negative control, where a model can copy by position alone.
* ``recall``     multi-query associative recall: ``BOS k_1 v_1 … k_p v_p SEP q_1 a_1 … q_m a_m`` with each query q a key
                 of the context; the row of q predicts its value, whose source is that value's position.
* ``translate``  a bijective toy lexicon with a deterministic reordering (every adjective–noun pair is swapped, as
                 English → French): ``BOS s_1..s_n SEP t_1..t_n``; the row predicting t_k (SEP or t_{k−1}) is aligned
                 to the source word that t_k translates (gold alignments for AER).
* ``retrieve``   a needle ``KEY VAL`` at a random depth of a haystack of filler tokens, then ``SEP KEY``; the last row
                 predicts VAL, whose source is VAL's position (explained from the last row only).

Vocabulary: PAD 0, BOS 1, SEP 2, then task symbols. Sequences of a batch are right-padded with PAD (the causal
models never see the padding of the rows they are scored on).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import torch

from tenfold.common.config import check_fields
from tenfold.common.errors import UserError

PAD, BOS, SEP = 0, 1, 2
FIRST = 3


@dataclass
class Example:
    ids: list[int]
    rows: list[int]
    """target rows (positions whose next token is trained and scored)."""
    sources: list[int]
    """the gold source position of each target row."""


@dataclass(frozen=True)
class TaskSpec:
    """One synthetic task; the fields each task reads are documented with it."""

    name: str = "copy"
    """copy, recall, translate or retrieve."""
    symbols: int = 16
    """distinct content symbols."""
    min_len: int = 4
    """copy / translate: shortest sequence; recall: fewest key–value pairs; retrieve: shortest haystack."""
    max_len: int = 12
    """... and the longest (copy with min_len = max_len is the fixed-length control)."""
    queries: int = 4
    """recall: queries per example."""
    separator: bool = True
    """copy: a SEP between the string and its copy; without it only the (fixed) position says where the copy
    starts."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("symbols", "min_len", "max_len", "queries"),
            choices={"name": ("copy", "recall", "translate", "retrieve")},
        )
        if self.min_len > self.max_len:
            raise ValueError(f"min_len {self.min_len} is above max_len {self.max_len}")

    @property
    def vocab_size(self) -> int:
        if self.name in ("recall", "retrieve"):
            return FIRST + 2 * self.symbols  # keys and values from disjoint ranges
        if self.name == "translate":
            return FIRST + 4 * self.symbols  # source and target words, two categories each
        return FIRST + self.symbols

    @property
    def max_seq(self) -> int:
        if self.name == "recall":
            return 2 + 2 * self.max_len + 2 * self.queries
        if self.name == "retrieve":
            return self.max_len + 6
        return 2 + 2 * self.max_len


TASKS = ("copy", "recall", "translate", "retrieve")


def sample(spec: TaskSpec, rng: random.Random) -> Example:
    """One example of ``spec``."""
    if spec.name == "copy":
        return _copy(spec, rng)
    if spec.name == "recall":
        return _recall(spec, rng)
    if spec.name == "translate":
        return _translate(spec, rng)
    if spec.name == "retrieve":
        return _retrieve(spec, rng)
    raise UserError(f"unknown task '{spec.name}' (choose from {', '.join(TASKS)})")


def _copy(spec: TaskSpec, rng: random.Random) -> Example:
    n = rng.randint(spec.min_len, spec.max_len)
    xs = [FIRST + rng.randrange(spec.symbols) for _ in range(n)]
    if not spec.separator:  # BOS x_1..x_n x_1..x_n: row n + k − 1 predicts x_{k+1}
        rows = list(range(n, 2 * n))
        return Example([BOS, *xs, *xs], rows, [r - n + 1 for r in rows])
    ids = [BOS, *xs, SEP, *xs]
    rows = list(range(n + 1, 2 * n + 1))  # SEP and x_1..x_{n-1} of the copy
    return Example(ids, rows, [r - n for r in rows])


def _recall(spec: TaskSpec, rng: random.Random) -> Example:
    p = rng.randint(spec.min_len, spec.max_len)
    keys = rng.sample(range(spec.symbols), min(p, spec.symbols))
    vals = [FIRST + spec.symbols + rng.randrange(spec.symbols) for _ in keys]
    ids, where = [BOS], {}
    for k, v in zip(keys, vals, strict=True):
        ids += [FIRST + k, v]
        where[k] = len(ids) - 1
    ids.append(SEP)
    rows, sources = [], []
    for _ in range(spec.queries):
        k = rng.choice(keys)
        ids.append(FIRST + k)
        rows.append(len(ids) - 1)
        sources.append(where[k])
        ids.append(ids[where[k]])
    return Example(ids, rows, sources)


def lexicon(spec: TaskSpec) -> tuple[dict[int, int], set[int]]:
    """The toy translation: source word → target word (a fixed bijection) and the set of source adjectives."""
    n = spec.symbols
    src = list(range(FIRST, FIRST + 2 * n))  # nouns FIRST..FIRST+n-1, adjectives FIRST+n..FIRST+2n-1
    tgt = list(range(FIRST + 2 * n, FIRST + 4 * n))
    random.Random(0).shuffle(tgt)
    return dict(zip(src, tgt, strict=True)), set(range(FIRST + n, FIRST + 2 * n))


def translate_words(words: list[int], spec: TaskSpec) -> tuple[list[int], list[int]]:
    """Target words and, for each, the index of the source word it translates (adjective–noun pairs swap)."""
    table, adjectives = lexicon(spec)
    order, k = [], 0
    while k < len(words):
        if k + 1 < len(words) and words[k] in adjectives and words[k + 1] not in adjectives:
            order += [k + 1, k]
            k += 2
        else:
            order.append(k)
            k += 1
    return [table[words[k]] for k in order], order


def _translate(spec: TaskSpec, rng: random.Random) -> Example:
    n = rng.randint(spec.min_len, spec.max_len)
    words = [FIRST + rng.randrange(2 * spec.symbols) for _ in range(n)]
    target, order = translate_words(words, spec)
    ids = [BOS, *words, SEP, *target]
    sep = n + 1
    rows = [sep + k for k in range(n)]  # the row predicting t_{k+1} is SEP + k
    return Example(ids, rows, [1 + order[k] for k in range(n)])


def _retrieve(spec: TaskSpec, rng: random.Random) -> Example:
    n = rng.randint(spec.min_len, spec.max_len)
    hay = [FIRST + rng.randrange(spec.symbols) for _ in range(n)]
    key = FIRST + spec.symbols + rng.randrange(spec.symbols // 2)
    val = FIRST + spec.symbols + spec.symbols // 2 + rng.randrange(spec.symbols // 2)
    depth = rng.randint(0, n)
    ids = [BOS, *hay[:depth], key, val, *hay[depth:], SEP, key, val]
    return Example(ids, [len(ids) - 2], [1 + depth + 1])


@dataclass
class Batch:
    ids: torch.Tensor
    """[B, L] right-padded with PAD."""
    labels: torch.Tensor
    """[B, L] the next token at target rows, −100 elsewhere (cross-entropy's ignore index)."""
    mask: torch.Tensor
    """[B, L] 1 for tokens, 0 for padding."""
    examples: list[Example] = field(default_factory=list)


def collate(examples: list[Example]) -> Batch:
    length = max(len(e.ids) for e in examples)
    ids = torch.full((len(examples), length), PAD, dtype=torch.long)
    labels = torch.full((len(examples), length), -100, dtype=torch.long)
    mask = torch.zeros(len(examples), length, dtype=torch.long)
    for b, e in enumerate(examples):
        ids[b, : len(e.ids)] = torch.tensor(e.ids)
        mask[b, : len(e.ids)] = 1
        for r in e.rows:
            labels[b, r] = e.ids[r + 1]
    return Batch(ids, labels, mask, examples)


def dataset(spec: TaskSpec, n: int, seed: int) -> list[Example]:
    """``n`` examples drawn with ``seed`` (the test sets; training batches draw from the step's seed)."""
    rng = random.Random(seed)
    return [sample(spec, rng) for _ in range(n)]
