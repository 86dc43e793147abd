"""AAC (Gaines & Vertanen, arXiv 2501.10582): next-character prediction from subword language models.

:class:`CharPredictor` turns any ``transformers`` causal LM and its tokenizer into P(next character | typed text);
:mod:`.baselines` has the paper's comparators; :mod:`.adaptation` the usefulness-rated fine-tuning; :mod:`.metrics`
perplexity, accuracy and keystroke savings.
"""

from tenfold.common.registry import Paper, SystemSpec

SYSTEM = SystemSpec(
    name="aac",
    paper=Paper(
        "Adapting Large Language Models for Character-based Augmentative and Alternative Communication",
        ("Dylan Gaines", "Keith Vertanen"),
        "2501.10582",
    ),
    summary="next-character prediction from any subword LM",
    module="tenfold.aac",
)


def __getattr__(name: str):
    # ``tenfold.aac.CharPredictor`` without importing torch when only the registry entry is needed
    if name == "CharPredictor":
        from tenfold.aac.predictor import CharPredictor

        return CharPredictor
    raise AttributeError(f"module 'tenfold.aac' has no attribute {name!r}")


__all__ = ["SYSTEM", "CharPredictor"]
