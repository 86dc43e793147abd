"""Configs and presets of the PP-MARL reproduction."""

from __future__ import annotations

from dataclasses import dataclass, field

from tenfold.common.config import check_fields, select_preset
from tenfold.ppmarl.maddpg import TrainConfig
from tenfold.ppmarl.methods import MethodConfig
from tenfold.ppmarl.names import ENVS, METHODS


@dataclass(frozen=True)
class ReproConfig:
    """What ``tenfold reproduce ppmarl`` measures."""

    run: MethodConfig = field(default_factory=MethodConfig)
    """every method's run (its ``method`` and ``env`` are set per job): MADDPG settings, h, C, σ, δ, the sampled
    cryptography."""
    envs: tuple[str, ...] = ("drone",)
    """environments of the methods table (``edge`` joins at the paper preset)."""
    methods: tuple[str, ...] = METHODS
    """the methods compared (all six by default)."""
    seeds: int = 2
    """training seeds per method (the run's seed, +1, …)."""
    bandwidth_reps: tuple[int, ...] = (2, 4, 5)
    """representation sizes of the bandwidth sweep (batch 1024)."""
    bandwidth_batches: tuple[int, ...] = (256, 1024)
    """batches of the bandwidth sweep (representation size 4)."""
    determinism_episodes: int = 20
    """episodes of the two identical PP-MARL runs (HE off) of the determinism check."""
    workers: int | None = None
    """processes running the training jobs (default: all cores)."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("seeds", "bandwidth_reps", "bandwidth_batches", "determinism_episodes"),
            choices={"envs": ENVS, "methods": METHODS},
        )
        check_fields(self, positive=("workers",))
        if "drone" not in self.envs:
            raise ValueError("envs must include drone (the claims are judged there)")
        missing = {"plain", "pp-marl"} - set(self.methods)
        if missing:
            raise ValueError(f"methods must include plain and pp-marl (normalisation), missing {sorted(missing)}")


PRESETS = {
    "test": lambda: ReproConfig(
        run=MethodConfig(
            train=TrainConfig(episodes=24, warmup=100, batch=64, updates=2, hidden=16),
            he_every=20,
            eval_episodes=4,
            attack_samples=400,
            paillier_bits=512,
        ),
        methods=("plain", "he-raw", "split", "pp-marl"),
        seeds=1,
        bandwidth_reps=(4,),
        bandwidth_batches=(1024,),
        determinism_episodes=6,
    ),
    # measured on this 2-core machine: one PP-MARL run ~30 s, plain ~15 s; 12 jobs in a pool of 2
    "quick": ReproConfig,
    "paper": lambda: ReproConfig(
        run=MethodConfig(train=TrainConfig(episodes=2000, batch=1024, replay=100_000, hidden=64), eval_episodes=500),
        envs=("drone", "edge"),
        seeds=5,
        bandwidth_reps=(1, 2, 4, 5, 8),
        bandwidth_batches=(256, 512, 1024, 2048),
    ),
}
"""``paper``: both use cases, five seeds, the design note's batch of 1024 and replay of 10^5 (the paper's own
hyper-parameters are not available)."""


def repro_config(preset: str) -> ReproConfig:
    return select_preset(PRESETS, preset)
