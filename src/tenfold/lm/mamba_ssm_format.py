"""Checkpoints in the ``mamba_ssm`` layout (``state-spaces/mamba-130m``, ``state-spaces/mamba2-130m``, models saved
by ``MambaLMHeadModel.save_pretrained``), loaded into the ``transformers`` classes without ``mamba_ssm`` or its
CUDA kernels.

The layout: ``config.json`` with ``d_model``, ``n_layer``, ``vocab_size``, ``ssm_cfg`` (``layer`` "Mamba1" or
"Mamba2", ``d_state``, ``d_conv``, ``expand``, ``dt_rank``, ``headdim``, ``ngroups``, ``chunk_size``, ...),
``rms_norm``, ``residual_in_fp32``, ``pad_vocab_size_multiple``, ``tie_embeddings`` (``d_intermediate`` and
``attn_layer_idx`` on hybrid models), and the weights in ``pytorch_model.bin`` (or ``model.safetensors``) under
``backbone.embedding``, ``backbone.layers.{i}.{norm,mixer}.*``, ``backbone.norm_f``, ``lm_head``. Apart from the
embedding's name (``transformers``' own load hook renames it) the mixer parameters are named as in ``transformers``
(Mamba-1 ``in_proj, conv1d, x_proj, dt_proj, A_log, D, out_proj``; Mamba-2 ``in_proj, conv1d, dt_bias, A_log, D,
norm.weight, out_proj``), so the conversion is the config's.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from tenfold.common.errors import UserError


def is_mamba_ssm_config(config: dict[str, Any]) -> bool:
    return "model_type" not in config and "d_model" in config and "n_layer" in config


def _padded_vocab(config: dict[str, Any]) -> int:
    vocab, multiple = int(config["vocab_size"]), int(config.get("pad_vocab_size_multiple", 8))
    return vocab + (-vocab) % multiple


def hf_config(config: dict[str, Any]) -> Any:
    """The ``transformers`` config (MambaConfig or Mamba2Config) equal to a ``mamba_ssm`` one.

    Raises:
        UserError: a hybrid (MLP or attention layers) or a Mamba-2 with d_ssm < d_inner, which ``transformers``
            has no class for.
    """
    import transformers as tf

    ssm = dict(config.get("ssm_cfg") or {})
    if config.get("d_intermediate", 0) or config.get("attn_layer_idx"):
        raise UserError("this mamba_ssm checkpoint is a hybrid (MLP or attention layers): not supported")
    if not config.get("rms_norm", True):
        raise UserError("this mamba_ssm checkpoint uses LayerNorm blocks (rms_norm false): not supported")
    d_model, expand = int(config["d_model"]), int(ssm.get("expand", 2))
    common = {
        "hidden_size": d_model,
        "num_hidden_layers": int(config["n_layer"]),
        "vocab_size": _padded_vocab(config),
        "state_size": int(ssm.get("d_state", 128 if ssm.get("layer") == "Mamba2" else 16)),
        "conv_kernel": int(ssm.get("d_conv", 4)),
        "expand": expand,
        "use_bias": bool(ssm.get("bias", False)),
        "use_conv_bias": bool(ssm.get("conv_bias", True)),
        "residual_in_fp32": bool(config.get("residual_in_fp32", True)),
        "tie_word_embeddings": bool(config.get("tie_embeddings", True)),
        "layer_norm_epsilon": 1e-5,
        "pad_token_id": 0,
        "bos_token_id": 0,
        "eos_token_id": 0,
    }
    if ssm.get("layer", "Mamba1") == "Mamba1":
        rank = ssm.get("dt_rank", "auto")
        return tf.MambaConfig(**common, time_step_rank=math.ceil(d_model / 16) if rank == "auto" else int(rank))
    head_dim = int(ssm.get("headdim", 64))
    d_inner = expand * d_model
    if ssm.get("d_ssm") not in (None, d_inner):
        raise UserError("this Mamba-2 checkpoint has d_ssm < d_inner (an extra gated MLP branch): not supported")
    if d_inner % head_dim:
        raise UserError(f"mamba_ssm config: d_inner {d_inner} is not a multiple of headdim {head_dim}")
    return tf.Mamba2Config(
        **common,
        num_heads=d_inner // head_dim,
        head_dim=head_dim,
        n_groups=int(ssm.get("ngroups", 1)),
        chunk_size=int(ssm.get("chunk_size", 256)),
        time_step_limit=(0.0, float("inf")),
    )


def _state_dict(path: Path) -> dict[str, Any]:
    import torch

    if (path / "model.safetensors").exists():
        from safetensors.torch import load_file

        return {k.removeprefix("model."): v for k, v in load_file(str(path / "model.safetensors")).items()}
    if (path / "pytorch_model.bin").exists():
        return torch.load(path / "pytorch_model.bin", map_location="cpu", weights_only=True)
    raise UserError(f"'{path}' has a mamba_ssm config.json but no pytorch_model.bin or model.safetensors")


def load_mamba_ssm(path: Path, config: dict[str, Any], dtype: Any) -> Any:
    """A ``transformers`` MambaForCausalLM / Mamba2ForCausalLM holding a ``mamba_ssm`` checkpoint's weights."""
    import transformers as tf

    conf = hf_config(config)
    cls = tf.MambaForCausalLM if isinstance(conf, tf.MambaConfig) else tf.Mamba2ForCausalLM
    model = cls(conf)
    state = _state_dict(path)
    if conf.tie_word_embeddings:
        state.pop("lm_head.weight", None)  # tied: the embedding's
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # shape mismatches: the config and the weights disagree
        first = str(exc).strip().splitlines()[-1].strip()
        raise UserError(f"cannot load the mamba_ssm weights in '{path}': {first}") from None
    missing = [k for k in missing if not (conf.tie_word_embeddings and k == "lm_head.weight")]
    if missing or unexpected:
        raise UserError(
            f"cannot load the mamba_ssm weights in '{path}': missing {missing[:3]}, unexpected {unexpected[:3]}"
        )
    if conf.tie_word_embeddings:
        model.tie_weights()
    return model.to(dtype).eval()


def save_mamba_ssm(model: Any, path: Path, vocab_size: int | None = None, safetensors: bool = False) -> None:
    """Write a ``transformers`` Mamba / Mamba-2 model in the ``mamba_ssm`` layout (the inverse of
    :func:`load_mamba_ssm`; ``vocab_size``: the unpadded vocabulary, default the model's)."""
    import torch
    import transformers as tf

    c = model.config
    ssm: dict[str, Any] = {
        "d_state": c.state_size,
        "d_conv": c.conv_kernel,
        "expand": c.expand,
        "bias": c.use_bias,
        "conv_bias": c.use_conv_bias,
    }
    if isinstance(c, tf.MambaConfig):
        ssm |= {"layer": "Mamba1", "dt_rank": c.time_step_rank}
    else:
        ssm |= {"layer": "Mamba2", "headdim": c.head_dim, "ngroups": c.n_groups, "chunk_size": c.chunk_size}
    config = {
        "d_model": c.hidden_size,
        "n_layer": c.num_hidden_layers,
        "vocab_size": vocab_size or c.vocab_size,
        "ssm_cfg": ssm,
        "rms_norm": True,
        "residual_in_fp32": c.residual_in_fp32,
        "fused_add_norm": True,
        "pad_vocab_size_multiple": 8 if c.vocab_size % 8 == 0 else 1,
        "tie_embeddings": c.tie_word_embeddings,
    }
    if _padded_vocab(config) != c.vocab_size:
        raise ValueError(f"vocab_size {config['vocab_size']} does not pad to the model's {c.vocab_size}")
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text(json.dumps(config, indent=2))
    state = {
        k.replace("backbone.embeddings.", "backbone.embedding."): v.detach().clone().contiguous()
        for k, v in model.state_dict().items()
    }
    if c.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    if safetensors:
        from safetensors.torch import save_file

        save_file(state, str(path / "model.safetensors"))
    else:
        torch.save(state, path / "pytorch_model.bin")
