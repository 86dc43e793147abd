"""The block trainer: the masked, weighted loss equals a hand computation; weight 0 removes an example exactly; the
seen-examples log is the epoch permutation; a caller's optimizer is used; kill -9 + resume is bit-identical."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from tenfold.common.errors import UserError
from tenfold.lm.blocks import (
    Blocks,
    BlockTrainer,
    epoch_permutation,
    masked_token_losses,
    step_examples,
    weighted_loss,
)
from tenfold.lm.trainer import OptimConfig
from tenfold.lm.zoo import ModelSpec, build_model

CFG = OptimConfig(steps=10, batch_size=3, warmup_steps=2, eval_every=5, ckpt_every=2, keep_checkpoints=1)


def _model(seed: int = 0):
    return build_model(ModelSpec("gpt2", d_model=32, n_layer=1, n_head=2, max_len=32, dropout=0.0), 40, 0, seed=seed)


def _blocks(weights=None) -> Blocks:
    prompts = [[1, 2, 3], [4, 5], [6], [7, 8, 9, 10], [11, 12], [13, 14, 15]]
    conts = [[20, 21], [22, 23, 24], [25, 26], [27], [28, 29, 30, 31], [32]]
    return Blocks.from_pairs(prompts, conts, block_size=6, pad_id=0, weights=weights)


def test_blocks_put_the_loss_on_the_continuation_only():
    b = _blocks()
    assert b.ids[0].tolist() == [1, 2, 3, 20, 21, 0]
    assert b.loss_mask[0].tolist() == [False, False, False, True, True, False]
    assert b.loss_mask[2].tolist() == [False, True, True, False, False, False]  # prompt [6]: targets 25, 26
    assert b.lengths.tolist() == [5, 5, 3, 5, 6, 4]  # [11, 12] + 4 tokens fill the block
    seq = Blocks.from_sequences([[5, 6, 7], [8, 9]], block_size=4)
    assert seq.loss_mask.tolist() == [[False, True, True, False], [False, True, False, False]]
    with pytest.raises(UserError, match="weights"):
        _blocks(weights=[1, 1, 1, -1, 1, 1])


def test_the_masked_weighted_loss_equals_a_hand_computation():
    model, b = _model().eval(), _blocks(weights=[1.0, 0.5, 2.0, 1.0, 0.0, 3.0])
    index = torch.tensor([0, 1, 2])
    loss = weighted_loss(*masked_token_losses(model, b, index))
    # by hand: −log p of each continuation token from a forward of its own unpadded sequence
    num = den = 0.0
    for i, w in zip([0, 1, 2], [1.0, 0.5, 2.0], strict=True):
        seq = b.ids[i, : b.lengths[i]]
        logp = torch.log_softmax(model(input_ids=seq[None, :-1]).logits[0].float(), -1)
        for t in range(1, len(seq)):
            if b.loss_mask[i, t]:
                num += w * -logp[t - 1, seq[t]].item()
                den += w
    assert abs(loss.item() - num / den) < 1e-5
    # equal weights are the unweighted mean over target tokens
    nll, mask, _ = masked_token_losses(model, b, index)
    torch.testing.assert_close(weighted_loss(nll, mask, torch.full((3,), 7.0)), (nll * mask).sum() / mask.sum())


def test_weight_zero_removes_an_example_from_the_gradient():
    index = torch.tensor([3, 4, 5])

    def grads(blocks):
        model = _model()
        weighted_loss(*masked_token_losses(model, blocks, index)).backward()
        return [p.grad.clone() for p in model.parameters()]

    base = grads(_blocks(weights=[1, 1, 1, 1, 0, 1]))
    other = _blocks(weights=[1, 1, 1, 1, 0, 1])
    other.ids[4] = torch.tensor([3, 3, 3, 3, 3, 3])  # example 4's content changes: its weight is 0
    for a, b in zip(base, grads(other), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-7)
    # and it equals the gradient of the batch without it
    model = _model()
    weighted_loss(*masked_token_losses(model, _blocks(), torch.tensor([3, 5]))).backward()
    for a, p in zip(base, model.parameters(), strict=True):
        torch.testing.assert_close(a, p.grad, rtol=1e-5, atol=1e-7)


def test_the_seen_log_is_the_epoch_permutation_and_a_custom_optimizer_is_used(tmp_path):
    steps_taken = []

    class CountingSGD(torch.optim.SGD):
        def step(self, closure=None):
            steps_taken.append(1)
            return super().step(closure)

    trainer = BlockTrainer(
        _model(),
        _blocks(),
        CFG,
        tmp_path,
        val=_blocks(),
        optimizer=lambda m: CountingSGD(m.parameters(), lr=0.1),
        keep_every=4,
    )
    out = trainer.train()
    assert len(steps_taken) == CFG.steps and out["step"] == CFG.steps and "eval/loss" in out
    seen = [r["examples"] for r in trainer.seen()]
    assert [r["step"] for r in trainer.seen()] == list(range(1, CFG.steps + 1))
    flat = [i for batch in seen for i in batch]  # 10 steps × 3 = 30 = 5 epochs of 6
    for epoch in range(5):
        assert flat[6 * epoch : 6 * epoch + 6] == epoch_permutation(CFG.seed, epoch, 6).tolist()
    assert sorted(flat[:6]) == list(range(6))
    assert seen[1] == step_examples(CFG.seed, 1, 3, 6).tolist()
    # keep_every=4 keeps steps 4 and 8 besides the newest (keep_checkpoints=1)
    assert [p.name for p in trainer.checkpoints()] == ["step_0000004.pt", "step_0000008.pt", "step_0000010.pt"]


KILLED_STEPS = 16

SCRIPT = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {tests!r})
    from dataclasses import replace
    from lm.test_blocks import CFG, KILLED_STEPS, _blocks, _model
    from tenfold.lm.blocks import BlockTrainer
    trainer = BlockTrainer(_model(), _blocks(), replace(CFG, steps=KILLED_STEPS), sys.argv[1])
    trainer.train(on_step=lambda s, l: time.sleep(0.3))  # slow enough to be killed mid-run
    """
)


def test_kill_9_then_resume_gives_bit_identical_weights(tmp_path):
    from dataclasses import replace

    cfg = replace(CFG, steps=KILLED_STEPS)
    script = tmp_path / "train.py"
    script.write_text(SCRIPT.format(tests=os.path.dirname(os.path.dirname(__file__))))
    victim = subprocess.Popen([sys.executable, str(script), str(tmp_path / "killed")], stderr=subprocess.DEVNULL)
    full = BlockTrainer(_model(), _blocks(), cfg, tmp_path / "full")
    full.train()
    ckpt = tmp_path / "killed" / "checkpoints" / "step_0000006.pt"
    deadline = time.time() + 60
    while not ckpt.exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.4)  # a step or so past the checkpoint, so that seen rows after it must be dropped on resume
    victim.send_signal(signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL and ckpt.exists()
    resumed = BlockTrainer(_model(seed=1), _blocks(), cfg, tmp_path / "killed")  # other initial weights: all restored
    assert resumed.resume() and 6 <= resumed.step < KILLED_STEPS
    resumed.train()
    a, b = full.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed.seen() == full.seen()
