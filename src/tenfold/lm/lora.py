"""LoRA adapters (Hu et al., 2021) on any ``transformers`` causal LM, through PEFT.

A LoRA module replaces a frozen weight W (d_out × d_in) by ``W + (α / r) · B A`` with A (r × d_in) random and B
(d_out × r) zero at initialisation, so an added adapter leaves the model's outputs unchanged until B is trained;
merging writes ``W + (α / r) B A`` into the weights (same outputs, no adapter left). Only A and B train.

Target modules default per architecture (:data:`DEFAULT_TARGETS`, the attention and FFN projections); any module
names can be given. Train an adapter with any loss: the block trainer (:class:`~tenfold.lm.blocks.BlockTrainer`,
masked and weighted NLL) or any loop over :func:`adapter_parameters` (Flow of Reasoning's trajectory balance).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from tenfold.common.config import check_fields
from tenfold.common.errors import UserError, missing_package

DEFAULT_TARGETS: dict[str, tuple[str, ...]] = {
    "gpt2": ("c_attn", "c_proj", "c_fc"),
    "llama": ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
    # Mamba-1: PEFT refuses out_proj and conv1d, and transformers reads dt_proj.weight directly (an adapter there
    # would be silently skipped)
    "mamba": ("in_proj", "x_proj"),
    "mamba2": ("in_proj",),
}
"""Adapted modules per ``config.model_type`` when :attr:`LoraSpec.targets` is empty (SmolLM2 is ``llama``)."""


@dataclass(frozen=True)
class LoraSpec:
    """An adapter's shape."""

    r: int = 8
    """rank of B A."""
    alpha: float = 16
    """scaling numerator: the update is α / r · B A."""
    dropout: float = 0.0
    """dropout on the adapter's input while training."""
    targets: tuple[str, ...] = ()
    """module names (last component, e.g. ``q_proj``) that get an adapter; empty: the architecture's default."""

    def __post_init__(self) -> None:
        check_fields(self, positive=("r", "alpha"), fractions=("dropout",))


def _peft() -> Any:
    try:
        import peft
    except ImportError:
        raise missing_package("peft", "LoRA adapters", extra="lm") from None
    return peft


def targets_for(model: Any, spec: LoraSpec) -> list[str]:
    """The target module names of ``spec`` present in ``model`` (a :class:`UserError` if none is)."""
    wanted = spec.targets or DEFAULT_TARGETS.get(getattr(model.config, "model_type", ""), ())
    present = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
    found = [t for t in wanted if t in present]
    if not found:
        kind = getattr(model.config, "model_type", "this model")
        raise UserError(f"none of the LoRA target modules {', '.join(wanted) or '(none given)'} is in {kind}")
    return found


def add_lora(model: Any, spec: LoraSpec = LoraSpec(), seed: int | None = None) -> Any:
    """Freeze ``model`` and add a LoRA adapter to its target modules.

    Args:
        model: a ``transformers`` causal LM.
        spec: the adapter.
        seed: seeds A's random initialisation (None: the caller's global torch RNG state).

    Returns:
        the PEFT model (``peft.PeftModel``): calls like the model; ``disable_adapter()`` gives the base back.
    """
    peft = _peft()
    for p in model.parameters():
        p.requires_grad_(False)
    config = peft.LoraConfig(
        r=spec.r,
        lora_alpha=spec.alpha,
        lora_dropout=spec.dropout,
        target_modules=targets_for(model, spec),
        bias="none",
        # GPT-2 stores its projections transposed (Conv1D); PEFT would switch this on itself, with a warning
        fan_in_fan_out=getattr(model.config, "model_type", "") == "gpt2",
    )
    if seed is None:
        return peft.get_peft_model(model, config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return peft.get_peft_model(model, config)


def adapter_parameters(model: Any) -> list[torch.nn.Parameter]:
    """The trainable (adapter) parameters of a model from :func:`add_lora`."""
    return [p for n, p in model.named_parameters() if p.requires_grad and "lora_" in n]


def merge(model: Any) -> Any:
    """The base model with ``W + (α / r) B A`` written into its weights and the adapter removed (``model`` is
    consumed)."""
    return model.merge_and_unload()


def save_adapter(model: Any, path: Path) -> Path:
    """Write the adapter (its weights and config; megabytes, not the base model) to the directory ``path``."""
    path = Path(path)
    model.save_pretrained(path)
    return path


def load_adapter(base: Any, path: Path, trainable: bool = False) -> Any:
    """``base`` with the adapter saved at ``path`` (from :func:`save_adapter`)."""
    path = Path(path)
    if not (path / "adapter_config.json").is_file():
        raise UserError(f"{path} holds no LoRA adapter (adapter_config.json is missing)")
    return _peft().PeftModel.from_pretrained(base, path, is_trainable=trainable)
