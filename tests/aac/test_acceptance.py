"""Acceptance (slow): the quick reproduction shows the paper's effects at CPU scale."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    from tenfold.aac.reproduce import reproduce

    rep = reproduce("quick", tmp_path_factory.mktemp("aac") / "report", seed=0)
    return {r.claim.id: r for r in rep.results}


@pytest.mark.parametrize("claim", ["exact_marginal", "beats_head", "token_boundary", "mixture", "adaptation"])
def test_claim_holds(quick, claim):
    assert quick[claim].holds, quick[claim].ours


def test_numbers_behind_the_claims(quick):
    head, alg = quick["beats_head"].values["head"], quick["beats_head"].values["algorithm"]
    assert alg["perplexity"] < head["perplexity"]
    assert quick["mixture"].values["mixture"]["zero_prob_events"] == 0
    general, rand = quick["adaptation"].values["general"], quick["adaptation"].values["random"]
    assert alg["perplexity"] <= 0.95 * general["perplexity"] and alg["perplexity"] <= rand["perplexity"]
    naive = quick["token_boundary"].values["naive"]
    assert alg["midword_perplexity"] <= 0.8 * naive["midword_perplexity"]
    # the byte-model row is reported either way, but a full-softmax character LM never gives probability 0
    assert quick["vs_byte"].values["char"]["zero_prob_events"] == 0
