"""Aggregation without a key holder: pairwise additive masks (Bonawitz et al. 2017, SecAgg, without its double
masking), exact in fixed point, and Paillier (``phe``) as a slow exact reference for CKKS.

Pairwise masks: agents i < j share a seed s_ij (key agreement in the real protocol; dealt by the setup here). Agent
i sends y_i = enc(x_i) + Σ_{j>i} PRG(s_ij) − Σ_{j<i} PRG(s_ji) (mod 2^64, enc = round(x·2^frac)); every mask appears
once with each sign, so Σ_i y_i = Σ_i enc(x_i) and the server learns the sum and nothing else. A dropped agent's
masks do not cancel: the survivors reveal their seeds with it and the server removes them (the dropped agent sent
nothing, so its seeds expose no input) — the documented dropout policy.
"""

from __future__ import annotations

import numpy as np

from tenfold.common.errors import UserError

FRAC_BITS = 24
"""fixed-point fraction bits: values are exact to 2^-24 ≈ 6e-8, sums of |x| < 2^39 do not wrap."""


def _prg(seed: int, n: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**64, size=n, dtype=np.uint64)


def encode(x: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(x, dtype=np.float64).ravel() * 2**FRAC_BITS).astype(np.int64).view(np.uint64)


def decode(y: np.ndarray) -> np.ndarray:
    return y.view(np.int64).astype(np.float64) / 2**FRAC_BITS


class PairwiseMasking:
    """The masks of ``agents`` parties (seeds dealt from ``seed``)."""

    def __init__(self, agents: int, seed: int = 0):
        if agents < 2:
            raise UserError(f"secure aggregation needs at least 2 agents, got {agents}")
        rng = np.random.default_rng(seed)
        self.n = agents
        self.seeds = {(i, j): int(rng.integers(2**63)) for i in range(agents) for j in range(i + 1, agents)}

    def mask(self, agent: int, x: np.ndarray, round_: int = 0) -> bytes:
        """Agent ``agent``'s masked message for its vector ``x`` in round ``round_`` (fresh masks every round)."""
        y = encode(x)
        with np.errstate(over="ignore"):
            for (i, j), s in self.seeds.items():
                if agent in (i, j):
                    m = _prg(s + round_, y.size)
                    y = y + m if agent == i else y - m
        return y.tobytes()

    def aggregate(self, messages: dict[int, bytes], round_: int = 0) -> np.ndarray:
        """The sum of the inputs of the agents in ``messages``; the masks of agents that dropped out are removed with
        the seeds the survivors reveal."""
        if not messages:
            raise UserError("nothing to aggregate: every agent dropped out")
        strangers = sorted(set(messages) - set(range(self.n)))
        if strangers:
            raise UserError(f"messages from agents {strangers}, but the masks were dealt to {self.n} agents")
        arrays = [np.frombuffer(b, dtype=np.uint64) for b in messages.values()]
        if len({a.size for a in arrays}) != 1:
            raise UserError("masked messages differ in length")
        total = np.zeros(arrays[0].size, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for a in arrays:
                total = total + a
            for (i, j), s in self.seeds.items():  # seeds between a survivor and a dropped agent are revealed
                if (i in messages) != (j in messages):
                    m = _prg(s + round_, total.size)
                    total = total - m if i in messages else total + m
        return decode(total)


class PaillierAggregator:
    """Paillier (``phe``): one ciphertext per value, exact additions, the server holds only the public key."""

    def __init__(self, key_bits: int = 2048):
        from phe import paillier

        self.public, self._private = paillier.generate_paillier_keypair(n_length=key_bits)

    def encrypt(self, x: np.ndarray) -> list:
        return [self.public.encrypt(float(v)) for v in np.asarray(x, dtype=np.float64).ravel()]

    @staticmethod
    def nbytes(ciphertexts: list) -> int:
        """Serialised size: each ciphertext is an integer below n²."""
        return sum((c.ciphertext(be_secure=False).bit_length() + 7) // 8 for c in ciphertexts)

    @staticmethod
    def aggregate(per_agent: list[list]) -> list:
        return [sum(vals[1:], vals[0]) for vals in zip(*per_agent, strict=True)]

    def decrypt(self, ciphertexts: list) -> np.ndarray:
        return np.array([self._private.decrypt(c) for c in ciphertexts])
