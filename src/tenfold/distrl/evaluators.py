"""Who decides success: the task's programmatic check, a noisy and slow judge (how an LLM evaluator such as the
paper's Gemini-1.5-pro behaves: it errs both ways and takes seconds per call), or any function a user supplies.

An evaluator is called once per episode, when the agent says ``complete``, as ``evaluator(task, state, rng)`` and
returns ``(success, seconds)``: the verdict the reward is made of and how long it took (added to the step's
latency). The environment also reports the true check (``info["success"]``), which held-out evaluation uses.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from tenfold.common.config import check_fields
from tenfold.distrl.device import DeviceState, Task

Evaluator = Callable[[Task, DeviceState, random.Random], tuple[bool, float]]
EVALUATORS = ("programmatic", "noisy")


@dataclass(frozen=True)
class EvaluatorConfig:
    """A built-in evaluator (picklable, so that process and Ray workers build their own)."""

    kind: str = "programmatic"
    """``programmatic`` (the task's check) or ``noisy`` (the check, flipped at the rates below, after a delay)."""
    false_positive: float = 0.0
    """noisy: probability of judging a failed episode a success."""
    false_negative: float = 0.0
    """noisy: probability of judging a successful episode a failure."""
    delay: float = 0.0
    """noisy: mean seconds a verdict takes (uniform on [0.5, 1.5] × delay)."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            fractions=("false_positive", "false_negative"),
            non_negative=("delay",),
            choices={"kind": EVALUATORS},
        )

    def __call__(self, task: Task, state: DeviceState, rng: random.Random) -> tuple[bool, float]:
        truth = task.check(state)
        if self.kind == "programmatic":
            return truth, 0.0
        flip = rng.random() < (self.false_negative if truth else self.false_positive)
        seconds = self.delay * rng.uniform(0.5, 1.5) if self.delay else 0.0
        return truth != flip, seconds


def user_evaluator(fn: Callable[[Task, DeviceState], bool], seconds: float = 0.0) -> Evaluator:
    """Wrap a user's ``fn(task, state) -> success`` (a module-level function, to reach process and Ray workers)."""
    return _UserEvaluator(fn, seconds)


@dataclass(frozen=True)
class _UserEvaluator:
    fn: Callable[[Task, DeviceState], bool]
    seconds: float = 0.0

    def __call__(self, task: Task, state: DeviceState, rng: random.Random) -> tuple[bool, float]:
        return bool(self.fn(task, state)), self.seconds
