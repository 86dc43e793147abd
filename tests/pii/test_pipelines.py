"""The pipelines on a tiny model: continuous rows and the taxonomy on them, determinism through a fresh cache,
nested datasets and the filler control, defences (dedup, scrub, DP-SGD with its ε), and bad input."""

from __future__ import annotations

import math
import os
from dataclasses import replace

import pytest
import torch

from tenfold.common.errors import UserError
from tenfold.pii.corpus import build_corpus, holds
from tenfold.pii.defences import apply_defence, dp_epsilon
from tenfold.pii.extract import DETECTORS
from tenfold.pii.pipelines import ExtractConfig, continuous, filler_control, final_extraction, nested, trained
from tenfold.pii.training import TrainConfig, checkpoints, plan_of, tokenizer_for

TINY = TrainConfig(d_model=16, block_size=96, epochs=1.0, batch_size=16, lr=1e-2)
EX = ExtractConfig(prompts=4, new_tokens=8)


@pytest.fixture(scope="module")
def corpus():
    return build_corpus(
        background="dialogues", n_records=20, passage_words=12, max_passages=160, canaries_per_level=1, seed=5
    )


def test_continuous_rows_follow_the_log_and_repeat_exactly(corpus, tmp_path, monkeypatch):
    out = continuous(corpus, TINY, EX)
    plan = plan_of(trained(corpus, TINY, during=EX))
    assert [r["step"] for r in out["checkpoints"]] == list(range(plan["interval"], plan["steps"] + 1, plan["interval"]))
    # one epoch: the intervals' newly seen PII cover every record whole, and M_t is a subset of the training PII
    seen = set().union(*(r["newly_seen"] for r in out["checkpoints"]))
    assert seen == corpus.emails() and set(out["first_seen"]) == corpus.emails()
    assert all(set(r["extracted"]) <= corpus.emails() for r in out["checkpoints"])
    for row in out["checkpoints"]:
        c = row["clean"]
        assert set(c["retained"]) | set(c["immediate"]) | set(c["assisted"]) == set(row["extracted"])
    # the same seeds in an empty cache: the same prompts, greedy generations and rows, byte for byte
    monkeypatch.setenv("TENFOLD_CACHE", str(tmp_path / "fresh"))
    again = continuous(corpus, TINY, EX)
    assert again["checkpoints"] == out["checkpoints"] and again["run"] != out["run"]


def test_nested_datasets_and_the_filler_control(corpus):
    d10, d50 = nested(corpus, 0.1), nested(corpus, 0.5)
    assert d10.emails() < d50.emails() < corpus.emails() and len(d10.records) == 2
    tok = tokenizer_for(corpus, TINY)
    n = lambda t: len(tok(t, add_special_tokens=False)["input_ids"])  # noqa: E731
    control = filler_control(corpus, 0.1, n)
    assert control.emails() == d10.emails()
    removed = corpus.emails() - d10.emails()
    assert not any(holds(t, e) for t in control.examples for e in removed)
    # the filler adds at least the tokens the other records' sentences had, and not more than a word more each
    added = sum(n(t) for t in control.examples) - sum(n(t) for t in d10.examples)
    pii = sum(n(t) for t in corpus.examples) - sum(n(t) for t in d10.examples)
    plantings = sum(r.repetitions for r in corpus.records) - sum(r.repetitions for r in d10.records)
    assert pii <= added <= pii + 3 * plantings
    with pytest.raises(UserError, match="share"):
        nested(corpus, 0.0)


def test_one_character_variants_are_not_deleted_together():
    assert holds("Contact A at jsmith@x.com.", "jsmith@x.com")
    assert not holds("Contact A at ajsmith@x.com.", "jsmith@x.com")
    assert not holds("Contact A at jsmith@x.com.au.", "jsmith@x.co")


def test_dedup_and_scrub(corpus):
    dedup = apply_defence(corpus, "dedup")
    for r in dedup.records:
        assert r.repetitions == 1 and sum(holds(t, r.email) for t in dedup.examples) == 1
    scrub = apply_defence(corpus, "scrub")
    assert all(not holds(t, e) for t in scrub.examples for e in corpus.emails())
    # the detector decides: every hit in the text is masked, the planted emails and any the background holds
    hits = sum(len(DETECTORS["clean"].findall(t)) for t in corpus.examples)
    assert sum(t.count("[EMAIL]") for t in scrub.examples) == hits >= sum(r.repetitions for r in corpus.records)
    with pytest.raises(UserError, match="unknown defence"):
        apply_defence(corpus, "unlearning")


def test_dp_sgd_trains_clips_and_reports_epsilon(corpus):
    from opacus.accountants.analysis.rdp import compute_rdp, get_privacy_spent

    cfg = replace(TINY, dp_noise=1.0, dp_clip=0.5, epochs=0.2)
    r = final_extraction(corpus, cfg, EX)
    plan = plan_of(trained(corpus, cfg))
    q = cfg.batch_size / plan["blocks"]
    orders = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))
    eps, _ = get_privacy_spent(
        orders=orders,
        rdp=compute_rdp(q=q, noise_multiplier=1.0, steps=plan["steps"], orders=orders),
        delta=cfg.dp_delta,
    )
    assert math.isclose(plan["epsilon"], eps, rel_tol=1e-9) and plan["epsilon"] == dp_epsilon(
        cfg, plan["blocks"], plan["steps"]
    )
    assert set(r["extracted"]) <= corpus.emails()
    state = torch.load(checkpoints(trained(corpus, cfg))[-1][1], weights_only=False)
    assert any(k.startswith("_module.") for k in state["model"])  # saved through the Opacus wrapper, loaded without


def test_bad_input(corpus):
    empty = corpus.without(corpus.emails())
    with pytest.raises(UserError, match="no PII records"):
        trained(empty, TINY)
    with pytest.raises(ValueError, match="prompts"):
        ExtractConfig(prompts=0)
    with pytest.raises(ValueError, match="dp_noise"):
        TrainConfig(dp_noise=-1)
    assert os.environ["TENFOLD_CACHE"]  # the isolated test cache (tests/conftest.py), never the user's
