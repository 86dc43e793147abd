"""Configs and presets of the collapse reproduction."""

from __future__ import annotations

from dataclasses import dataclass, field

from tenfold.collapse.decoding import STRATEGIES
from tenfold.collapse.pipeline import RunConfig
from tenfold.common.config import check_fields, select_preset


@dataclass(frozen=True)
class ReproConfig:
    """What ``tenfold reproduce collapse`` measures."""

    run: RunConfig = field(default_factory=RunConfig)
    """the recursive-training settings every run starts from (model, data, training, generations)."""
    strategies: tuple[str, ...] = ("greedy", "beam", "sampling", "nucleus")
    """decoding strategies of the collapse experiment (replace regime)."""
    prevention_decoding: str = "greedy"
    """decoding of the 50 % unknown-origin mix (the paper's fastest-collapsing strategy)."""
    mix_human_fraction: float = 1.0
    """human blocks of the prevention mix as a fraction of N (1.0 with N synthetic: the 50 % mix)."""
    small_human_fraction: float = 0.25
    """human blocks of the short low-human run (0.25 with N synthetic: 20 % of the pool)."""
    frozen_detector: bool = True
    """also run the mix with the official frozen detector (besides the detector refitted each generation)."""
    twenty_percent: bool = True
    """the short run at 20 % human data (one generation)."""
    control_steps: tuple[float, ...] = (1.0, 1.5)
    """compute-matched human-only controls: these multiples of the resampled run's steps per generation."""
    workers: int | None = None
    """processes for the runs (default: all cores)."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("workers", "mix_human_fraction", "small_human_fraction"),
            choices={"prevention_decoding": tuple(STRATEGIES)},
        )
        unknown = [s for s in self.strategies if s not in STRATEGIES]
        if unknown:
            raise ValueError(f"unknown strategy {unknown[0]!r}; known: {', '.join(STRATEGIES)}")
        if any(m <= 0 for m in self.control_steps):
            raise ValueError("control_steps must be positive multiples")


PRESETS = {
    "test": lambda: ReproConfig(
        run=RunConfig(model="ngram", n_blocks=48, n_detector=60, n_test=16, context=16, continuation=16, generations=2),
        strategies=("greedy", "sampling"),
        control_steps=(1.0,),
    ),
    "quick": ReproConfig,
    "paper": lambda: ReproConfig(
        run=RunConfig(
            model="smollm2",
            context=64,
            continuation=64,
            n_blocks=128,
            n_detector=100,
            n_test=32,
            generations=3,
            lr=5e-5,
            batch_size=8,
        ),
        strategies=tuple(STRATEGIES),
    ),
}


def repro_config(preset: str) -> ReproConfig:
    return select_preset(PRESETS, preset)
