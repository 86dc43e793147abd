"""PII ripple effects (Borkar et al., arXiv 2502.15680): memorisation of personal information when PII is added to
or removed from training.

Modules: :mod:`.corpus` (synthetic people planted in background text, with a manifest), :mod:`.data` (held-out
prompts), :mod:`.extract` (detectors, untargeted / true-prefix extraction, ranking, exposure), :mod:`.taxonomy`
(immediate / retained / assisted / forgotten, clean and faithful), :mod:`.training` (fine-tuning with the
seen-examples log), :mod:`.pipelines` (continuous, adding, removal as cached stages), :mod:`.defences` (dedup,
scrubbing, DP-SGD), :mod:`.report`, :mod:`.cli`, :mod:`.claims`, :mod:`.reproduce`.
"""

from tenfold.common.registry import Paper, SystemSpec

SYSTEM = SystemSpec(
    name="pii",
    paper=Paper(
        "Privacy Ripple Effects from Adding or Removing Personal Information in Language Model Training",
        (
            "Jaydeep Borkar",
            "Matthew Jagielski",
            "Katherine Lee",
            "Niloofar Mireshghallah",
            "David A. Smith",
            "Christopher A. Choquette-Choo",
        ),
        "2502.15680",
    ),
    summary="PII planting, training pipelines, memorisation/extraction audits",
    status="in progress",
    module="tenfold.pii",
)
