"""Token strings of a subword vocabulary, indexed for the character-prediction search.

Every token ``t`` gets its text ``l_t`` (lower-cased, leading space kept); ``t`` is usable iff all its characters are in
Σ. Tokens are sorted by ``l_t`` so that "all tokens that start with the string r" is a contiguous range (two binary
searches), and ``char_at[i, k]`` holds the symbol index of the k-th character of the i-th sorted token (-1 past its
end) so that votes for the character after ``r`` are one vectorised lookup. This replaces the reference code's Python
loop over the vocabulary per hypothesis.

Token texts are recovered per tokenizer family: byte-level BPE (GPT-2, SmolLM2: the ``Ġ``-alphabet is mapped back to
bytes), SentencePiece (``▁`` is a space; ``<0xNN>`` byte-fallback tokens are bytes), or plain pieces (character and
word-level vocabularies).
"""

from __future__ import annotations

import bisect
import functools
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tenfold.common.errors import UserError


@functools.cache
def _byte_decoder() -> dict[str, int]:
    """Inverse of GPT-2's ``bytes_to_unicode``: printable stand-ins for bytes back to the bytes."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs, strict=True)}


def _decoder_type(tokenizer) -> str:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return "plain"
    spec = json.loads(backend.to_str()).get("decoder") or {}
    kinds = {spec.get("type")} | {d.get("type") for d in spec.get("decoders", []) or []}
    if "ByteLevel" in kinds:
        return "bytelevel"
    if "Metaspace" in kinds or "ByteFallback" in kinds:
        return "sentencepiece"
    return "plain"


def token_strings(tokenizer) -> list[str | None]:
    """The text of every token id (None for special tokens and texts that are not valid UTF-8 on their own)."""
    size = len(tokenizer)
    pieces = tokenizer.convert_ids_to_tokens(list(range(size)))
    special = set(getattr(tokenizer, "all_special_ids", []) or [])
    kind = _decoder_type(tokenizer)
    if kind == "plain" and any(isinstance(p, str) and p.startswith("▁") for p in pieces[:2000]):
        kind = "sentencepiece"
    decoder = _byte_decoder()
    out: list[str | None] = []
    for tid, piece in enumerate(pieces):
        if tid in special or piece is None:
            out.append(None)
            continue
        try:
            if kind == "bytelevel":
                text = bytes(decoder[ch] for ch in piece).decode("utf-8")
            elif kind == "sentencepiece":
                if len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
                    text = bytes([int(piece[3:5], 16)]).decode("utf-8")
                else:
                    text = piece.replace("▁", " ")
            else:
                text = piece
        except (KeyError, UnicodeDecodeError, ValueError):
            out.append(None)
            continue
        out.append(text or None)
    return out


def default_left_context(tokenizer) -> list[int]:
    """Token ids that precede a message. A chat model (its tokenizer has a chat template) sees the start of a user
    turn — the template rendered for one user message, cut where the message begins (SmolLM2-Instruct after a bare
    ``<|endoftext|>`` predicts punctuation: 2.02 vs 1.94 character perplexity on our conversational test text).
    Otherwise the sentence-start token as in the paper: GPT-2's ``<|endoftext|>`` if the vocabulary has it, else BOS,
    else EOS."""
    if getattr(tokenizer, "chat_template", None):
        mark = "\x00"
        try:
            text = tokenizer.apply_chat_template([{"role": "user", "content": mark}], tokenize=False)
        except Exception:  # a template that needs more than one user message: fall back to the start token
            text = ""
        if mark in text:
            return list(tokenizer(text[: text.index(mark)], add_special_tokens=False)["input_ids"])
    if hasattr(tokenizer, "convert_tokens_to_ids"):
        tid = tokenizer.convert_tokens_to_ids("<|endoftext|>")
        if isinstance(tid, int) and tid != tokenizer.unk_token_id:
            return [tid]
    start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    return [] if start is None else [start]


@dataclass
class TokenIndex:
    """Usable tokens sorted by lower-cased text; see the module docstring."""

    symbols: str
    texts: list[str]
    """sorted lower-cased texts of the usable tokens."""
    ids: np.ndarray
    """token id of each sorted entry."""
    lengths: np.ndarray
    char_at: np.ndarray
    """(n, max_len) int8 symbol indices, -1 past the end."""
    exact: dict[str, np.ndarray]
    """lower-cased text → token ids with exactly that text (several ids can share one, e.g. 'The' and 'the')."""
    first_symbol: np.ndarray
    """(vocab,) symbol index of each token's first character, -1 for unusable tokens."""
    text_of: dict[int, str]
    """token id → lower-cased text, for usable tokens."""
    inner_ids: np.ndarray
    """usable tokens without any space: the ones that continue a word."""

    @classmethod
    def build(cls, strings: Sequence[str | None], symbols: str) -> TokenIndex:
        sym_index = {ch: i for i, ch in enumerate(symbols)}
        entries = []
        for tid, text in enumerate(strings):
            if text is None:
                continue
            low = text.lower()
            if low and all(ch in sym_index for ch in low):
                entries.append((low, tid))
        if not entries:
            raise UserError(f"no token of this tokenizer can be written with the symbols {symbols!r}")
        entries.sort()
        covered = {low[0] for low, _ in entries}
        missing = [ch for ch in symbols if ch not in covered]
        if missing:
            raise UserError(
                f"no token of this tokenizer starts with {''.join(missing)!r}: cannot predict those symbols"
            )
        texts = [low for low, _ in entries]
        lengths = np.array([len(t) for t in texts])
        char_at = np.full((len(texts), int(lengths.max()) + 1), -1, dtype=np.int8)
        for i, text in enumerate(texts):
            char_at[i, : len(text)] = [sym_index[ch] for ch in text]
        exact: dict[str, list[int]] = defaultdict(list)
        for low, tid in entries:
            exact[low].append(tid)
        first = np.full(len(strings), -1, dtype=np.int64)
        for low, tid in entries:
            first[tid] = sym_index[low[0]]
        return cls(
            symbols,
            texts,
            np.array([tid for _, tid in entries]),
            lengths,
            char_at,
            {k: np.array(v) for k, v in exact.items()},
            first,
            {tid: low for low, tid in entries},
            np.array([tid for low, tid in entries if " " not in low], dtype=np.int64),
        )

    def extending(self, prefix: str) -> tuple[np.ndarray, np.ndarray]:
        """Token ids whose text starts with ``prefix`` and is longer, and the symbol index of their next character."""
        lo = bisect.bisect_left(self.texts, prefix)
        hi = bisect.bisect_left(self.texts, prefix + "\U0010ffff")
        if lo == hi:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        longer = self.lengths[lo:hi] > len(prefix)
        return self.ids[lo:hi][longer], self.char_at[lo:hi, len(prefix)][longer].astype(np.int64)

    def prefixes_of(self, text: str) -> list[tuple[int, np.ndarray]]:
        """``(k, ids)`` for every k = 1..len(text) with tokens whose text is exactly ``text[:k]``."""
        return [(k, self.exact[text[:k]]) for k in range(1, len(text) + 1) if text[:k] in self.exact]
