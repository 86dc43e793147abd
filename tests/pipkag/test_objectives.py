"""The adaptation loss: value and gradient equal the formula, with the hinge active and inactive, per example and
in the official batch form; the margin schedule is linear from m0 to m1."""

from __future__ import annotations

import pytest
import torch

from tenfold.pipkag.objectives import margin, pip_kag_loss


def test_margin_rises_linearly():
    assert [margin(t, 4) for t in range(5)] == [1.0, 1.5, 2.0, 2.5, 3.0]
    assert margin(10, 4) == 3.0


def test_per_example_value_and_gradient():
    ctx = torch.tensor([2.0, 1.0], requires_grad=True)
    noctx = torch.tensor([2.5, 5.0], requires_grad=True)
    loss = pip_kag_loss(ctx, noctx, m=1.0)
    # example 0: hinge 2 − 2.5 + 1 = 0.5 (active); example 1: 1 − 5 + 1 < 0 (inactive)
    assert loss.item() == pytest.approx(((0.5 * 0.5 + 0.5 * 2.0) + (0 + 0.5 * 1.0)) / 2)
    loss.backward()
    torch.testing.assert_close(ctx.grad, torch.tensor([(0.5 + 0.5) / 2, 0.5 / 2]))
    torch.testing.assert_close(noctx.grad, torch.tensor([-0.5 / 2, 0.0]))  # the hinge pushes L_noctx up


def test_official_batch_form_multiplies_the_margin_by_the_batch():
    ctx = torch.tensor([2.0, 1.0], requires_grad=True)
    noctx = torch.tensor([2.5, 5.0], requires_grad=True)
    loss = pip_kag_loss(ctx, noctx, m=1.0, granularity="official")
    # mean ctx 1.5, mean noctx 3.75, margin 1 · B = 2: hinge 1.5 − 3.75 + 2 < 0 → only 0.5 · 1.5
    assert loss.item() == pytest.approx(0.75)
    loss.backward()
    torch.testing.assert_close(ctx.grad, torch.tensor([0.25, 0.25]))
    torch.testing.assert_close(noctx.grad, torch.zeros(2))
    active = pip_kag_loss(torch.tensor([2.0, 1.0]), torch.tensor([2.5, 2.0]), m=1.0, granularity="official")
    assert active.item() == pytest.approx(0.5 * (1.5 - 2.25 + 2) + 0.5 * 1.5)
    with pytest.raises(ValueError, match="granularity"):
        pip_kag_loss(ctx, noctx, 1.0, granularity="batch")
