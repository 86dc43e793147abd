"""Configs and presets of the DistRL reproduction."""

from __future__ import annotations

from dataclasses import dataclass, field

from tenfold.common.config import check_fields, select_preset
from tenfold.distrl.device import Latency
from tenfold.distrl.learner import LearnerConfig
from tenfold.distrl.names import METHODS
from tenfold.distrl.runtime import RunConfig, WarmStart


@dataclass(frozen=True)
class ReproConfig:
    """What ``tenfold reproduce distrl`` measures."""

    run: RunConfig = field(default_factory=RunConfig)
    """the asynchronous A-RIDE run (8 workers, 1,200 simulated seconds); every other curve changes one thing."""
    seeds: int = 2
    """seeds of the learning curves (the run's seed, +1, …)."""
    baselines: tuple[str, ...] = ("awr", "filtered-bc")
    """baseline learners, collected synchronously as published (DigiRL's filtered AWR, filtered BC)."""
    ablation_budget: float = 600.0
    """simulated seconds of each ablation run (one seed)."""
    ablation_lag: int = 10
    """injected staleness (versions) under which importance correction is ablated."""
    throughput_workers: tuple[int, ...] = (1, 2, 4, 8, 16)
    """worker counts of the collection-throughput table."""
    throughput_steps: int = 5000
    """simulated steps per worker in the throughput table."""
    fault_budget: float = 300.0
    """simulated seconds of the fault-injection run."""
    workers: int | None = None
    """processes running independent training runs (default: all cores)."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("seeds", "ablation_budget", "throughput_steps", "fault_budget", "workers"),
            non_negative=("ablation_lag",),
        )
        unknown = [b for b in self.baselines if b not in METHODS or b == "a-ride"]
        if unknown:
            raise ValueError(f"unknown baseline {unknown[0]!r}; baselines: awr, filtered-bc")
        if not self.throughput_workers or min(self.throughput_workers) < 1:
            raise ValueError("throughput_workers must be positive worker counts")


PRESETS = {
    "test": lambda: ReproConfig(
        run=RunConfig(
            workers=4,
            budget=120.0,
            eval_every=60.0,
            eval_samples=1,
            learner=LearnerConfig(features=64, hidden=32, capacity=200),
            warm=WarmStart(epochs=30),
        ),
        seeds=1,
        ablation_budget=60.0,
        throughput_workers=(1, 8),
        throughput_steps=200,
        fault_budget=60.0,
    ),
    # measured on this 2-core machine: 1,200 simulated seconds of async A-RIDE train in ~34 s, sync in ~12 s
    "quick": ReproConfig,
    "paper": lambda: ReproConfig(
        run=RunConfig(workers=16, budget=3600.0, eval_every=300.0, eval_samples=16),
        seeds=3,
        ablation_budget=1800.0,
        throughput_workers=(1, 2, 4, 8, 16, 32),
        throughput_steps=10000,
        fault_budget=900.0,
    ),
}
"""``paper``: 16 workers (the official 2 machines × 8 processes), three seeds, an hour of simulated devices."""


def repro_config(preset: str) -> ReproConfig:
    return select_preset(PRESETS, preset)


STALL_LATENCY = Latency()
"""The latency model of the throughput claim: 0.5 s + U(0, 0.2) s per step, a 5 s stall with probability 0.05."""
