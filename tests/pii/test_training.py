"""Training with the seen-examples log: the intervals' newly seen PII partition one epoch's PII exactly."""

from __future__ import annotations

from itertools import pairwise

import pytest

from tenfold.common.errors import UserError
from tenfold.pii.corpus import build_corpus
from tenfold.pii.training import TrainConfig, checkpoints, load_checkpoint, plan_of, seen_pii, train


def test_one_epoch_sees_every_record_once_and_keeps_ten_checkpoints(tmp_path):
    corpus = build_corpus(n_records=20, canaries_per_level=1, passage_words=24, max_passages=160, seed=2)
    cfg = TrainConfig(d_model=16, block_size=128, epochs=1.0, batch_size=16, checkpoints_per_epoch=10)
    work = train(corpus, cfg, tmp_path / "run", keep=True)
    kept = checkpoints(work)
    plan = plan_of(work)
    # the official rule: a checkpoint every ⌊steps per epoch / 10⌋ steps (at least 10 per epoch)
    assert plan["interval"] == plan["steps_per_epoch"] // 10 and len(kept) == plan["steps"] // plan["interval"] >= 10
    assert kept[-1][0] == plan["steps"] == cfg.steps_per_epoch(plan["blocks"])
    steps = [0] + [s for s, _ in kept]
    intervals = [seen_pii(corpus, work, a, b) for a, b in pairwise(steps)]
    assert frozenset().union(*intervals) == corpus.emails()
    # one epoch visits each example once: an email planted in one example is newly seen in exactly one interval
    single = {r.email for r in corpus.records if r.repetitions == 1}
    for email in single:
        assert sum(email in s for s in intervals) == 1
    model, tok = load_checkpoint(corpus, cfg, kept[0][1])
    assert model.config.n_embd == 16 and len(tok) > 256
    with pytest.raises(UserError, match="does not exist"):
        load_checkpoint(corpus, cfg, tmp_path / "missing.pt")
    with pytest.raises(UserError, match="no checkpoints"):
        checkpoints(tmp_path)
