"""Next-character prediction from a subword LM (Gaines & Vertanen 2025, Sec. 3; the authors' ``causal.py``).

Glossary::

    Σ            the symbols (default a-z, apostrophe, space)          x   the typed text, lower case, len T
    p            index of the last space in x (-1 if none)              r   x[p:], the partial word with its space
    context      left context + canonical tokens of case_simple(x[:p]); never re-segmented
    hypothesis   (log prob, extension tokens, covered = characters of r the extension spells)
    vote         a token that reaches past the typed text votes, with the probability of its whole path, for the
                 character right after x
    P(c | x)     Σ of the votes for c, renormalised over Σ

Search (per keystroke): start from the context; at each step every hypothesis with remaining text ``rem`` (the part
of r it has not spelled yet) looks at the next-token distribution: tokens whose text starts with ``rem`` and is longer
vote (for their character at position ``len(rem)``); tokens whose text is ``rem`` or a prefix of it extend the
hypothesis. With ``rem`` empty every usable token votes with its first character. Steps repeat until no hypothesis
is left. ``beam_width`` keeps the most probable extended hypotheses per step; ``max_completed`` caps the votes counted
over the whole search (the most probable first). Both None = the exact marginal over all token paths that start with
the context tokens and spell an extension of x (Vieira et al. 2024's "covering", from the last space), which the
reference code approximates by allowing only single-token encodings of prefixes of r as intermediate tokens; we allow
every token that is a prefix of the remaining text (a superset, exact).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tenfold.aac.lmwrap import HFTokenLM, TokenLM, clip_left, context_limit
from tenfold.aac.symbols import DEFAULT_SYMBOLS, case_simple, check_typed
from tenfold.aac.vocab import TokenIndex, default_left_context, token_strings


@dataclass
class SearchStats:
    """What the last :meth:`CharPredictor.predict` did."""

    steps: int = 0
    hypotheses: int = 0
    votes: int = 0
    seconds: float = 0.0
    dropped: float = 0.0
    """d: probability mass the pruning dropped (hypotheses cut by ``beam_width`` or ``min_ratio``, an upper bound on
    the votes they would have cast, plus votes cut by ``max_completed``) over the votes counted plus that mass. The
    exact marginal P*(c) lies in [P(c)(1 − d), P(c)(1 − d) + d]; d = 0 means the search was exact."""


def _adds_dummy_prefix(tokenizer, strings: Sequence[str | None]) -> bool:
    """Whether the tokenizer spells the first word of a text with a leading space (SentencePiece's dummy prefix)."""
    try:
        ids = tokenizer("a", add_special_tokens=False)["input_ids"]
    except Exception:  # tokenizers without the call interface (toy ones): no dummy prefix
        return False
    first = strings[ids[0]] if ids and ids[0] < len(strings) else None
    return bool(first) and first.startswith(" ")


class CharPredictor:
    """P(next character | typed text) from a subword causal LM.

    Args:
        model: a ``transformers`` causal LM, or any :class:`~tenfold.aac.lmwrap.TokenLM`.
        tokenizer: its tokenizer (used for token texts and to encode the context).
        symbols: Σ; token texts are matched case-insensitively against it.
        beam_width: hypotheses kept per step (paper default 8); None = all.
        max_completed: votes counted per keystroke (paper default 32,000); None = all.
        min_ratio: drop extended hypotheses less probable than ``min_ratio`` × the step's best one, and record the
            dropped mass (``stats.dropped``), which bounds the distance to the exact marginal. With ``beam_width`` and
            ``max_completed`` None this is a certified near-exact search, used where exact search is too slow.
        left_context: what precedes every message: token ids, or a text to encode; default
            :func:`~tenfold.aac.vocab.default_left_context` (a chat model's user-turn prefix, else the sentence-start
            token). The paper uses the sentence-start token of each model family (``"<|endoftext|>"`` for GPT-2).
        use_cache: reuse key/value caches across keystrokes and hypotheses (HF models).
        case_context: capitalise the context like the paper (first letter, "i") before encoding it.
    """

    def __init__(
        self,
        model,
        tokenizer,
        symbols: str = DEFAULT_SYMBOLS,
        beam_width: int | None = 8,
        max_completed: int | None = 32000,
        min_ratio: float | None = None,
        left_context: str | Sequence[int] | None = None,
        use_cache: bool = True,
        case_context: bool = True,
        strings: Sequence[str | None] | None = None,
    ):
        self.lm: TokenLM = model if hasattr(model, "extensions") else HFTokenLM(model, use_cache=use_cache)
        self.tokenizer = tokenizer
        self.symbols = symbols
        self.beam_width, self.max_completed, self.min_ratio = beam_width, max_completed, min_ratio
        self.case_context = case_context
        strings = strings if strings is not None else token_strings(tokenizer)
        self.index = TokenIndex.build(strings, symbols)
        self.lead_space = _adds_dummy_prefix(tokenizer, strings)
        if left_context is None:
            left_context = default_left_context(tokenizer) if tokenizer is not None else []
        elif isinstance(left_context, str):
            left_context = tokenizer(left_context, add_special_tokens=False)["input_ids"]
        self.left_ids: list[int] = list(left_context)
        self.stats = SearchStats()
        self._recent: dict[str, tuple[np.ndarray, float]] = {}

    # -- context ---------------------------------------------------------------------------------------------------
    def context_ids(self, text: str) -> list[int]:
        """Left context + canonical tokens of ``text`` (the typed text before the last space)."""
        ids = list(self.left_ids)
        if text:
            shown = case_simple(text) if self.case_context else text
            ids += self.tokenizer(shown, add_special_tokens=False)["input_ids"]
        return ids

    def split(self, x: str) -> tuple[str, str]:
        """(text before the last space, r = the partial word with its space). The first word of a message has no
        space, except for SentencePiece tokenizers that add a dummy prefix ("▁I"), where its tokens carry one."""
        p = x.rfind(" ")
        if p >= 0:
            return x[:p], x[p:]
        return "", (" " + x if self.lead_space else x)

    def _clipped(self, ids: list[int]) -> list[int]:
        # leave room for the extension tokens of the search (a word rarely needs more than 16)
        return clip_left(ids, context_limit(getattr(self.lm, "model", None)), room=16)

    # -- the algorithm ---------------------------------------------------------------------------------------------
    def predict_array(self, typed: str) -> np.ndarray:
        """P(c | typed) for c in Σ, as an array in Σ's order (sums to 1)."""
        if typed in self._recent:  # a mixture or a second metric asking again for the same keystroke
            probs, self.stats.dropped = self._recent[typed]
            return probs
        t0 = time.perf_counter()
        x = check_typed(typed, self.symbols)
        before, r = self.split(x)
        logprobs = self.lm.context(self._clipped(self.context_ids(before)))[None, :]
        hyps: list[tuple[float, int, tuple[int, ...]]] = [(0.0, 0, ())]  # (log prob, chars of r covered, tokens)
        votes = np.zeros(len(self.symbols))
        budget = self.max_completed if self.max_completed is not None else np.inf
        stats = SearchStats()
        dropped = 0.0
        while hyps and budget > 0:
            stats.steps += 1
            stats.hypotheses += len(hyps)
            cand_lp, cand_sym = [], []
            children: list[tuple[float, int, tuple[int, ...]]] = []
            for row, (lp, covered, ext) in enumerate(hyps):
                rem = r[covered:]
                ids, sym = self.index.extending(rem)
                if len(ids):
                    cand_lp.append(logprobs[row, ids] + lp)
                    cand_sym.append(sym)
                for k, tok_ids in self.index.prefixes_of(rem):
                    for tid, tlp in zip(tok_ids.tolist(), (logprobs[row, tok_ids] + lp).tolist(), strict=True):
                        children.append((tlp, covered + k, (*ext, tid)))
            if cand_lp:
                lps, syms = np.concatenate(cand_lp), np.concatenate(cand_sym)
                if len(lps) > budget:  # keep the most probable votes (the reference visits tokens best first)
                    keep = np.argpartition(-lps, int(budget) - 1)[: int(budget)]
                    dropped += np.exp(lps).sum() - np.exp(lps[keep]).sum()
                    lps, syms = lps[keep], syms[keep]
                votes += np.bincount(syms, weights=np.exp(lps), minlength=len(votes))
                budget -= len(lps)
                stats.votes += len(lps)
            if not children or budget <= 0:
                dropped += sum(np.exp(c[0]) for c in children)  # left unexpanded once the vote budget is spent
                break
            children.sort(key=lambda c: -c[0])
            if self.beam_width is not None:
                dropped += sum(np.exp(c[0]) for c in children[self.beam_width :])
                children = children[: self.beam_width]
            if self.min_ratio is not None:
                floor = children[0][0] + np.log(self.min_ratio)
                dropped += sum(np.exp(c[0]) for c in children if c[0] < floor)
                children = [c for c in children if c[0] >= floor]
            logprobs = self.lm.extensions([c[2] for c in children])
            hyps = children
        total = votes.sum()
        stats.seconds = time.perf_counter() - t0
        stats.dropped = dropped / (total + dropped) if dropped > 0 else 0.0
        self.stats = stats
        if total <= 0:  # cannot happen with a full-support softmax; guards degenerate models
            votes, total = np.ones(len(self.symbols)), float(len(self.symbols))
        if len(self._recent) >= 4096:
            self._recent.clear()
        self._recent[typed] = (votes / total, stats.dropped)
        return self._recent[typed][0]

    def predict(self, typed: str) -> dict[str, float]:
        """P(c | typed) for every symbol c."""
        return dict(zip(self.symbols, self.predict_array(typed).tolist(), strict=True))

    def complete_words(self, typed: str, n: int = 5, beam: int = 8, max_steps: int = 4) -> list[str]:
        """The ``n`` most probable completions of the word being typed, by a token-level beam search from the same
        context (the reference code's ``predict_words``): a path ends the word where the next token starts with a
        space; its probability is the path's times that of a space-initial next token."""
        x = check_typed(typed, self.symbols)
        before, r = self.split(x)
        logprobs = self.lm.context(self._clipped(self.context_ids(before)))[None, :]
        idx = self.index
        space_start = idx.first_symbol == self.symbols.index(" ") if " " in self.symbols else None
        hyps: list[tuple[float, str, tuple[int, ...]]] = [(0.0, "", ())]
        words: dict[str, float] = {}
        for _ in range(max_steps):
            cand: list[tuple[float, str, tuple[int, ...]]] = []
            for row, (lp, text, ext) in enumerate(hyps):
                if len(text) >= len(r) and text.strip() and space_start is not None:
                    word = text.strip()
                    words[word] = words.get(word, 0.0) + float(np.exp(lp) * np.exp(logprobs[row, space_start]).sum())
                if len(text) < len(r):
                    rem = r[len(text) :]
                    options = [(tid, rem[:k]) for k, ids in idx.prefixes_of(rem) for tid in ids.tolist()]
                    ids, _ = idx.extending(rem)
                    options += [(tid, None) for tid in ids.tolist()]
                else:
                    options = [(tid, None) for tid in idx.inner_ids.tolist()]
                if not options:
                    continue
                tids = np.array([o[0] for o in options])
                lps = logprobs[row, tids] + lp
                for j in np.argsort(-lps)[:beam]:
                    tid = int(tids[j])
                    piece = options[j][1] if options[j][1] is not None else idx.text_of[tid]
                    if " " in piece.strip() or (len(text) >= len(r) and piece.startswith(" ")):
                        continue
                    cand.append((float(lps[j]), text + piece, (*ext, tid)))
            if not cand:
                break
            hyps = sorted(cand, key=lambda c: -c[0])[:beam]
            logprobs = self.lm.extensions([h[2] for h in hyps])
        ranked = sorted(words.items(), key=lambda kv: -kv[1])
        return [w for w, _ in ranked[:n]]
