"""Brute-force reference for the character predictor: enumerate every token path (used by tests and the report)."""

from __future__ import annotations

import numpy as np

from tenfold.aac.lmwrap import FunctionLM

TOY_STRINGS = [None, "a", "ab", "ac", "b", "c", " ", " a", " ab", "ba", "cab", "A"]
TOY_SYMBOLS = "abc "


def toy_logits(ids: tuple[int, ...]) -> np.ndarray:
    """Hand-set, history-dependent logits: a fixed pseudo-random table indexed by (last token, length mod 3)."""
    rng = np.random.default_rng(1000 * ids[-1] + len(ids) % 3)
    return rng.normal(0, 1.5, len(TOY_STRINGS))


class ToyTokenizer:
    """Greedy longest-match segmentation over a fixed token list (the canonical encoding of the context)."""

    bos_token_id = eos_token_id = 0

    def __init__(self, strings: list[str | None]):
        self.strings = strings

    def __call__(self, text: str, add_special_tokens: bool = False) -> dict[str, list[int]]:
        ids, i = [], 0
        while i < len(text):
            best = max(
                (t for t, s in enumerate(self.strings) if s and text.startswith(s, i)),
                key=lambda t: len(self.strings[t]),
            )
            ids.append(best)
            i += len(self.strings[best])
        return {"input_ids": ids}


def toy_setup():
    return FunctionLM(toy_logits, len(TOY_STRINGS)), ToyTokenizer(TOY_STRINGS), TOY_STRINGS, TOY_SYMBOLS


def brute_force_marginal(
    lm: FunctionLM, tokenizer, strings, symbols: str, typed: str, bos_id: int = 0, lead_space: bool = False
) -> np.ndarray:
    """Every token sequence after the context that spells the partial word and reaches one character past it adds
    its path probability to that next character; normalised over Σ. ``lead_space``: the tokenizer spells a text's
    first word with a leading space (SentencePiece's dummy prefix)."""
    p = typed.rfind(" ")
    r = typed[p:] if p >= 0 else (" " + typed if lead_space else typed)
    context = [bos_id, *tokenizer(typed[:p] if p >= 0 else "", add_special_tokens=False)["input_ids"]]
    votes = np.zeros(len(symbols))

    def walk(seq: list[int], text: str, prob: float) -> None:
        logits = lm.fn(tuple(seq))
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        for t, s in enumerate(strings):
            if not s or any(ch not in symbols for ch in s.lower()):  # unusable: spells a character outside Σ
                continue
            new = text + s.lower()
            if len(new) > len(r) and new.startswith(r):
                votes[symbols.index(new[len(r)])] += prob * probs[t]
            elif r.startswith(new):
                walk([*seq, t], new, prob * probs[t])

    walk(context, "", 1.0)
    return votes / votes.sum()
