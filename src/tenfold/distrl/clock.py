"""Collection throughput on a simulated clock: synchronous (every step waits for the slowest worker) against
asynchronous (each worker streams at its own pace), with the analytic ratio of the latency model.

Glossary: W workers; L a step's latency (:class:`~tenfold.distrl.device.Latency`: b + U(0, j) + s·Bernoulli(p),
s ≥ j); R steps per worker.

* synchronous  a round of W steps takes max_w L_w: rate_sync = W / E[max_W L];
* asynchronous worker w finishes its R steps at Σ_r L_{r,w}: rate_async → W / E[L];
* the ratio    E[max_W L] / E[L], where, with F the CDF of L (piecewise linear),

  E[max_W L] = ∫ (1 − F^W) = b + j − j(1−p)^W/(W+1) + (s − j)(1 − (1−p)^W) + j − j(1 − (1−p)^{W+1}) / (p(W+1)),

  which is b + j/2 + p·s (= E[L]) at W = 1.

:func:`simulate` is an event-driven clock over seeded latencies (a heap of workers' next completion times); its
totals equal the closed forms Σ_r max_w L_{r,w} (sync) and max_w Σ_r L_{r,w} (async) over the same draws.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass

from tenfold.distrl.device import Latency


def expected_max(lat: Latency, workers: int) -> float:
    """E[max of ``workers`` independent step latencies] (closed form above; needs stall ≥ jitter, stall_p > 0)."""
    b, j, p, s, w = lat.base, lat.jitter, lat.stall_p, lat.stall, workers
    if s < j or not 0 < p <= 1 or workers < 1:
        raise ValueError("the closed form needs stall >= jitter, 0 < stall_p <= 1 and at least one worker")
    q = 1 - p
    return b + (j - j * q**w / (w + 1)) + (s - j) * (1 - q**w) + (j - j * (1 - q ** (w + 1)) / (p * (w + 1)))


def analytic_ratio(lat: Latency, workers: int) -> float:
    """Asynchronous over synchronous collection rate, E[max_W L] / E[L]."""
    return expected_max(lat, workers) / lat.mean


@dataclass(frozen=True)
class Collection:
    mode: str
    workers: int
    transitions: int
    seconds: float
    """virtual seconds until the last transition arrived."""

    @property
    def rate(self) -> float:
        return self.transitions / self.seconds


def draws(lat: Latency, workers: int, rounds: int, seed: int) -> list[list[float]]:
    """[rounds][workers] seeded step latencies (the same draws feed both modes)."""
    rng = random.Random(seed)
    return [[lat.sample(rng) for _ in range(workers)] for _ in range(rounds)]


def simulate(latencies: list[list[float]], mode: str) -> Collection:
    """Event-driven collection of the given latencies: ``sync`` or ``async``."""
    rounds, workers = len(latencies), len(latencies[0])
    if mode == "sync":
        clock = 0.0
        for row in latencies:  # every worker starts the round together; the round ends with the slowest
            events = [clock + dt for dt in row]
            clock = max(events)
        return Collection(mode, workers, rounds * workers, clock)
    if mode != "async":
        raise ValueError(f"mode must be sync or async, got {mode!r}")
    heap = [(latencies[0][w], w, 0) for w in range(workers)]  # (arrival time, worker, step)
    heapq.heapify(heap)
    last, done = 0.0, 0
    while heap:
        t, w, r = heapq.heappop(heap)
        last, done = max(last, t), done + 1
        if r + 1 < rounds:
            heapq.heappush(heap, (t + latencies[r + 1][w], w, r + 1))
    return Collection(mode, workers, done, last)
