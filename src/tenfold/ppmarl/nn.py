"""A small numpy MLP with hand-written backpropagation and Adam — enough for MADDPG-sized networks, and explicit
about what flows where, which the split critic needs (an agent back-propagates into its own bottom network only).

Shapes: B rows, layer sizes d_0 → d_1 → … → d_L; tanh between layers, linear output.
``forward(x)`` [B, d_0] → [B, d_L] keeps what ``backward(g)`` needs; ``backward(g)`` takes ∂L/∂out [B, d_L] and
returns ∂L/∂x [B, d_0], accumulating ∂L/∂W and ∂L/∂b in ``grads`` (tested against finite differences).
"""

from __future__ import annotations

import itertools

import numpy as np


class MLP:
    """Args:
    sizes: (d_0, …, d_L).
    rng: initialisation (uniform ±1/√fan_in, as torch's Linear).
    """

    def __init__(self, sizes: tuple[int, ...], rng: np.random.Generator):
        self.sizes = sizes
        self.params: list[np.ndarray] = []
        for fan_in, fan_out in itertools.pairwise(sizes):
            bound = 1 / np.sqrt(fan_in)
            self.params += [rng.uniform(-bound, bound, (fan_in, fan_out)), rng.uniform(-bound, bound, fan_out)]
        self.grads = [np.zeros_like(p) for p in self.params]
        self._cache: list[np.ndarray] = []

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = [x]
        n = len(self.params) // 2
        for k in range(n):
            x = x @ self.params[2 * k] + self.params[2 * k + 1]
            if k < n - 1:
                x = np.tanh(x)
            self._cache.append(x)
        return x

    __call__ = forward

    def backward(self, g: np.ndarray) -> np.ndarray:
        n = len(self.params) // 2
        for k in range(n - 1, -1, -1):
            if k < n - 1:
                g = g * (1 - self._cache[k + 1] ** 2)  # tanh'
            self.grads[2 * k] += self._cache[k].T @ g
            self.grads[2 * k + 1] += g.sum(0)
            g = g @ self.params[2 * k].T
        return g

    def zero_grad(self) -> None:
        for g in self.grads:
            g[...] = 0.0

    def copy_from(self, other: MLP, tau: float = 1.0) -> None:
        """θ ← τ θ_other + (1 − τ) θ (τ = 1: a copy; the soft target update otherwise)."""
        for p, q in zip(self.params, other.params, strict=True):
            p[...] = tau * q + (1 - tau) * p


class Adam:
    """Adam (Kingma & Ba) over a list of parameter arrays and their gradient arrays, updated in place."""

    def __init__(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float = 1e-3, clip: float | None = 1.0):
        self.params, self.grads, self.lr, self.clip = params, grads, lr, clip
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> None:
        self.t += 1
        scale = 1.0
        if self.clip is not None:
            norm = np.sqrt(sum(float((g**2).sum()) for g in self.grads))
            scale = min(1.0, self.clip / max(norm, 1e-12))
        for p, g, m, v in zip(self.params, self.grads, self.m, self.v, strict=True):
            g = g * scale
            m[...] = b1 * m + (1 - b1) * g
            v[...] = b2 * v + (1 - b2) * g**2
            p -= self.lr * (m / (1 - b1**self.t)) / (np.sqrt(v / (1 - b2**self.t)) + eps)
