"""AAC (Gaines & Vertanen, arXiv 2501.10582): next-character prediction from subword language models.

:class:`CharPredictor` turns any ``transformers`` causal LM and its tokenizer into P(next character | typed text);
:mod:`.baselines` has the paper's comparators; :mod:`.adaptation` the usefulness-rated fine-tuning; :mod:`.metrics`
perplexity, accuracy and keystroke savings.
"""

from tenfold.common.registry import Claim, Paper, SystemSpec

_RUN = "tenfold reproduce aac --preset quick"

SYSTEM = SystemSpec(
    name="aac",
    paper=Paper(
        "Adapting Large Language Models for Character-based Augmentative and Alternative Communication",
        ("Dylan Gaines", "Keith Vertanen"),
        "2501.10582",
    ),
    summary="next-character prediction from any subword LM",
    cli="tenfold.aac.cli:register",
    reproduce="tenfold.aac.reproduce:reproduce",
    claims=(
        Claim(
            "exact_marginal",
            "unpruned search = exact next-character marginal over token paths",
            "exact without beam/cap (authors' tests)",
            "pytest tests/aac/test_predictor.py",
        ),
        Claim(
            "beats_head",
            "the algorithm has lower character perplexity than a classification head on the same subword model",
            "better than the classification layer (values not available)",
            _RUN,
        ),
        Claim(
            "vs_byte", "the algorithm against a byte-level LM", "distilgpt2 2.615 vs ByGPT5 3.759 (repo README)", _RUN
        ),
        Claim(
            "token_boundary",
            "at mid-word positions the algorithm beats the naive subword baseline by ≥ 20 % perplexity",
            "— (our baseline)",
            _RUN,
        ),
        Claim(
            "mixture",
            "0.8 LLM + 0.2 n-gram never gives a symbol probability 0 and beats the LLM alone (n-gram reported "
            "as measured)",
            "2.558 vs 2.615 and 2.870 (repo README)",
            _RUN,
        ),
        Claim(
            "adaptation",
            "fine-tuning on top-rated sentences lowers conversational perplexity (≥ 5 % here) and beats "
            "a random selection of the same size",
            "adaptation helps (values not available)",
            _RUN,
        ),
        Claim(
            "pruning",
            "beam 8 + 32,000 completed within 1 % perplexity of unpruned search, faster",
            "≈5× faster for +0.0025 perplexity (code comment)",
            _RUN,
        ),
        Claim("smollm2", "SmolLM2-135M (real pretrained subword LM) with the algorithm", "—", _RUN),
        Claim("keystroke_savings", "keystroke savings with 5 word completions", "≈50 % (ByGPT5, repo scripts)", _RUN),
    ),
)


def __getattr__(name: str):
    # ``tenfold.aac.CharPredictor`` without importing torch when only the registry entry is needed
    if name == "CharPredictor":
        from tenfold.aac.predictor import CharPredictor

        return CharPredictor
    raise AttributeError(f"module 'tenfold.aac' has no attribute {name!r}")


__all__ = ["SYSTEM", "CharPredictor"]
