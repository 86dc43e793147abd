"""Language-model metrics: perplexity of a model, of a unigram baseline, and per-text token NLL."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import torch

from tenfold.lm.trainer import eval_windows, windows_nll


def unigram_perplexity(
    train_ids: list[int] | torch.Tensor, targets: list[int] | torch.Tensor, vocab_size: int
) -> float:
    """Perplexity on ``targets`` of the add-one-smoothed unigram distribution of ``train_ids``.

    The baseline a language model must beat: it knows token frequencies but no context.
    """
    counts = Counter(torch.as_tensor(train_ids).tolist())
    total = sum(counts.values()) + vocab_size
    nll = -sum(math.log((counts.get(t, 0) + 1) / total) for t in torch.as_tensor(targets).tolist())
    return math.exp(nll / len(targets))


def model_perplexity(model: Any, ids: torch.Tensor, block_size: int) -> tuple[float, torch.Tensor]:
    """Perplexity of ``model`` on non-overlapping windows of ``ids``; also returns the predicted target ids, so a
    baseline can be scored on exactly the same tokens."""
    windows = eval_windows(ids, block_size)
    total, count = windows_nll(model, windows)
    return math.exp(total / count), windows[:, 1:].flatten()


@torch.no_grad()
def text_token_nll(model: Any, tokenizer: Any, text: str) -> float:
    """Mean next-token NLL (nats) of ``text`` under ``model`` (the first token is context only)."""
    ids = torch.tensor([tokenizer(text, add_special_tokens=False)["input_ids"]])
    logits = model(input_ids=ids).logits.float()
    return float(torch.nn.functional.cross_entropy(logits[0, :-1], ids[0, 1:]))
