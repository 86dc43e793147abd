"""Differentiable sequence scores of several continuations after one shared prompt, for any ``transformers`` causal LM.

``score(c) = Σ_t log p(c_t | prompt, c_<t)``: the summed token log-probability of continuation ``c`` (the way FoR
scores each valid action's text under its LoRA-adapted LLM). The prompt is run once; its key/value cache is repeated
for the K continuations, which are fed as one right-padded batch, so a step with K candidates of ≤ A tokens costs one
P-token forward plus one K × A forward instead of K forwards of P + A tokens. Gradients flow through both passes
(the prompt's keys and values depend on LoRA weights too). :func:`continuation_log_probs_reference` recomputes each
score from its full sequence; the tests check that the two agree.

For a batch of *different* prompts, :func:`token_log_probs` gives ``log p(c_i,t | prompt_i, c_i,<t)`` per token
(one right-padded forward) and :func:`sequence_log_probs` their sum or mean per sequence: the likelihood of
model-written text, a membership score, a continuation-only loss.
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


def token_log_probs(
    model: Any, prompts: Sequence[Sequence[int]], continuations: Sequence[Sequence[int]], pad_id: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token log-probabilities of continuation i after prompt i, for a batch of pairs (differentiable).

    Each pair is run as ``prompt_i + continuation_i`` in one right-padded batch: a causal model's outputs at real
    tokens do not depend on padding after them, so the positions need no correction (left padding would; see
    :mod:`tenfold.lm.generation`). Works for attention and state-space models alike.

    Args:
        model: a ``transformers`` causal LM (with or without a PEFT adapter).
        prompts: B token-id lists, each ≥ 1 token (the first continuation token is predicted from the prompt).
        continuations: B token-id lists (may be empty: their row is all padding).
        pad_id: the id placed in the padding.

    Returns:
        ``(log_probs, mask)``, both [B, A] with A the longest continuation: ``log_probs[i, t] = log p(c_i,t |
        prompt_i, c_i,<t)`` (0 where ``mask`` is False).
    """
    if len(prompts) != len(continuations):
        raise ValueError(f"{len(prompts)} prompts for {len(continuations)} continuations")
    if any(len(p) == 0 for p in prompts):
        raise ValueError("every prompt needs at least one token")
    rows = [list(p) + list(c) for p, c in zip(prompts, continuations, strict=True)]
    width = max(len(r) for r in rows)
    ids = torch.tensor([r + [pad_id] * (width - len(r)) for r in rows])
    attention = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
    logp = torch.log_softmax(model(input_ids=ids, attention_mask=attention).logits.float(), -1)  # [B, W, V]
    a = max((len(c) for c in continuations), default=0)
    # target t of row i sits at sequence position P_i + t and is predicted at position P_i + t - 1
    starts = torch.tensor([len(p) - 1 for p in prompts])
    where = (starts[:, None] + torch.arange(a)[None]).clamp(max=width - 2)  # [B, A]
    targets = ids.gather(1, (where + 1).clamp(max=width - 1))
    mask = torch.arange(a)[None] < torch.tensor([len(c) for c in continuations])[:, None]
    picked = logp.gather(1, where[..., None].expand(-1, -1, logp.shape[-1])).gather(-1, targets[..., None])[..., 0]
    return picked * mask, mask


def sequence_log_probs(
    model: Any,
    prompts: Sequence[Sequence[int]],
    continuations: Sequence[Sequence[int]],
    reduce: str = "sum",
    pad_id: int = 0,
    batch_size: int | None = None,
) -> torch.Tensor:
    """[B] summed (``reduce="sum"``) or per-token mean (``"mean"``) log-probability of each continuation after its
    prompt (:func:`token_log_probs`, in batches of ``batch_size`` pairs; differentiable)."""
    if reduce not in ("sum", "mean"):
        raise ValueError(f"reduce must be sum or mean, got {reduce!r}")
    step = batch_size or max(1, len(prompts))
    out = []
    for lo in range(0, len(prompts), step):
        lp, mask = token_log_probs(model, prompts[lo : lo + step], continuations[lo : lo + step], pad_id)
        total = lp.sum(-1)
        out.append(total / mask.sum(-1).clamp(min=1) if reduce == "mean" else total)
    return torch.cat(out) if out else torch.zeros(0)
