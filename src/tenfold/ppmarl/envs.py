"""The two communication use cases of the paper as PettingZoo ``ParallelEnv``s (numpy, seeded), reconstructed: the
paper's environment details are not available (README).

* :class:`DroneCellEnv` — drone-assisted cell coverage. M drones at a fixed altitude over a 1 km × 1 km area; each
  operator's K ground users are private to its drone (redrawn each episode, drifting). Drone i observes its own
  position, the other drones' positions relative to it, and its own users' positions relative to it (private).
  Actions: stay or move one step north, south, east, west. Team reward: the mean over all users of
  log2(1 + SINR), SINR of a user from its own drone against the other drones' co-channel interference with
  free-space path loss P / (d² + h²), minus a penalty per pair of drones closer than ``min_separation``.
* :class:`EdgeOffloadEnv` — network control with edge intelligence. N edge servers with private Poisson task
  arrivals (each its own rate, redrawn each episode) and queues; each step a server processes its queue locally,
  offloads a share to its neighbour, or to the cloud (fixed transfer delay). Team reward: minus the mean latency of
  the tasks served and minus a penalty per dropped task (queues are bounded).

Each environment names the observation coordinates that are private to their agent (:meth:`private_features`):
what a curious server or peer must not learn, and what the reconstruction attacks target.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

MOVES = np.array([[0.0, 0.0], [0.0, 1.0], [0.0, -1.0], [1.0, 0.0], [-1.0, 0.0]])
"""stay, north, south, east, west."""


class _TeamEnv(ParallelEnv):
    """What both environments share: one observation and one action space for every agent, and the end of a step
    (one team reward for all, truncation at ``max_steps``)."""

    _obs_space: spaces.Box
    _act_space: spaces.Discrete

    def observation_space(self, agent: str) -> spaces.Box:
        return self._obs_space

    def action_space(self, agent: str) -> spaces.Discrete:
        return self._act_space

    def _finish(self, reward: float, infos: dict[str, dict]):
        """The step's return tuple; after the last step the agent list empties (PettingZoo's end of episode)."""
        done = self.t >= self.max_steps
        obs = self._observations()
        agents = list(self.agents)
        if done:
            self.agents = []
        return obs, dict.fromkeys(agents, reward), dict.fromkeys(agents, False), dict.fromkeys(agents, done), infos


class DroneCellEnv(_TeamEnv):
    """Drone cell coverage (see the module docstring).

    Args:
        drones: M.
        users: K ground users per operator.
        max_steps: episode length.
        step_km: how far a move goes.
        altitude_km: h.
        noise: N0 relative to the transmit power at 1 km.
        min_separation: drones closer than this (km) are penalised.
    """

    metadata: ClassVar[dict[str, Any]] = {"name": "drone_cell_v0", "render_modes": []}

    def __init__(
        self,
        drones: int = 3,
        users: int = 6,
        max_steps: int = 25,
        step_km: float = 0.05,
        altitude_km: float = 0.1,
        noise: float = 1.0,
        min_separation: float = 0.1,
        collision_penalty: float = 1.0,
    ):
        self.m, self.k, self.max_steps = drones, users, max_steps
        self.step_km, self.h, self.noise = step_km, altitude_km, noise
        self.min_sep, self.collision_penalty = min_separation, collision_penalty
        self.possible_agents = [f"drone_{i}" for i in range(drones)]
        self.agents: list[str] = []
        dim = 2 + 2 * (drones - 1) + 2 * users
        self._obs_space = spaces.Box(-1.0, 1.0, (dim,), np.float32)
        self._act_space = spaces.Discrete(len(MOVES))
        self.rng = np.random.default_rng(0)

    def private_features(self, agent: str) -> slice:
        """The observation coordinates of the agent's own users (private to its operator)."""
        start = 2 + 2 * (self.m - 1)
        return slice(start, start + 2 * self.k)

    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.agents = list(self.possible_agents)
        self.t = 0
        self.pos = self.rng.uniform(0.2, 0.8, size=(self.m, 2))
        # each operator's users cluster around a hotspot of its own
        centres = self.rng.uniform(0.1, 0.9, size=(self.m, 1, 2))
        self.users = np.clip(centres + self.rng.normal(0, 0.12, size=(self.m, self.k, 2)), 0, 1)
        return self._observations(), {a: {} for a in self.agents}

    def _observations(self) -> dict[str, np.ndarray]:
        out = {}
        for i, a in enumerate(self.possible_agents):
            others = np.delete(self.pos, i, axis=0) - self.pos[i]
            own = self.users[i] - self.pos[i]
            obs = np.concatenate([self.pos[i] * 2 - 1, others.ravel(), own.ravel()])
            out[a] = np.clip(obs, -1, 1).astype(np.float32)
        return out

    def rates(self) -> np.ndarray:
        """[M, K] log2(1 + SINR) of every user from its operator's drone."""
        d2 = ((self.users[:, :, None, :] - self.pos[None, None, :, :]) ** 2).sum(-1) + self.h**2  # [M, K, M]
        power = 1.0 / d2
        own = np.stack([power[i, :, i] for i in range(self.m)])
        interference = power.sum(-1) - own
        return np.log2(1 + own / (self.noise + interference))

    def step(self, actions: dict[str, int]):
        for i, a in enumerate(self.possible_agents):
            self.pos[i] = np.clip(self.pos[i] + self.step_km * MOVES[int(actions[a])], 0, 1)
        self.users = np.clip(self.users + self.rng.normal(0, 0.005, size=self.users.shape), 0, 1)  # users drift
        self.t += 1
        close = sum(
            np.linalg.norm(self.pos[i] - self.pos[j]) < self.min_sep
            for i in range(self.m)
            for j in range(i + 1, self.m)
        )
        reward = float(self.rates().mean()) - self.collision_penalty * close
        return self._finish(reward, {a: {"collisions": close} for a in self.agents})


class EdgeOffloadEnv(_TeamEnv):
    """Edge offloading (see the module docstring).

    Args:
        servers: N.
        capacity: tasks a server processes per step.
        queue_limit: tasks a queue holds; arrivals beyond it are dropped.
        cloud_delay: steps of latency added to a task sent to the cloud.
        drop_penalty: reward lost per dropped task.
        history: past arrival counts in the observation (private).
    """

    metadata: ClassVar[dict[str, Any]] = {"name": "edge_offload_v0", "render_modes": []}
    CHOICES = ("local", "neighbour", "cloud")

    def __init__(
        self,
        servers: int = 3,
        capacity: int = 4,
        queue_limit: int = 20,
        cloud_delay: float = 3.0,
        drop_penalty: float = 1.0,
        history: int = 4,
        max_steps: int = 25,
    ):
        self.n, self.capacity, self.limit = servers, capacity, queue_limit
        self.cloud_delay, self.drop_penalty, self.history, self.max_steps = (
            cloud_delay,
            drop_penalty,
            history,
            max_steps,
        )
        self.possible_agents = [f"edge_{i}" for i in range(servers)]
        self.agents: list[str] = []
        self._obs_space = spaces.Box(0.0, 1.0, (2 + history + servers - 1,), np.float32)
        self._act_space = spaces.Discrete(len(self.CHOICES))
        self.rng = np.random.default_rng(0)

    def private_features(self, agent: str) -> slice:
        """Own queue, own rate estimate and own arrival history."""
        return slice(0, 2 + self.history)

    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.agents = list(self.possible_agents)
        self.t = 0
        self.rate = self.rng.uniform(1.0, 6.0, size=self.n)  # private arrival rates
        self.queue = np.zeros(self.n)
        self.arrivals = np.zeros((self.n, self.history))
        return self._observations(), {a: {} for a in self.agents}

    def _observations(self) -> dict[str, np.ndarray]:
        out = {}
        for i, a in enumerate(self.possible_agents):
            own = [self.queue[i] / self.limit, self.arrivals[i].mean() / 10]
            hist = self.arrivals[i] / 10
            others = np.delete(self.queue, i) / self.limit
            out[a] = np.clip(np.concatenate([own, hist, others]), 0, 1).astype(np.float32)
        return out

    def step(self, actions: dict[str, int]):
        arrivals = self.rng.poisson(self.rate)
        self.arrivals = np.concatenate([self.arrivals[:, 1:], arrivals[:, None]], axis=1)
        incoming = np.zeros(self.n)
        latency, served = 0.0, 0.0
        for i, a in enumerate(self.possible_agents):
            choice = self.CHOICES[int(actions[a])]
            if choice == "local":
                incoming[i] += arrivals[i]
            elif choice == "neighbour":
                incoming[(i + 1) % self.n] += arrivals[i]
                latency += arrivals[i] * 0.5  # one hop
            else:
                latency += arrivals[i] * self.cloud_delay
                served += arrivals[i]
        self.queue = self.queue + incoming
        dropped = np.maximum(self.queue - self.limit, 0)
        self.queue = np.minimum(self.queue, self.limit)
        done_now = np.minimum(self.queue, self.capacity)
        latency += float((self.queue / self.capacity).sum())  # waiting time of what is queued
        served += done_now.sum()
        self.queue = self.queue - done_now
        self.t += 1
        reward = -latency / max(served + incoming.sum(), 1.0) - self.drop_penalty * float(dropped.sum()) / self.n
        return self._finish(reward, {a: {"dropped": float(dropped[i])} for i, a in enumerate(self.agents)})
