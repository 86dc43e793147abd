"""Metrics on hand-made evaluations: per-sample vs any-of-k accuracy, distinct correct solutions, creativity."""

from __future__ import annotations

import pytest

from tenfold.flowreason.metrics import ProblemEval, creativity, summarise


def test_per_sample_and_any_of_k_accuracy_and_distinct_solutions():
    evals = [
        ProblemEval("p1", 4, 4, {("a",), ("b",)}),  # every sample correct, two distinct solutions
        ProblemEval("p2", 4, 1, {("c",)}),  # one lucky sample: any-of-k counts it fully
        ProblemEval("p3", 4, 0, set()),
    ]
    s = summarise(evals)
    assert s["sample_accuracy"] == pytest.approx((1 + 0.25 + 0) / 3)
    assert s["any_accuracy"] == pytest.approx(2 / 3)  # the official code's metric: higher than per-sample
    assert s["distinct_correct"] == pytest.approx(1.0)


def test_creativity_counts_solutions_no_other_method_found():
    per_method = {
        "for": [ProblemEval("p1", 4, 3, {("a",), ("b",), ("c",)}), ProblemEval("p2", 4, 1, {("x",)})],
        "sft": [ProblemEval("p1", 4, 4, {("a",)}), ProblemEval("p2", 4, 0, set())],
        "ppo": [ProblemEval("p1", 4, 2, {("b",)}), ProblemEval("p2", 4, 2, {("x",)})],
    }
    c = creativity(per_method)
    assert c == {"for": pytest.approx(0.5), "sft": 0.0, "ppo": 0.0}  # only ("c",) on p1 is FoR's alone
