"""Counterfactual country contexts and the CoConflictQA-style filter."""

from __future__ import annotations

import pytest

from tenfold.pipkag.counterfactual import build_conflict_set, counterfactual_items
from tenfold.pipkag.data import ConflictItem
from tenfold.pipkag.metrics import normalize_answer, score_item

pytest.importorskip("countryinfo")


def test_counterfactual_contexts_name_a_wrong_capital():
    items = counterfactual_items(40, seed=3)
    assert len(items) == 40 and len({i.question for i in items}) == 40
    for item in items:
        (fake,) = item.answers
        assert normalize_answer(fake) != normalize_answer(item.parametric_answer)
        assert fake in item.context and item.parametric_answer not in item.context
        # a reader that follows the context scores ConR; one that follows memory scores ParR
        assert score_item(fake, item.answers, item.parametric_answer).con == 1
        assert score_item(item.parametric_answer, item.answers, item.parametric_answer).par == 1
    assert counterfactual_items(40, seed=3) == items


def test_the_filter_keeps_wrong_majorities_whose_context_holds_the_gold():
    items = [
        ConflictItem("q1", ("Paris",), "It is Paris.", ""),  # majority wrong, gold in context: kept
        ConflictItem("q2", ("Rome",), "It is Rome.", ""),  # majority right: dropped
        ConflictItem("q3", ("Oslo",), "No answer here.", ""),  # gold not in context: dropped
    ]
    replies = {"q1": ["Lyon", "Lyon", "Paris", "Lyon", "Nice"], "q2": ["Rome"] * 5, "q3": ["Bergen"] * 5}

    def answer(prompts):
        seen: dict[str, int] = {}
        out = []
        for p in prompts:
            q = p.removeprefix("Q: ").removesuffix("\nA: ")
            out.append(replies[q][seen.get(q, 0)])
            seen[q] = seen.get(q, 0) + 1
        return out

    kept = build_conflict_set(answer, items)
    assert [(k.question, k.parametric_answer, n) for k, n in kept] == [("q1", "Lyon", 3)]
