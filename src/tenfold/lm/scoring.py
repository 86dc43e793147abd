"""Differentiable sequence scores of several continuations after one shared prompt, for any ``transformers`` causal LM.

``score(c) = Σ_t log p(c_t | prompt, c_<t)``: the summed token log-probability of continuation ``c`` (the way FoR
scores each valid action's text under its LoRA-adapted LLM). The prompt is run once; its key/value cache is repeated
for the K continuations, which are fed as one right-padded batch, so a step with K candidates of ≤ A tokens costs one
P-token forward plus one K × A forward instead of K forwards of P + A tokens. Gradients flow through both passes
(the prompt's keys and values depend on LoRA weights too). :func:`continuation_log_probs_reference` recomputes each
score from its full sequence; the tests check that the two agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch


def _cache_of(out: Any) -> Any:
    # transformers 5 names the returned cache ``past_key_values`` on outputs and takes it back as ``cache=``
    return getattr(out, "past_key_values", None) or getattr(out, "cache", None)


def continuation_log_probs(
    model: Any, prompt_ids: Sequence[int], continuations: Sequence[Sequence[int]], hidden: bool = False
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Summed log-probabilities of each continuation after ``prompt_ids``.

    Args:
        model: a ``transformers`` causal LM (with or without a PEFT adapter).
        prompt_ids: P ≥ 1 token ids.
        continuations: K non-empty token-id lists (lengths may differ).
        hidden: also return the last layer's hidden state at the prompt's last position (a [d_model] tensor; FoR's
            log Z(x) / state-flow head reads it).

    Returns:
        scores [K] (float32, differentiable), and the hidden state or None.
    """
    if not prompt_ids:
        raise ValueError("the prompt must have at least one token")
    if not continuations or any(len(c) == 0 for c in continuations):
        raise ValueError("every continuation needs at least one token")
    prompt = torch.tensor([list(prompt_ids)])
    out = model(input_ids=prompt, use_cache=True, output_hidden_states=hidden)
    first = torch.log_softmax(out.logits[0, -1].float(), -1)  # [V]: the first token of every continuation
    h = out.hidden_states[-1][0, -1] if hidden else None
    k, width = len(continuations), max(len(c) for c in continuations)
    ids = torch.tensor([list(c) + [0] * (width - len(c)) for c in continuations])  # [K, A]
    mask = torch.tensor([[1] * len(c) + [0] * (width - len(c)) for c in continuations])  # [K, A]
    scores = first[ids[:, 0]]
    if width == 1:
        return scores, h
    cache = _cache_of(out)
    cache.batch_repeat_interleave(k)
    p = prompt.shape[1]
    rest = model(
        input_ids=ids[:, :-1],
        attention_mask=torch.cat([torch.ones(k, p, dtype=mask.dtype), mask[:, :-1]], 1),
        position_ids=torch.arange(p, p + width - 1)[None].expand(k, -1),
        cache=cache,
        use_cache=True,
    )
    logp = torch.log_softmax(rest.logits.float(), -1)  # [K, A-1, V]: predicts tokens 1..A-1
    tok = logp.gather(-1, ids[:, 1:, None])[..., 0] * mask[:, 1:]
    return scores + tok.sum(-1), h


def continuation_log_probs_reference(
    model: Any, prompt_ids: Sequence[int], continuations: Sequence[Sequence[int]]
) -> torch.Tensor:
    """The same scores from one full forward per continuation (slow; for tests)."""
    out = []
    for c in continuations:
        seq = torch.tensor([[*prompt_ids, *c]])
        logp = torch.log_softmax(model(input_ids=seq).logits[0].float(), -1)
        p = len(prompt_ids)
        out.append(sum(logp[p - 1 + t, tok] for t, tok in enumerate(c)))
    return torch.stack(out)
