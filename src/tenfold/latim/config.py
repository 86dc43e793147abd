"""Typed configs of the LaTIM reproduction and its presets (``test`` seconds, ``quick`` minutes, ``paper``)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tenfold.common.config import check_fields, select_preset
from tenfold.latim.methods import ARCHS, METHODS, SUITES
from tenfold.latim.tasks import TaskSpec
from tenfold.latim.train import ModelConfig, TaskTrainConfig
from tenfold.lm.trainer import OptimConfig


def _optim(steps: int) -> OptimConfig:
    return OptimConfig(
        steps=steps, batch_size=64, lr=5e-3, warmup_steps=30, weight_decay=0.0, eval_every=200, ckpt_every=200
    )


@dataclass(frozen=True)
class Suite:
    """One evaluation suite: a task, how its models are trained, and what is measured."""

    name: str
    task: TaskSpec
    steps: dict[str, int]
    """training steps per architecture."""
    mimetic: bool = True
    """mimetic initialisation of its models."""
    n_seeds: int | None = None
    """models per architecture (None: the reproduction's ``n_seeds``); fewer for a suite that is only measured."""

    def __post_init__(self) -> None:
        check_fields(self, positive=("n_seeds",), choices={"name": SUITES})

    def train_config(self, arch: str, seed: int, model: ModelConfig) -> TaskTrainConfig:
        return TaskTrainConfig(
            task=self.task,
            model=replace(model, family=arch, mimetic=self.mimetic),
            optim=replace(_optim(self.steps[arch]), seed=seed),
        )


def default_suites(scale: float = 1.0, measured_seeds: int | None = None) -> tuple[Suite, ...]:
    """The four suites of the reproduction, ``scale`` × the quick preset's training steps; ``measured_seeds`` limits
    the models of the suite whose claim is measured, not judged (recall)."""

    def s(m1: int, m2: int) -> dict[str, int]:
        return {"mamba": max(1, int(m1 * scale)), "mamba2": max(1, int(m2 * scale))}

    return (
        # 800 / 1,200 steps: 97.5 % / 99.1 % copy accuracy (Mamba-1 / Mamba-2, mean of seeds 0 and 1)
        Suite("copy", TaskSpec("copy", symbols=16, min_len=4, max_len=12), s(800, 1200)),
        # the negative control: a fixed length lets a model copy by position; without mimetic initialisation it does
        Suite(
            "copy-fixed",
            TaskSpec("copy", symbols=16, min_len=10, max_len=10),
            s(800, 800),
            mimetic=False,
        ),
        Suite(
            "recall",
            TaskSpec("recall", symbols=16, min_len=2, max_len=6, queries=4),
            s(800, 800),
            n_seeds=measured_seeds,
        ),
        Suite("translate", TaskSpec("translate", symbols=16, min_len=4, max_len=10), s(800, 800)),
    )


def retrieve_suite(scale: float = 1.0) -> Suite:
    """Needle retrieval (explained from the last row only); in the paper preset (and, tiny, the test preset)."""
    steps = max(1, int(2000 * scale))
    return Suite("retrieve", TaskSpec("retrieve", symbols=16, min_len=8, max_len=40), {"mamba": steps, "mamba2": steps})


@dataclass(frozen=True)
class ReproConfig:
    """What ``tenfold reproduce latim`` runs."""

    suites: tuple[Suite, ...] = field(default_factory=default_suites)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(d_model=32))
    """the tiny models' shape (architecture and initialisation are set per suite)."""
    archs: tuple[str, ...] = ARCHS
    """architectures: mamba (Mamba-1) and mamba2."""
    n_seeds: int = 2
    """models per suite and architecture: seeds ``seed, seed + 1, ...`` of the reproduction run."""
    methods: tuple[str, ...] = METHODS
    """attribution methods scored on every suite."""
    test_examples: int = 200
    """test strings per suite."""
    faith_examples: int = 30
    """examples of the faithfulness measurement (one forward per source token each), on the copy suite."""
    workers: int | None = None
    """processes (default: all cores)."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("n_seeds", "test_examples", "faith_examples", "workers"),
            choices={"archs": ARCHS, "methods": METHODS},
        )

    def seeds(self, seed: int) -> tuple[int, ...]:
        """The model seeds of a reproduction run with ``seed``."""
        return tuple(range(seed, seed + self.n_seeds))


PRESETS = {
    "test": lambda: ReproConfig(
        suites=(*default_suites(scale=0.04), retrieve_suite(scale=0.02)),
        model=ModelConfig(d_model=16, n_layer=2, d_state=4, head_dim=8),
        n_seeds=1,
        test_examples=12,
        faith_examples=3,
    ),
    "quick": lambda: ReproConfig(suites=default_suites(measured_seeds=1)),
    "paper": lambda: ReproConfig(
        suites=(*default_suites(scale=2.5), retrieve_suite()),
        model=ModelConfig(d_model=64, n_layer=2),
        n_seeds=3,
        test_examples=1000,
        faith_examples=100,
    ),
}


def repro_config(preset: str) -> ReproConfig:
    return select_preset(PRESETS, preset)
