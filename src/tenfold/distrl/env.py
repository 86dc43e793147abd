"""The simulated phone as a Gymnasium environment: a policy scores a list of candidate actions read off the screen.

Observation (``gymnasium.spaces.Dict``), with D = ``features`` hashed bag-of-words dimensions and K = ``max_actions``:

* ``task``        [D] float32: the instruction's words;
* ``screen``      [D] float32: the words of every node of the accessibility tree;
* ``last``        [D] float32: the previous action's description (AutoUI, the paper's policy, also reads its
  action history: without it "the switch is on" cannot tell "turn it on" from "done");
* ``candidates``  [K, D] float32: each candidate action's description ("tap Settings", "type 07 into hour");
* ``mask``        [K] int8: 1 for real candidates, 0 for padding.

Action: ``Discrete(K)``, an index into the candidates (a masked index is an invalid action: nothing happens, as an
invalid tap on a phone). Candidates, in a stable order: a tap on every clickable node, typing each of the task's
phrases into every editable field, then back, home, enter, complete. Reward 1 when the evaluator
(:mod:`~tenfold.distrl.evaluators`: the programmatic check by default) judges a completed episode a success, else 0
(the official reward shaping lives with the learner); ``info["success"]`` is the true check. ``info`` carries the step's
simulated latency, whether the action was valid, whether it repeated the previous one (the official
penalises repeats), and the candidates' descriptions.
"""

from __future__ import annotations

import random
import zlib
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from tenfold.distrl.device import Action, Device, Latency, Task, tasks
from tenfold.distrl.evaluators import Evaluator, EvaluatorConfig


def phrases(task: Task) -> tuple[str, ...]:
    """What the agent may need to type for ``task`` (alarm hour and minute, a query, a product)."""
    return {"clock": task.params, "browser": task.params[:1], "shop": task.params[:1]}.get(task.family, ())


def candidates(task: Task, device: Device) -> list[tuple[Action, str]]:
    """The actions the screen allows, with their descriptions, in a stable order."""
    nodes = device.screen()
    out = [(Action("tap", n.id), f"tap {n.text}") for n in nodes if n.clickable]
    out += [
        (Action("type", n.id, p), f"type {p} into {n.text.split(':')[0]}")
        for n in nodes
        if n.editable
        for p in phrases(task)
    ]
    out += [(Action(k), k) for k in ("back", "home", "enter", "complete")]
    return out


def bag_of_words(text: str, dim: int) -> np.ndarray:
    """Hashed word counts (crc32, stable across processes), scaled to [0, 1]."""
    v = np.zeros(dim, dtype=np.float32)
    for word in text.lower().replace(":", " ").replace("'", " ").split():
        v[zlib.crc32(word.encode()) % dim] += 1.0
    return np.minimum(v, 4.0) / 4.0


class PhoneEnv(gym.Env):
    """One task per episode, drawn (seeded) from a split, or fixed by ``reset(options={"task": i})``."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi"]}

    def __init__(
        self,
        split: str = "train",
        max_steps: int = 15,
        features: int = 64,
        max_actions: int = 16,
        latency: Latency | None = None,
        render_mode: str | None = None,
        evaluator: Evaluator | None = None,
    ):
        self.tasks = tasks(split)
        self.evaluator: Evaluator = evaluator or EvaluatorConfig()
        self.max_steps, self.dim, self.k = max_steps, features, max_actions
        self.latency = latency or Latency()
        self.render_mode = render_mode
        box = gym.spaces.Box(0.0, 1.0, (features,), np.float32)
        self.observation_space = gym.spaces.Dict(
            {
                "task": box,
                "screen": box,
                "last": box,
                "candidates": gym.spaces.Box(0.0, 1.0, (max_actions, features), np.float32),
                "mask": gym.spaces.MultiBinary(max_actions),
            }
        )
        self.action_space = gym.spaces.Discrete(max_actions)
        self.task: Task = self.tasks[0]
        self.device = Device()
        self.steps = 0
        self.last = ""
        self._py_rng = random.Random(0)

    def _observe(self) -> tuple[dict[str, np.ndarray], list[tuple[Action, str]]]:
        cands = candidates(self.task, self.device)
        if len(cands) > self.k:
            raise ValueError(f"{len(cands)} candidate actions exceed max_actions={self.k}")
        desc = np.zeros((self.k, self.dim), dtype=np.float32)
        mask = np.zeros(self.k, dtype=np.int8)
        for i, (_, d) in enumerate(cands):
            desc[i], mask[i] = bag_of_words(d, self.dim), 1
        screen = " ".join(n.text for n in self.device.screen())
        obs = {
            "task": bag_of_words(self.task.instruction, self.dim),
            "screen": bag_of_words(screen, self.dim),
            "last": bag_of_words(self.last, self.dim),
            "candidates": desc,
            "mask": mask,
        }
        return obs, cands

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self._py_rng.seed(seed)
        index = (options or {}).get("task")
        self.task = (
            self.tasks[index] if index is not None else self.tasks[int(self.np_random.integers(len(self.tasks)))]
        )
        self.device = self.task.device()
        self.steps, self.last = 0, ""
        obs, cands = self._observe()
        return obs, {"task": self.task.instruction, "candidates": [d for _, d in cands]}

    def step(self, action: int):
        _, cands = self._observe()
        valid = 0 <= int(action) < len(cands)
        repeat = False
        if valid:
            repeat = cands[int(action)][1] == self.last
            self.last = cands[int(action)][1]
            valid = self.device.act(cands[int(action)][0])
        self.steps += 1
        done = self.device.state.done
        latency = self.latency.sample(self._py_rng)
        success = judged = False
        if done:  # the evaluator's verdict is the reward; the true check is reported beside it
            success = self.task.check(self.device.state)
            judged, seconds = self.evaluator(self.task, self.device.state, self._py_rng)
            latency += seconds
        reward = 1.0 if judged else 0.0
        obs, cands = self._observe()
        info = {
            "latency": latency,
            "valid": valid,
            "repeat": repeat,
            "candidates": [d for _, d in cands],
            "success": success,
        }
        return obs, reward, done, (not done and self.steps >= self.max_steps), info

    def render(self) -> str:
        return "\n".join(f"[{n.id}] {n.role}: {n.text}" for n in self.device.screen())


def oracle_index(env: PhoneEnv) -> int:
    """The candidate index of the scripted oracle's action (to check that the action space can express it)."""
    from tenfold.distrl.device import oracle_action

    want = oracle_action(env.task, env.device)
    return next(i for i, (a, _) in enumerate(candidates(env.task, env.device)) if a == want)
