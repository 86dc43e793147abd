"""Where the extraction prompts come from: held-out text of the background corpus.

The paper samples one 10-word window per Common Crawl record (25,000 prompts, seeded); our stand-in is the
background corpus's ``test`` split — text the model was never fine-tuned on, from the same distribution as the
passages that carry the PII — cut into seeded 10-word windows (:func:`~tenfold.pii.extract.make_prompts`).
"""

from __future__ import annotations

from tenfold.pii.extract import make_prompts

PROMPT_SPLIT = "test"
"""The background split the prompts are cut from (never trained on: the corpus uses ``train``)."""


def heldout_prompts(background: str, n: int, words: int = 10, seed: int = 0) -> list[str]:
    """``n`` seeded ``words``-word prompts from ``background``'s held-out split."""
    from tenfold.lm.corpora import load_corpus

    return make_prompts(load_corpus(background).docs(PROMPT_SPLIT), n, words, seed)


def heldout_passages(background: str, words: int = 24) -> list[str]:
    """The held-out split in passages (utility: the fine-tuned model's perplexity on text without PII)."""
    from tenfold.lm.corpora import load_corpus
    from tenfold.pii.corpus import passages

    return passages(load_corpus(background).docs(PROMPT_SPLIT), words)
