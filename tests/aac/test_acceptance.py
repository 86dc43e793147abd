"""Acceptance (slow): the quick reproduction shows the paper's effects at CPU scale (the judged claims themselves are
asserted by ``tests/test_conformance.py``; here the numbers behind them, checked with their own bars)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_numbers_behind_the_claims(quick_reproduction):
    rep = quick_reproduction("aac")
    alg, head = rep.result("beats_head").values["algorithm"], rep.result("beats_head").values["head"]
    assert alg < head
    assert rep.result("mixture").values["mixture_zero_prob_events"] == 0
    general, rand = rep.result("adaptation").values["general"], rep.result("adaptation").values["random"]
    assert alg <= 0.95 * general and alg <= rand
    boundary = rep.result("token_boundary").values
    assert boundary["algorithm_midword"] <= 0.8 * boundary["naive_midword"]
    assert rep.result("exact_marginal").values["max_abs_diff"] <= 1e-9
