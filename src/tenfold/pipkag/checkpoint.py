"""Pruned (and adapted) models saved as ordinary local Hugging Face checkpoints.

``save_pretrained`` writes the weights that remain and the config; ``pipkag.json`` beside them lists the pruned
layers, so :func:`load_checkpoint` rebuilds the architecture from the config, removes those FFNs again and loads the
weights strictly (a missing or unexpected tensor is an error, never a silently re-initialised FFN).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tenfold.common.errors import UserError

MARKER = "pipkag.json"


def save_checkpoint(model: Any, tokenizer: Any, kind: str, path: Path) -> Path:
    """Write ``model`` (pruned layers recorded in its config by :func:`~tenfold.pipkag.layers.prune_layers`) and its
    tokenizer to ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    pruned = list(getattr(model.config, "pipkag_pruned_layers", []) or [])
    (path / MARKER).write_text(json.dumps({"pruned_layers": pruned, "kind": kind}, indent=1) + "\n")
    return path


def load_checkpoint(path: Path) -> tuple[Any, Any, str]:
    """``(model, tokenizer, kind)`` from a directory written by :func:`save_checkpoint`."""
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from tenfold.pipkag.layers import prune_layers

    meta = json.loads((path / MARKER).read_text())
    config = AutoConfig.from_pretrained(path)
    model = AutoModelForCausalLM.from_config(config)
    prune_layers(model, meta["pruned_layers"])
    weights = sorted(path.glob("*.safetensors"))
    if not weights:
        raise UserError(f"{path} has no .safetensors weights")
    state: dict[str, Any] = {}
    for file in weights:
        state |= load_file(file)
    if getattr(config, "tie_word_embeddings", False):
        state = {k: v for k, v in state.items() if k != "lm_head.weight"}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not (m == "lm_head.weight" and config.tie_word_embeddings)]
    if missing or unexpected:
        raise UserError(
            f"{path}: weights do not fit the pruned architecture (missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    if getattr(config, "tie_word_embeddings", False):
        model.tie_weights()
    return model.eval(), AutoTokenizer.from_pretrained(path), meta["kind"]
