"""The recursive loop on the bigram tier (seconds): stages resume with identical results, regimes, bad input."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tenfold.collapse.data import cut_blocks, load_human
from tenfold.collapse.models import load_kit
from tenfold.collapse.pipeline import CollapseRun, RunConfig
from tenfold.common.errors import UserError

SMALL = dict(model="ngram", n_blocks=40, n_detector=40, n_test=12, context=12, continuation=12)


@pytest.fixture(scope="module")
def kit():
    return load_kit("ngram")


def test_cut_blocks_drops_the_remainder():
    blocks = cut_blocks(list(range(25)), 3, 2)
    assert len(blocks) == 5 and blocks[1].context == [5, 6, 7] and blocks[1].continuation == [8, 9]


def test_greedy_collapses_and_a_killed_run_resumes_identically(kit):
    cfg = RunConfig(**SMALL, generations=2)
    gens = CollapseRun(cfg, kit).run()
    assert [g.index for g in gens] == [0, 1, 2]
    # "kill" after generation 1: its stage stays, the last one is gone; the re-run rebuilds it identically
    shutil.rmtree(gens[2].stage)
    again = CollapseRun(cfg, kit).run()
    assert again[1].stage == gens[1].stage
    assert [g.metrics for g in again] == [g.metrics for g in gens]


def test_mix_with_resampling_keeps_humans(kit):
    cfg = RunConfig(
        **SMALL,
        generations=1,
        regime="mix",
        human_fraction=1.0,
        selection="importance",
        detector="oracle",
        oracle_accuracy=1.0,
    )
    g1 = CollapseRun(cfg, kit).run()[1].metrics
    assert g1["pool"] == 80 and g1["pool_human_share"] == 0.5
    assert g1["selected"] == 120 and g1["human_share"] == 1.0  # min(1, R·n_H/M) = min(1, 3·40/120)


def test_accumulate_and_loss_weighting(kit):
    acc = CollapseRun(RunConfig(**SMALL, generations=2, regime="accumulate", accumulation="full"), kit).run()
    assert acc[2].metrics["pool"] == 80 and acc[1].metrics["pool"] == 40
    off = CollapseRun(RunConfig(**SMALL, generations=2, regime="accumulate"), kit).run()
    assert off[2].metrics["pool"] == 40
    w = CollapseRun(
        RunConfig(**SMALL, generations=1, regime="mix", human_fraction=1.0, selection="weight", detector="oracle"), kit
    ).run()
    assert w[1].metrics["selected"] == 80 and w[1].metrics["human_share"] > 0.5


def test_bad_input(kit):
    with pytest.raises(UserError, match="exceed the model's context"):
        load_human(kit.tokenizer, "wikipedia", 200, 100, 4, 4, 4, max_len=256)
    with pytest.raises(UserError, match="asked"):
        load_human(kit.tokenizer, "wikipedia", 8, 8, 10**7, 4, 4)
    with pytest.raises(ValueError, match="human_fraction"):
        RunConfig(regime="replace", human_fraction=0.5)
    run = CollapseRun(RunConfig(**SMALL, generations=1, regime="mix", human_fraction=1.0, selection="importance"), kit)
    det = run.detector(*run.generation0(), 1)
    det.score = lambda *_: np.array([np.nan] * 3)
    with pytest.raises(UserError, match="NaN"):
        det.p_ai(["a", "b", "c"], [[1], [2], [3]])


def test_an_empty_corpus_split_is_a_clear_error(kit, monkeypatch):
    from tenfold.lm import corpora

    class Empty:
        def docs(self, split):
            return ["  "] if split == "val" else ["some text " * 200]

    monkeypatch.setattr(corpora, "load_corpus", lambda name: Empty())
    with pytest.raises(UserError, match="no text in its val split"):
        load_human(kit.tokenizer, "wikipedia", 4, 4, 2, 2, 2)
