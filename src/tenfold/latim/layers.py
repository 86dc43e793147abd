"""Reading a ``transformers`` Mamba-1 / Mamba-2 causal LM: its blocks, and each block's residual-stream input on a
batch (one ordinary forward with pre-hooks; the model is not modified).

Block ℓ computes h_out = h_in + Mixer(RMSNorm(h_in)); LaTIM needs h_in (the residual, for ALTI with the residual
stream) and u = RMSNorm(h_in) (the mixer input) of every layer, and the mixer outputs o to check the decomposition
against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from tenfold.common.errors import UserError

MAMBA_TYPES = ("mamba", "mamba2")


def backbone(model: Any) -> Any:
    """The Mamba backbone of a ``*ForCausalLM`` (or the model itself if it is a backbone)."""
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    if model_type not in MAMBA_TYPES:
        raise UserError(
            f"LaTIM explains Mamba-1 and Mamba-2 models; this one is '{model_type or type(model).__name__}'"
        )
    return getattr(model, "backbone", model)


def blocks(model: Any) -> list[Any]:
    return list(backbone(model).layers)


def check_layers(model: Any, layers: int | list[int] | None) -> list[int]:
    """Layer indices (negative ones count from the end); a one-line error for an index out of range."""
    n = len(blocks(model))
    if layers is None:
        return list(range(n))
    wanted = [layers] if isinstance(layers, int) else list(layers)
    out = []
    for idx in wanted:
        if not -n <= idx < n:
            raise UserError(f"layer {idx} is out of range: the model has {n} layers (0..{n - 1}, or -1 for the last)")
        out.append(idx % n)
    return out


def check_ids(input_ids: Any, attention_mask: Any = None) -> tuple[torch.Tensor, torch.Tensor | None, bool]:
    """Token ids as [B, L] (a 1-D sequence becomes a batch of one; the flag says so) and the mask."""
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    single = ids.dim() == 1
    ids = ids[None] if single else ids
    if ids.dim() != 2 or ids.shape[1] == 0:
        raise UserError("nothing to explain: the input has no tokens")
    mask = None
    if attention_mask is not None:
        mask = torch.as_tensor(attention_mask)
        mask = mask[None] if mask.dim() == 1 else mask
        if mask.shape != ids.shape:
            raise UserError(f"attention_mask has shape {tuple(mask.shape)}, input_ids {tuple(ids.shape)}")
    return ids, mask, single


@dataclass
class Trace:
    """One forward pass, recorded per layer."""

    h_in: list[torch.Tensor]
    """residual-stream input of each block [B, L, d_model]."""
    u: list[torch.Tensor]
    """mixer inputs RMSNorm(h_in) [B, L, d_model]."""
    o: list[torch.Tensor]
    """mixer outputs [B, L, d_model] as the module computed them."""
    logits: torch.Tensor
    """[B, L, V]."""


@torch.no_grad()
def trace(model: Any, ids: torch.Tensor, mask: torch.Tensor | None = None) -> Trace:
    """Run ``model`` once and record every block's h_in, u and mixer output."""
    layers = blocks(model)
    h_in: list = [None] * len(layers)
    u: list = [None] * len(layers)
    o: list = [None] * len(layers)
    hooks = []
    for k, block in enumerate(layers):

        def pre(_module, args, kwargs, k=k):
            h_in[k] = (args[0] if args else kwargs["hidden_states"]).detach()

        def norm_hook(_module, _args, out, k=k):
            u[k] = out.detach()

        def mix_hook(_module, _args, out, k=k):
            o[k] = out.detach()

        hooks.append(block.register_forward_pre_hook(pre, with_kwargs=True))
        hooks.append(block.norm.register_forward_hook(norm_hook))
        hooks.append(block.mixer.register_forward_hook(mix_hook))
    try:
        out = model(input_ids=ids, attention_mask=mask)
    finally:
        for h in hooks:
            h.remove()
    return Trace(h_in, u, o, out.logits)
