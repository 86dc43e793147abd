"""Named tiny model configs, built with ``transformers`` from a config alone (no download, random init).

==================  =======================================================================================
name                architecture
==================  =======================================================================================
``gpt2-tiny``       GPT-2: d_model 128, 4 layers, 4 heads, learned positions, FFN 4·d
``llama-tiny``      Llama: d_model 128, 4 layers, 4 query / 2 KV heads, SwiGLU FFN 352, RoPE, RMSNorm
``mamba-tiny``      Mamba-1: d_model 128, 4 layers, d_state 16, expand 2 (d_inner 256), conv 4
``mamba2-tiny``     Mamba-2: d_model 128, 4 layers, d_state 16, 8 heads × 32, 1 group, SSD chunk 32
==================  =======================================================================================

All use a byte-level BPE of 1,024 tokens trained on the corpus they are trained on (``tokenizer`` field); every
field can be overridden (``--set model.n_layer=2``). Mamba-1 models use the fast CPU scan of
:mod:`tenfold.lm.mamba_scan`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tenfold.common.config import check_fields
from tenfold.common.registry import Registry

if TYPE_CHECKING:
    from transformers import PreTrainedModel

Family = Literal["gpt2", "llama", "mamba", "mamba2"]


@dataclass(frozen=True)
class ModelSpec:
    """Architecture of a zoo model; fields that a family does not use are ignored by it."""

    family: Family
    """gpt2, llama, mamba (Mamba-1) or mamba2."""
    d_model: int = 128
    """residual stream width."""
    n_layer: int = 4
    """number of blocks."""
    n_head: int = 4
    """attention heads (gpt2, llama)."""
    n_kv_head: int = 2
    """key/value heads for grouped-query attention (llama)."""
    d_ff: int | None = None
    """FFN width; default 4·d_model (gpt2) or 352 ≈ 8/3·d_model rounded to 32 (llama)."""
    d_state: int = 16
    """SSM state size N (mamba, mamba2)."""
    expand: int = 2
    """d_inner = expand · d_model (mamba, mamba2)."""
    head_dim: int = 32
    """SSM head dimension P (mamba2); heads = d_inner / head_dim."""
    chunk_size: int = 32
    """SSD chunk length (mamba2); at most the training block size keeps the padding small."""
    conv_kernel: int = 4
    """causal depthwise conv width (mamba, mamba2)."""
    max_len: int = 256
    """longest sequence (positions of gpt2, RoPE table of llama)."""
    dropout: float = 0.1
    """dropout probability (gpt2: embedding, attention and residual; llama: attention). Tiny corpora overfit
    without it: gpt2-tiny on dialogues reached its best validation perplexity at step 200 of 600 with 0.0."""
    tokenizer: str = "bpe-1024"
    """tokenizer spec: gpt2, char or bpe-<size> (trained on the training corpus)."""

    def __post_init__(self) -> None:
        if self.family not in ("gpt2", "llama", "mamba", "mamba2"):
            raise ValueError(f"unknown family '{self.family}'")
        check_fields(
            self,
            positive=(
                "d_model",
                "n_layer",
                "n_head",
                "n_kv_head",
                "d_ff",
                "d_state",
                "expand",
                "head_dim",
                "chunk_size",
                "conv_kernel",
                "max_len",
            ),
            fractions=("dropout",),
        )
        if self.family in ("gpt2", "llama") and self.d_model % self.n_head:
            raise ValueError(f"d_model {self.d_model} is not divisible by n_head {self.n_head}")
        if self.family == "mamba2" and (self.expand * self.d_model) % self.head_dim:
            raise ValueError(f"d_inner {self.expand * self.d_model} is not divisible by head_dim {self.head_dim}")


ZOO: Registry[ModelSpec] = Registry("model")
ZOO.register("gpt2-tiny", ModelSpec("gpt2"), "GPT-2, d 128, 4 layers, 4 heads")
ZOO.register("llama-tiny", ModelSpec("llama"), "Llama, d 128, 4 layers, GQA 4/2 heads, SwiGLU 352")
ZOO.register("mamba-tiny", ModelSpec("mamba"), "Mamba-1, d 128, 4 layers, N 16, expand 2")
ZOO.register("mamba2-tiny", ModelSpec("mamba2"), "Mamba-2, d 128, 4 layers, N 16, 8 heads x 32")


def hf_config(spec: ModelSpec, vocab_size: int, eos_id: int):
    """The ``transformers`` config for ``spec`` with a vocabulary of ``vocab_size`` tokens."""
    import transformers as tf

    common = {"vocab_size": vocab_size, "bos_token_id": eos_id, "eos_token_id": eos_id, "pad_token_id": eos_id}
    if spec.family == "gpt2":
        p = spec.dropout
        return tf.GPT2Config(
            n_embd=spec.d_model,
            n_layer=spec.n_layer,
            n_head=spec.n_head,
            n_positions=spec.max_len,
            n_inner=spec.d_ff,
            resid_pdrop=p,
            embd_pdrop=p,
            attn_pdrop=p,
            **common,
        )
    if spec.family == "llama":
        return tf.LlamaConfig(
            hidden_size=spec.d_model,
            num_hidden_layers=spec.n_layer,
            num_attention_heads=spec.n_head,
            num_key_value_heads=spec.n_kv_head,
            intermediate_size=spec.d_ff or 352,
            max_position_embeddings=spec.max_len,
            attention_dropout=spec.dropout,
            tie_word_embeddings=True,
            **common,
        )
    if spec.family == "mamba":
        return tf.MambaConfig(
            hidden_size=spec.d_model,
            num_hidden_layers=spec.n_layer,
            state_size=spec.d_state,
            expand=spec.expand,
            conv_kernel=spec.conv_kernel,
            **common,
        )
    d_inner = spec.expand * spec.d_model
    return tf.Mamba2Config(
        hidden_size=spec.d_model,
        num_hidden_layers=spec.n_layer,
        state_size=spec.d_state,
        expand=spec.expand,
        head_dim=spec.head_dim,
        num_heads=d_inner // spec.head_dim,
        n_groups=1,
        chunk_size=spec.chunk_size,
        conv_kernel=spec.conv_kernel,
        **common,
    )


def build_model(spec: ModelSpec, vocab_size: int, eos_id: int, seed: int = 0) -> PreTrainedModel:
    """A freshly initialised causal LM for ``spec`` (initialisation seeded by ``seed``)."""
    import torch
    import transformers as tf

    classes = {
        "gpt2": tf.GPT2LMHeadModel,
        "llama": tf.LlamaForCausalLM,
        "mamba": tf.MambaForCausalLM,
        "mamba2": tf.Mamba2ForCausalLM,
    }
    prepare_family(spec.family)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return classes[spec.family](hf_config(spec, vocab_size, eos_id))


def prepare_family(family: str) -> None:
    """Per-family process set-up: the fast CPU scan for Mamba-1; quiet ``transformers`` fallback warnings."""
    import transformers

    transformers.logging.set_verbosity_error()  # "falling back to the reference PyTorch implementation" on CPU
    transformers.utils.logging.disable_progress_bar()  # "Writing model shards" bars for one-file tiny models
    if family == "mamba":
        from tenfold.lm import mamba_scan

        mamba_scan.install()
