"""Language models behind the character predictor: next-token log-probabilities after a context and after short
extensions of it, with reuse across keystrokes.

A search for one keystroke asks for the context (the typed text before the last space) and then, step by step, for
extensions of it by a few tokens (the hypotheses). :class:`HFTokenLM` wraps any ``transformers`` causal LM:

* the context's key/value cache is kept; the next keystroke in the same word reuses it as is, and after a space only
  the new tokens are fed (the cache is cropped to the longest common token prefix);
* extensions of one step all have the same length, so their tokens are fed as one batch on top of copies of the
  context cache;
* log-probabilities of every extension are memoised for the current context: the hypotheses of "wor" (" w", " w"+"o",
  " wo", …) are prefixes of those of "work", so typing a letter only computes the extensions that are new.

:class:`FunctionLM` wraps a plain function ``token ids → logits`` (toy models in tests, any non-HF model).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import torch

Ext = tuple[int, ...]


class TokenLM(Protocol):
    vocab_size: int

    def context(self, ids: Sequence[int]) -> np.ndarray:
        """Make ``ids`` the current context; next-token log-probabilities (V,) after it."""
        ...

    def extensions(self, exts: Sequence[Ext]) -> np.ndarray:
        """Log-probabilities (B, V) after context + ``exts[i]`` (all of one length)."""
        ...


def context_limit(model: Any) -> int | None:
    """Longest input the model accepts (learned position tables), or None if unbounded (RoPE, SSMs)."""
    config = getattr(model, "config", None)
    if getattr(config, "model_type", "") in ("gpt2", "opt", "gpt_neo", "bloom"):
        return getattr(config, "n_positions", None) or getattr(config, "max_position_embeddings", None)
    return None


def clip_left(ids: Sequence[int], limit: int | None, room: int = 0) -> list[int]:
    """Keep the last ``limit - room`` tokens of ``ids`` (the first token, the left context, is kept)."""
    ids = list(ids)
    if limit is None or len(ids) + room <= limit:
        return ids
    return [ids[0], *ids[len(ids) - (limit - room - 1) :]]


def _log_softmax(logits: torch.Tensor) -> np.ndarray:
    return torch.log_softmax(logits.double(), dim=-1).numpy()


def _cache_of(out: Any) -> Any:
    return getattr(out, "cache", None) or getattr(out, "past_key_values", None)


class HFTokenLM:
    """A ``transformers`` causal LM as a :class:`TokenLM` (see the module docstring)."""

    def __init__(self, model: Any, use_cache: bool = True):
        self.model = model.eval()
        self.vocab_size = int(model.config.vocab_size)
        self.use_cache = use_cache
        self.forward_calls = 0
        self.tokens_fed = 0
        self.context_tokens_fed = 0
        self._keep_last = True
        self._ids: tuple[int, ...] = ()
        self._cache: Any = None
        self._memo: dict[Ext, np.ndarray] = {}

    @torch.no_grad()
    def _forward(self, ids: torch.Tensor, cache: Any = None):
        self.forward_calls += 1
        self.tokens_fed += ids.numel()
        kwargs = {"cache": cache, "use_cache": self.use_cache}
        if self._keep_last:
            # only the last position's logits are used: skip the vocabulary projection of the others
            try:
                return self.model(input_ids=ids, logits_to_keep=1, **kwargs)
            except TypeError:
                self._keep_last = False
        return self.model(input_ids=ids, **kwargs)

    def context(self, ids: Sequence[int]) -> np.ndarray:
        ids = tuple(ids)
        if ids == self._ids and () in self._memo:
            return self._memo[()]
        cache, keep = None, 0
        if self.use_cache and self._cache is not None:
            lcp = 0
            for a, b in zip(self._ids, ids, strict=False):
                if a != b:
                    break
                lcp += 1
            keep = min(lcp, len(ids) - 1)  # feed at least one token to get the last position's logits
            if keep > 0 and getattr(self._cache, "is_croppable", True):
                cache = self._cache
                if cache.get_seq_length() > keep:
                    cache.crop(keep - cache.get_seq_length())  # transformers 5: a negative count removes tokens
            else:
                keep = 0
        out = self._forward(torch.tensor([ids[keep:]]), cache)
        self.context_tokens_fed += len(ids) - keep
        self._ids, self._cache = ids, (_cache_of(out) if self.use_cache else None)
        self._memo = {(): _log_softmax(out.logits[0, -1])}
        return self._memo[()]

    def extensions(self, exts: Sequence[Ext]) -> np.ndarray:
        todo = [e for e in dict.fromkeys(exts) if e not in self._memo]
        if todo:
            tokens = torch.tensor(todo)
            if self.use_cache and self._cache is not None:
                cache = copy.deepcopy(self._cache)
                cache.batch_repeat_interleave(len(todo))
                out = self._forward(tokens, cache)
            else:  # recompute context + extension (one step's rows have one length: no padding)
                out = self._forward(torch.cat([torch.tensor([self._ids]).expand(len(todo), -1), tokens], 1))
            for ext, row in zip(todo, _log_softmax(out.logits[:, -1]), strict=True):
                self._memo[ext] = row
        return np.stack([self._memo[e] for e in exts])

    def reset(self) -> None:
        """Forget the kept context (e.g. at the start of a new message)."""
        self._ids, self._cache, self._memo = (), None, {}


class FunctionLM:
    """A :class:`TokenLM` from ``fn(token ids) -> logits (V,)``: no caching, for toy models and tests."""

    def __init__(self, fn: Callable[[tuple[int, ...]], np.ndarray], vocab_size: int):
        self.fn, self.vocab_size = fn, vocab_size
        self._ids: tuple[int, ...] = ()

    def _logprobs(self, ids: tuple[int, ...]) -> np.ndarray:
        return _log_softmax(torch.as_tensor(np.asarray(self.fn(ids), dtype=np.float64)))

    def context(self, ids: Sequence[int]) -> np.ndarray:
        self._ids = tuple(ids)
        return self._logprobs(self._ids)

    def extensions(self, exts: Sequence[Ext]) -> np.ndarray:
        return np.stack([self._logprobs(self._ids + tuple(e)) for e in exts])
