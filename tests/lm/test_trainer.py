from __future__ import annotations

import itertools
import math

import pytest
import torch

from tenfold.common.errors import UserError
from tenfold.lm.trainer import OptimConfig, StreamTrainer, eval_windows, lr_factor
from tenfold.lm.zoo import ModelSpec, build_model

CFG = OptimConfig(steps=12, batch_size=4, block_size=16, warmup_steps=3, eval_every=4, eval_windows=4, ckpt_every=4)


def _stream(n=2000, vocab=50, seed=0):
    # A learnable stream: a noisy repeating pattern.
    g = torch.Generator().manual_seed(seed)
    base = torch.arange(n) % 7 + 1
    return torch.where(torch.rand(n, generator=g) < 0.1, torch.randint(0, vocab, (n,), generator=g), base)


def _trainer(tmp_path, cfg=CFG, family="gpt2"):
    spec = ModelSpec(family, d_model=32, n_layer=1, n_head=2, max_len=64)
    model = build_model(spec, 50, 0, seed=cfg.seed)
    return StreamTrainer(model, _stream(), _stream(400, seed=1), cfg, tmp_path)


def test_lr_schedule_warms_up_then_decays_to_floor():
    factors = [lr_factor(s, CFG) for s in range(CFG.steps)]
    assert factors[:3] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert factors[3] == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(factors[3:]))
    assert lr_factor(CFG.steps, CFG) == pytest.approx(CFG.min_lr_ratio)


def test_batches_are_a_function_of_seed_and_step(tmp_path):
    t = _trainer(tmp_path)
    assert torch.equal(t.batch(5), t.batch(5)) and not torch.equal(t.batch(5), t.batch(6))
    assert t.batch(0).shape == (4, 17)


def test_eval_windows_cover_the_stream():
    ids = torch.arange(50)
    w = eval_windows(ids, 16)
    assert w.shape == (3, 17) and torch.equal(w[1], torch.arange(16, 33))
    assert eval_windows(ids, 4, limit=3).shape == (3, 5)
    with pytest.raises(UserError, match="fewer than one window"):
        eval_windows(torch.arange(5), 16)


def test_training_lowers_loss_and_logs(tmp_path):
    t = _trainer(tmp_path, OptimConfig(**{**CFG.__dict__, "steps": 40, "lr": 1e-2}))
    final = t.train()
    rows = t.run.metrics()
    assert [r["step"] for r in rows] == list(range(1, 41))
    assert final["eval/ppl"] == pytest.approx(math.exp(final["eval/loss"]))
    assert final["eval/ppl"] < 50  # below the uniform perplexity of the 50-token vocabulary
    assert rows[-1]["train/loss"] < rows[0]["train/loss"]
    assert len(t.checkpoints()) == CFG.keep_checkpoints


@pytest.mark.parametrize("family", ["gpt2", "mamba"])
def test_resume_after_interruption_gives_identical_weights(tmp_path, family):
    full = _trainer(tmp_path / "full", family=family)
    full.train()
    part = _trainer(tmp_path / "part", family=family)
    part.train(stop_at=6)  # pauses with checkpoints at steps 4 and 6
    assert [p.name for p in part.checkpoints()] == ["step_0000004.pt", "step_0000006.pt"]
    part.checkpoints()[-1].unlink()  # as if killed after step 6 before its checkpoint: steps 5-6 must be redone
    resumed = _trainer(tmp_path / "part", family=family)  # a fresh process: nothing in memory
    resumed.train()
    a, b = full.model.state_dict(), resumed.model.state_dict()
    assert max((a[k] - b[k]).abs().max().item() for k in a) == 0.0

    def untimed(rows):
        return [{k: v for k, v in r.items() if k != "train/tokens_per_s"} for r in rows]

    # the metrics log of the resumed run is that of the uninterrupted one (steps after the checkpoint re-logged once)
    assert untimed(resumed.run.metrics()) == untimed(full.run.metrics())


def test_corrupt_checkpoint_is_a_user_error(tmp_path):
    t = _trainer(tmp_path)
    t.ckpt_dir.mkdir(parents=True)
    (t.ckpt_dir / "step_0000004.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(UserError, match=r"corrupt checkpoint .*step_0000004\.pt"):
        t.train()


def test_config_validation():
    with pytest.raises(ValueError, match="steps must be > 0, got 0"):
        OptimConfig(steps=0)
    with pytest.raises(ValueError, match="lr must be > 0"):
        OptimConfig(lr=-1.0)
    with pytest.raises(ValueError, match=r"beta2 must be in \[0, 1\]"):
        OptimConfig(beta2=1.5)
