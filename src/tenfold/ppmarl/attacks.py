"""Reconstruction attacks on exactly what a curious party received (:mod:`.methods` defines each method's view):
a ridge regression and a small MLP trained to map the view to the victim's private observation features.

The attacker is given labelled pairs — a share ``train_share`` of (view, private features) from the run itself, an
upper bound on what auxiliary data could teach it — and is scored on the rest: normalised error = MSE / variance of
the target, per feature, averaged. The no-information attacker predicts the training mean (≈ 1.0); 0 is a perfect
reconstruction.
"""

from __future__ import annotations

import numpy as np

from tenfold.ppmarl.nn import MLP, Adam


def _split(views: np.ndarray, targets: np.ndarray, train_share: float, seed: int):
    idx = np.random.default_rng(seed).permutation(len(views))
    cut = int(train_share * len(views))
    return views[idx[:cut]], targets[idx[:cut]], views[idx[cut:]], targets[idx[cut:]]


def normalised_error(pred: np.ndarray, target: np.ndarray) -> float:
    var = target.var(0)
    keep = var > 1e-12
    return float((((pred - target) ** 2).mean(0)[keep] / var[keep]).mean())


def attack(
    views: np.ndarray,
    targets: np.ndarray,
    train_share: float = 0.7,
    seed: int = 0,
    ridge: float = 1e-3,
    mlp_steps: int = 300,
) -> dict[str, float]:
    """Normalised reconstruction errors of the no-information, ridge and MLP attackers (lower = more leakage)."""
    xtr, ytr, xte, yte = _split(views, targets, train_share, seed)
    out = {"none": normalised_error(np.broadcast_to(ytr.mean(0), yte.shape), yte)}
    mu, sd = xtr.mean(0), xtr.std(0) + 1e-8
    a, b = (xtr - mu) / sd, (xte - mu) / sd
    a1, b1 = np.hstack([a, np.ones((len(a), 1))]), np.hstack([b, np.ones((len(b), 1))])
    w = np.linalg.solve(a1.T @ a1 + ridge * len(a1) * np.eye(a1.shape[1]), a1.T @ ytr)
    out["ridge"] = normalised_error(b1 @ w, yte)
    rng = np.random.default_rng(seed)
    net = MLP((a.shape[1], 64, ytr.shape[1]), rng)
    opt = Adam(net.params, net.grads, lr=3e-3, clip=None)
    ym, ys = ytr.mean(0), ytr.std(0) + 1e-8
    for _ in range(mlp_steps):
        batch = rng.integers(0, len(a), size=min(256, len(a)))
        net.zero_grad()
        err = net(a[batch]) - (ytr[batch] - ym) / ys
        net.backward(2 * err / err.size)
        opt.step()
    out["mlp"] = normalised_error(net(b) * ys + ym, yte)
    out["best"] = min(out["ridge"], out["mlp"])
    return out
