"""Context-aware decoding (CAD; Shi et al., 2023), the classic training-free baseline against knowledge conflicts.

Each step takes the token maximising ``(1 + α)·logit(y | c, q) − α·logit(y | q)``: the distribution with the context,
sharpened away from the context-free one. Two decoding states (with and without the context) are advanced with the
same tokens through :mod:`tenfold.lm.generation`'s step API, so both reuse their key/value caches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from tenfold.lm.generation import advance, select, start


@torch.no_grad()
def cad_generate(
    model: Any,
    with_context: Sequence[Sequence[int]],
    without_context: Sequence[Sequence[int]],
    alpha: float = 0.5,
    max_new_tokens: int = 32,
    eos_token_id: int | None = None,
    pad_id: int = 0,
) -> list[list[int]]:
    """Greedy CAD continuations, one per prompt pair (without the EOS that ends them).

    Args:
        with_context: B prompts holding the context and the question (token ids).
        without_context: the same B questions without the context.
        alpha: CAD's weight (0: plain greedy decoding with the context).

    Returns:
        B lists of new token ids.
    """
    if len(with_context) != len(without_context):
        raise ValueError(f"{len(with_context)} prompts with context for {len(without_context)} without")
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        ctx, bare = start(model, with_context, pad_id), start(model, without_context, pad_id)
        alive = list(range(len(with_context)))
        out: list[list[int]] = [[] for _ in with_context]
        for step in range(max_new_tokens):
            mixed = (1 + alpha) * ctx.logits - alpha * bare.logits
            tokens = mixed.argmax(-1)
            keep = []
            for j, (row, tok) in enumerate(zip(alive, tokens.tolist(), strict=True)):
                if tok != eos_token_id:
                    out[row].append(tok)
                    keep.append(j)
            if not keep or step == max_new_tokens - 1:
                break
            if len(keep) < len(alive):
                idx = torch.tensor(keep)
                ctx, bare, tokens = select(ctx, idx), select(bare, idx), tokens[idx]
                alive = [alive[j] for j in keep]
            ctx, bare = advance(model, ctx, tokens), advance(model, bare, tokens)
    finally:
        model.train(was_training)
    return out
