"""Collapse (Drayson & Lampos, arXiv 2502.15654): recursive training on model output, decoding strategies, and
machine-generated-text-detector resampling that prevents model collapse.

Modules: :mod:`.data` (human blocks), :mod:`.decoding` (the six strategies), :mod:`.models` (bigram tier, zoo base,
SmolLM2; fine-tuning, evaluation), :mod:`.detectors` (classifier, Fast-DetectGPT, Binoculars, oracle; temperature
scaling), :mod:`.resample` (importance resampling, official and clean; fallback; filtering; loss weights),
:mod:`.metrics` (diversity, Self-BLEU, readability, coverage, n-gram KL, MAUVE, ECE), :mod:`.pipeline` (the
recursive loop in cached stages), :mod:`.report`, :mod:`.cli`, :mod:`.claims`, :mod:`.reproduce`.
"""

from tenfold.common.registry import Paper, SystemSpec

SYSTEM = SystemSpec(
    name="collapse",
    paper=Paper(
        "Machine-generated text detection prevents language model collapse",
        ("George Drayson", "Vasileios Lampos"),
        "2502.15654",
    ),
    summary="recursive-training simulator + detector-weighted resampling",
    status="built",
    module="tenfold.collapse",
)
