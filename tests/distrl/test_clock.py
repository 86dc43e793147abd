"""Simulated-clock throughput: the closed form of E[max] against Monte Carlo, the clock against closed-form totals,
and async vs sync at 8 workers under the stall model (issue 21: within 10 % of the analytic ratio, ≥ 2×)."""

from __future__ import annotations

import random

import pytest

from tenfold.distrl.clock import analytic_ratio, draws, expected_max, simulate
from tenfold.distrl.device import Latency

STALLS = Latency(base=0.5, jitter=0.2, stall_p=0.05, stall=5.0)


def test_expected_max_closed_form():
    assert expected_max(STALLS, 1) == pytest.approx(STALLS.mean, abs=1e-12)
    rng = random.Random(0)
    mc = sum(max(STALLS.sample(rng) for _ in range(8)) for _ in range(100_000)) / 100_000
    assert mc == pytest.approx(expected_max(STALLS, 8), rel=0.01)


def test_clock_totals_equal_the_closed_forms():
    lat = draws(STALLS, 8, 50, seed=1)
    sync, asyn = simulate(lat, "sync"), simulate(lat, "async")
    total_sync = 0.0
    for row in lat:
        total_sync = max(total_sync + dt for dt in row)
    assert sync.seconds == total_sync
    per_worker = []
    for w in range(8):
        t = 0.0
        for row in lat:
            t += row[w]
        per_worker.append(t)
    assert asyn.seconds == max(per_worker) and asyn.transitions == sync.transitions == 400


def test_async_beats_sync_by_the_analytic_ratio():
    lat = draws(STALLS, 8, 5_000, seed=2)
    measured = simulate(lat, "async").rate / simulate(lat, "sync").rate
    expected = analytic_ratio(STALLS, 8)
    assert abs(measured / expected - 1) < 0.10 and measured >= 2.0
