"""Locating and removing the FFN sub-layers that carry parametric knowledge (PIP-KAG step 1; official code
``src/1_uninstall/1_1_visualize_neuron_inhibition_ratio.py`` and ``1_2_pip_uninstall.py``).

Glossary (a decoder of L layers, hidden width d, FFN width d_ff; layer l computes
``h ← h + Attn(Norm₁(h)); h ← h + FFN(Norm₂(h))``):

* ``a^l``          the FFN's hidden activation, [T, d_ff]: ``SiLU(W_gate x)`` for a gated (SwiGLU) FFN — what the
  official code reads — or ``act(W_fc x)`` for a plain one (GPT-2);
* *activated*      neuron j of layer l is activated on an example iff ``Σ_{t ∈ answer} a^l_{t,j} > 0``, the sum over
  the answer tokens only (teacher-forced after the prompt);
* ``R^l_mode``     activated neurons of layer l over examples, divided by ``|D|·d_ff``, with context or without;
* ``ΔR^l``         ``R^l_without − R^l_with``: how much the context inhibits layer l's FFN. The layers with the
  largest ΔR are read as holding the answer's parametric knowledge;
* *pruning*        for a chosen layer, ``h ← h + Attn(Norm₁(h))``: the FFN **and** its ``Norm₂`` are removed (the
  official ``LlamaDecoderLayer_wo_mlp``), ``3·d·d_ff + d`` parameters for SwiGLU with its RMSNorm;
* ``λ``            ParamMute's dial: the FFN's output scaled by λ (1: the original layer, 0: pruned).

Answer positions come from character offsets of the tokenised text (the prompt's length), never from model-specific
token ids (the official code hard-codes them per model family, and breaks on unlisted ones).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from tenfold.common.errors import UserError


@dataclass
class FFNSite:
    """Where one layer's FFN lives."""

    layer: nn.Module
    """the decoder layer (holds ``mlp`` and the norm before it)."""
    mlp_name: str
    """attribute of ``layer`` holding the FFN."""
    norm_name: str
    """attribute of ``layer`` holding the norm before the FFN."""
    activation: nn.Module | None
    """the module whose output is ``a^l`` (hooked for the scores); None where the FFN has been pruned."""
    d_ff: int
    """0 where the FFN has been pruned."""


_FFN_LAYOUTS = (
    # (mlp attribute, norm attribute, activation attribute, weight whose out_features is d_ff)
    ("mlp", "post_attention_layernorm", "act_fn", "gate_proj"),  # Llama, Qwen2, Mistral, SmolLM2 (SwiGLU)
    ("mlp", "ln_2", "act", "c_fc"),  # GPT-2 (plain FFN; Conv1D weight is [d, d_ff])
)


def _layers(model: Any) -> Sequence[nn.Module]:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    for path in ("model.layers", "transformer.h", "model.decoder.layers"):
        obj = base
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if isinstance(obj, nn.ModuleList):
            return obj
    raise UserError(f"{type(base).__name__} has no decoder layers this tool recognises (Llama-like or GPT-2)")


def ffn_sites(model: Any) -> list[FFNSite]:
    """Every layer's FFN (a :class:`UserError` for a model without a recognisable FFN)."""
    sites = []
    for layer in _layers(model):
        for mlp_name, norm_name, act_name, proj in _FFN_LAYOUTS:
            mlp = getattr(layer, mlp_name, None)
            if isinstance(mlp, NoFFN):  # already pruned: nothing to score or remove
                sites.append(FFNSite(layer, mlp_name, norm_name, None, 0))
                break
            if isinstance(mlp, ScaledFFN):
                mlp = mlp.ffn
            if mlp is not None and hasattr(mlp, act_name) and hasattr(mlp, proj) and hasattr(layer, norm_name):
                weight = getattr(mlp, proj).weight
                d_ff = weight.shape[0] if proj == "gate_proj" else weight.shape[1]
                sites.append(FFNSite(layer, mlp_name, norm_name, getattr(mlp, act_name), int(d_ff)))
                break
        else:
            raise UserError(f"layer {len(sites)} of {type(model).__name__} has no FFN this tool recognises")
    return sites


# -- layer scores ---------------------------------------------------------------------------------------------------
@torch.no_grad()
def activated_fraction(model: Any, ids: torch.Tensor, answer_mask: torch.Tensor) -> torch.Tensor:
    """Per layer, the fraction of FFN neurons activated on one example.

    Args:
        ids: [T] token ids of prompt + answer.
        answer_mask: [T] bool, True at the answer's tokens.

    Returns:
        [L] float: ``#{j : Σ_{t∈answer} a^l_{t,j} > 0} / d_ff`` per layer.
    """
    sites = ffn_sites(model)
    sums: list[torch.Tensor] = []
    mask = answer_mask.to(torch.float32)[:, None]

    def hook(_module, _inputs, output):
        sums.append((output[0].float() * mask).sum(0))  # [d_ff]

    live = [s for s in sites if s.activation is not None]
    handles = [s.activation.register_forward_hook(hook) for s in live]  # type: ignore[union-attr]
    try:
        model(input_ids=ids[None])
    finally:
        for h in handles:
            h.remove()
    if len(sums) != len(live):
        raise UserError(f"expected one activation per layer, got {len(sums)} for {len(live)} layers")
    fractions = iter([(s > 0).float().mean() for s in sums])
    # a pruned layer has no neurons: its R is 0 with and without context
    return torch.stack([next(fractions) if s.activation is not None else torch.tensor(0.0) for s in sites])


def answer_tokens(tokenizer: Any, prompt: str, answer: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``(ids, answer_mask)`` of ``prompt + answer``: a token is the answer's iff it starts at or after the prompt's
    last character (offsets, so no model-specific header ids)."""
    enc = tokenizer(prompt + answer, return_offsets_mapping=True, add_special_tokens=False)
    starts = torch.tensor([start for start, _ in enc["offset_mapping"]])
    mask = starts >= len(prompt)
    if not mask.any():
        raise UserError(f"the answer {answer!r} has no token of its own after the prompt")
    return torch.tensor(enc["input_ids"]), mask


@dataclass(frozen=True)
class LayerScores:
    """``R`` with and without context, and ``ΔR``, per layer (0-indexed)."""

    with_context: list[float]
    without_context: list[float]

    @property
    def delta(self) -> list[float]:
        return [w - c for w, c in zip(self.without_context, self.with_context, strict=True)]

    def top(self, k: int) -> list[int]:
        """The k layers with the largest ΔR, in layer order."""
        if not 0 < k <= len(self.delta):
            raise UserError(f"k must be in 1..{len(self.delta)} (the layer count), got {k}")
        order = sorted(range(len(self.delta)), key=lambda i: -self.delta[i])
        return sorted(order[:k])


def layer_scores(model: Any, examples: Sequence[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]):
    """:class:`LayerScores` over examples ``(ids_with, mask_with, ids_without, mask_without)``."""
    was_training = model.training
    model.eval()
    try:
        with_ctx = torch.stack([activated_fraction(model, i, m) for i, m, _, _ in examples]).mean(0)
        without = torch.stack([activated_fraction(model, i, m) for _, _, i, m in examples]).mean(0)
    finally:
        model.train(was_training)
    return LayerScores(with_ctx.tolist(), without.tolist())


# -- pruning --------------------------------------------------------------------------------------------------------
class ScaledFFN(nn.Module):
    """``λ · FFN(x)`` (ParamMute's soft suppression; λ=1 is the FFN itself)."""

    def __init__(self, ffn: nn.Module, lam: float):
        super().__init__()
        self.ffn, self.lam = ffn, float(lam)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lam * self.ffn(x)


class NoFFN(nn.Module):
    """A removed FFN: adds nothing to the residual stream (its norm is removed with it)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(x)


def prune_layers(model: Any, layers: Sequence[int], lam: float = 0.0) -> int:
    """Remove (λ=0) or scale (0<λ<1) the FFNs of ``layers`` in place; returns the parameters removed.

    With λ=0 each chosen layer computes exactly ``h + Attn(Norm₁(h))``: the FFN and its norm are deleted (the
    official ``LlamaDecoderLayer_wo_mlp``). With 0<λ≤1 nothing is deleted and the FFN's output is scaled.
    """
    if not 0.0 <= lam <= 1.0:
        raise UserError(f"λ must be in [0, 1], got {lam}")
    sites = ffn_sites(model)
    bad = [i for i in layers if not 0 <= i < len(sites)]
    if bad:
        raise UserError(f"layer {bad[0]} does not exist (the model has {len(sites)} layers, 0..{len(sites) - 1})")
    removed = 0
    for i in sorted(set(layers)):
        site = sites[i]
        if site.activation is None:  # pruned before
            continue
        mlp = getattr(site.layer, site.mlp_name)
        if lam == 0.0:
            norm = getattr(site.layer, site.norm_name)
            removed += sum(p.numel() for p in mlp.parameters()) + sum(p.numel() for p in norm.parameters())
            setattr(site.layer, site.mlp_name, NoFFN())
            setattr(site.layer, site.norm_name, nn.Identity())
        elif lam < 1.0:
            setattr(site.layer, site.mlp_name, ScaledFFN(mlp, lam))
    config = getattr(model, "config", None)
    if config is not None and lam == 0.0:
        done = set(getattr(config, "pipkag_pruned_layers", []) or [])
        config.pipkag_pruned_layers = sorted(done | set(layers))
    return removed


def llama3_8b_config() -> Any:
    """The LLaMA3-8B(-Instruct) architecture the paper prunes (no weights): 32 layers, d = 4096, d_ff = 14336."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=128256,
        hidden_size=4096,
        intermediate_size=14336,
        num_hidden_layers=32,
        num_attention_heads=32,
        num_key_value_heads=8,
        tie_word_embeddings=False,
    )


def removed_fraction(config: Any, k: int) -> float:
    """Share of a Llama-style model's parameters that pruning k FFNs (with their norms) removes, from the config
    alone (the model is built on the meta device: no weights, no memory)."""
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    total = sum(p.numel() for p in model.parameters())
    per_layer = 3 * config.hidden_size * config.intermediate_size + config.hidden_size
    return k * per_layer / total
