"""The central learner: A-RIDE (the paper's algorithm) and the two baselines on one replay buffer.

A-RIDE, as the official code computes it (``distrl/algorithms/distrl/trainer.py``), with the paper's description where
the code departs from it (each departure an option):

* **data**: whole trajectories, tagged with the behaviour policy's version on every step; windows of L = 3 steps are
  drawn from them (a shorter episode is drawn whole: the official ``sample_sequence`` never draws episodes of ≤ L
  steps and loops forever when none is longer);
* **replay**: distributed prioritised experience replay, *sampled from* (the official buffer fills a sum tree and
  draws uniformly); priority of a trajectory p = w1·mean|δ| + w2·mean ρ̂ + w3·mean H over its drawn window, new
  trajectories at the largest priority so far (Schaul et al.; the official code starts them at 1, below every scored
  one when w1 = 50);
* **targets**: Retrace(λ) (the paper's name) or the official V-trace form (ρ̄ = c̄ = 1, λ = 1): :mod:`.targets`;
* **actor**: −mean(w_i · A_s · log π(a_s|x_s)) with the importance-weighted advantage A_s of :mod:`.targets` and the
  prioritised-replay weight w_i = (N·P(i))^−β / max; the official binarised form −mean(c_s·1[A_s > 0]·log π) is
  ``advantage="binary"``;
* **entropy**: + η·H(π(·|x)) over the whole candidate distribution (the paper's regulariser); the official
  −mean log π of the taken actions (``entropy="taken"``), or none;
* **critic**: mean w_i (V(x_s) − v_s)², the value regressed on the off-policy target;
* **staleness**: a trajectory whose behaviour version lags the learner by more than ``max_staleness`` versions is
  evicted when drawn (the official code keeps everything and records the lag);
* **best-trajectory filtering** (official ``filter_buffer``): the actor term only on trajectories whose return minus
  the critic's V(x_0) is in the top ``best_fraction`` of the buffer;
* **reward**: the evaluator's 0/1 at the end, −``invalid_penalty`` for an action that changed nothing or repeated the
  previous one; the official
  shaping r + mc − 0.05 (mc the Monte-Carlo return) is ``reward="official"``.

Baselines on the same buffer (uniform sampling, no importance correction): ``awr``, DigiRL-style — advantage
λ·(mc − V) + (1 − λ)(r + γV′ − V), actor weights exp(A/τ) clipped at 20 on the best ``best_fraction`` of
trajectories, critic regressed on mc; ``filtered-bc`` — −log π of the actions of successful trajectories.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from tenfold.common.config import check_fields
from tenfold.distrl.names import ADVANTAGES, ENTROPIES, METHODS, REWARDS, TRACES
from tenfold.distrl.policy import Agent, batch
from tenfold.distrl.replay import PrioritizedReplay
from tenfold.distrl.targets import TraceConfig, off_policy_targets


# -- data ------------------------------------------------------------------------------------------------------------
@dataclass
class Step:
    """One transition as a worker recorded it."""

    obs: dict[str, np.ndarray]
    action: int
    reward: float
    valid: bool
    log_mu: float
    """log μ(a|x) of the behaviour policy that acted."""
    version: int
    """the behaviour policy's version."""
    latency: float
    """simulated seconds the step took on the device."""
    repeat: bool = False
    """the same action as the previous step (penalised like an invalid one)."""


@dataclass
class Trajectory:
    """A finished episode (a worker never sends a partial one)."""

    worker: int
    episode: int
    task: int
    steps: list[Step]
    final_obs: dict[str, np.ndarray]
    terminal: bool
    """ended by ``complete`` (True) or cut at the step limit (False: the last state is bootstrapped)."""
    success: bool

    @property
    def version(self) -> int:
        return self.steps[0].version

    @property
    def seconds(self) -> float:
        return sum(s.latency for s in self.steps)

    def __len__(self) -> int:
        return len(self.steps)


# -- config ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LearnerConfig:
    """How the learner trains (A-RIDE or a baseline)."""

    method: str = "a-ride"
    """``a-ride``, ``awr`` (DigiRL-style filtered advantage-weighted) or ``filtered-bc``."""
    gamma: float = 0.9
    """discount (the official multi-machine configs use 0.5 with shaped rewards; the trainer's default is 0.9)."""
    lr: float = 1e-3
    """Adam learning rate of actor and critic (3e-3 and 1e-2 measured less stable under asynchrony)."""
    batch_size: int = 32
    """windows per update."""
    window: int = 3
    """L, steps per window (official ``sequence_length``)."""
    trace: str = "retrace"
    """``retrace`` (Retrace(λ), the paper), ``vtrace`` (the official code: ρ̄ = c̄ = 1, λ = 1) or ``none`` (no
    importance correction: ρ̂ = 1 everywhere, the ablation)."""
    lam: float = 0.95
    """λ of Retrace (and of the AWR baseline's advantage mix)."""
    prioritized: bool = True
    """draw trajectories by DPER priority (False: uniformly, as the official default ``use_dper=False``)."""
    alpha: float = 0.6
    """priority exponent α."""
    beta: float = 0.4
    """importance exponent β of the replay weights."""
    dper_weights: tuple[float, float, float] = (50.0, 1.0, 0.01)
    """w1 (|δ|), w2 (ρ̂), w3 (entropy) of the DPER priority (official ``dper_w1`` = 50, 1, 0.01)."""
    entropy: str = "full"
    """``full`` (H of π(·|x), the paper), ``taken`` (official −mean log π of taken actions) or ``none``."""
    entropy_coef: float = 0.01
    """η (the official code hard-codes 0.05 on its one-sample estimate)."""
    advantage: str = "continuous"
    """``continuous`` (A_s) or ``binary`` (official: 1[A_s > 0] times c_s)."""
    reward: str = "sparse"
    """``sparse`` (evaluator 0/1 and the invalid-action penalty) or ``official`` (+ mc − 0.05)."""
    invalid_penalty: float = 0.1
    """subtracted for an action that changed nothing or repeated the previous one (the official code: 1 for an
    invalid action, 0.4·k for the k-th repeat)."""
    max_staleness: int | None = 200
    """evict trajectories more than this many versions older than the learner (None: keep all, as official)."""
    best_fraction: float | None = None
    """actor (and AWR) only on the top fraction of trajectories by return − V(x_0) (official ``filter_buffer``: 0.1;
    None: every trajectory)."""
    capacity: int = 2000
    """trajectories kept (the oldest overwritten first)."""
    min_buffer: int = 8
    """trajectories before the first update (official ``MIN_BUFFER_SIZE``)."""
    awr_temperature: float = 0.5
    """τ of the AWR baseline's weights exp(A/τ)."""
    hidden: int = 128
    """width of the agent's MLPs (64 measured: held-out success 0.70–0.89 over 4 seeds instead of 0.77–0.88)."""
    features: int = 128
    """hashed bag-of-words size of the observation (at 64, 37 of the simulator's 82 words share a slot)."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("lr", "batch_size", "window", "capacity", "min_buffer", "awr_temperature", "hidden", "features"),
            non_negative=("entropy_coef", "invalid_penalty", "alpha", "beta", "max_staleness"),
            fractions=("gamma", "lam", "best_fraction"),
            choices={
                "method": METHODS,
                "trace": TRACES,
                "entropy": ENTROPIES,
                "advantage": ADVANTAGES,
                "reward": REWARDS,
            },
        )
        if self.min_buffer > self.capacity:
            raise ValueError(f"min_buffer {self.min_buffer} exceeds capacity {self.capacity}")

    @property
    def trace_config(self) -> TraceConfig:
        if self.trace == "vtrace":
            return TraceConfig(lam=1.0, rho_bar=1.0, c_bar=1.0)
        return TraceConfig(lam=self.lam, rho_bar=1.0, c_bar=1.0)


# -- the learner -----------------------------------------------------------------------------------------------------
@dataclass
class _Stored:
    traj: Trajectory
    returns: np.ndarray
    """[n] Monte-Carlo discounted returns of the (shaped) rewards."""
    rewards: np.ndarray
    """[n] shaped rewards fed to the targets."""
    score: float = 0.0
    """return − V(x_0) when last scored (best-trajectory filtering)."""


@dataclass
class UpdateStats:
    version: int
    actor_loss: float
    critic_loss: float
    entropy: float
    mean_rho: float
    mean_lag: float
    evicted: int


class Learner:
    """Owns the agent, the optimiser and the replay buffer; one :meth:`update` is one gradient step and one new
    policy version.

    Args:
        cfg: the learner's settings.
        seed: seeds the agent's initialisation and the replay's draws.
        agent: start from these weights (a warm start) instead of a fresh agent.
    """

    def __init__(self, cfg: LearnerConfig, seed: int = 0, agent: Agent | None = None):
        self.cfg = cfg
        self.agent = copy.deepcopy(agent) if agent is not None else Agent(cfg.features, cfg.hidden, seed)
        self.opt = torch.optim.Adam(self.agent.parameters(), lr=cfg.lr)
        prioritised = cfg.prioritized and cfg.method == "a-ride"
        self.replay = PrioritizedReplay(cfg.capacity, alpha=cfg.alpha if prioritised else 0.0, beta=cfg.beta, seed=seed)
        self.prioritised = prioritised
        self.rng = np.random.default_rng(seed + 1)
        self.version = 0
        self.updates = 0
        self.received = 0
        self.max_priority = 1.0
        self.newest = -1
        """the newest behaviour version received."""
        self.trained_on: list[tuple[int, int]] = []
        """(worker, episode) of every trajectory the last update drew (what the learner trained on)."""

    # -- data in ------------------------------------------------------------------------------------------------------
    def shaped_rewards(self, traj: Trajectory) -> tuple[np.ndarray, np.ndarray]:
        """(rewards fed to the targets, Monte-Carlo returns), [n] each."""
        r = np.array([s.reward - (self.cfg.invalid_penalty if s.repeat or not s.valid else 0.0) for s in traj.steps])
        mc = np.zeros_like(r)
        acc = 0.0
        for t in range(len(r) - 1, -1, -1):
            acc = r[t] + self.cfg.gamma * acc
            mc[t] = acc
        if self.cfg.reward == "official":
            r = r + mc - 0.05
        return r, mc

    def add(self, traj: Trajectory) -> int:
        """Store a finished trajectory at the largest priority so far; returns its slot."""
        if not traj.steps:
            raise ValueError("an empty trajectory cannot be stored")
        rewards, mc = self.shaped_rewards(traj)
        self.received += 1
        self.newest = max(self.newest, traj.version)
        return self.replay.add(_Stored(traj, mc, rewards, score=float(mc[0])), self.max_priority)

    @property
    def ready(self) -> bool:
        """Enough trajectories, and at least one within ``max_staleness`` versions: a learner that outruns its
        workers waits for fresh data instead of training on stale data (a rate limit, as Reverb's)."""
        fresh = self.cfg.max_staleness is None or self.version - self.newest <= self.cfg.max_staleness
        return len(self.replay) >= self.cfg.min_buffer and fresh

    def _stored(self, slot: int) -> _Stored:
        item = self.replay.items[slot]
        assert isinstance(item, _Stored)
        return item

    # -- one update ---------------------------------------------------------------------------------------------------
    def _draw(self) -> tuple[list[int], np.ndarray, int]:
        """Slots and replay weights of a batch, evicting stale trajectories as they are drawn."""
        evicted = 0
        for _ in range(100):
            sample = self.replay.sample(self.cfg.batch_size)
            stale = [
                int(i)
                for i in set(sample.indices.tolist())
                if self.cfg.max_staleness is not None
                and self.version - self._stored(int(i)).traj.version > self.cfg.max_staleness
            ]
            if not stale:
                return [int(i) for i in sample.indices], sample.weights, evicted
            for i in stale:
                self.replay.update(i, 0.0)
                evicted += 1
            if self.replay.tree.total <= 0:
                break
        raise RuntimeError("every trajectory in the buffer is staler than max_staleness")

    def _windows(self, slots: list[int]) -> list[tuple[_Stored, int, int]]:
        out = []
        for slot in slots:
            item = self._stored(slot)
            n = len(item.traj)
            start = int(self.rng.integers(0, max(1, n - self.cfg.window + 1)))
            out.append((item, start, min(n, start + self.cfg.window)))
        return out

    def update(self) -> UpdateStats:
        """One gradient step on a drawn batch of windows; bumps the version."""
        cfg = self.cfg
        slots, weights, evicted = self._draw()
        windows = self._windows(slots)
        self.trained_on = [(w[0].traj.worker, w[0].traj.episode) for w in windows]
        steps = [item.traj.steps[t] for item, a, b in windows for t in range(a, b)]
        lengths = [b - a for _, a, b in windows]
        # the state after each window: the next step's, or the final state (0 after a terminal step)
        boot_obs = [item.traj.steps[b].obs if b < len(item.traj) else item.traj.final_obs for item, a, b in windows]
        obs = batch([s.obs for s in steps])
        actions = torch.tensor([s.action for s in steps])
        logits = self.agent.logits(obs)
        logp_all = torch.log_softmax(logits, -1)
        logp = logp_all.gather(1, actions[:, None]).squeeze(1)
        values = self.agent.value(obs)
        with torch.no_grad():
            boot = self.agent.value(batch(boot_obs)).numpy()
        log_mu = np.array([s.log_mu for s in steps])
        log_ratio = logp.detach().numpy() - log_mu
        if cfg.trace == "none":
            log_ratio = np.zeros_like(log_ratio)

        targets, advantages, deltas, step_weights = [], [], [], []
        v_np = values.detach().numpy()
        i = 0
        for (item, a, b), n, w, v_boot in zip(windows, lengths, weights, boot, strict=True):
            ends = b == len(item.traj)
            disc = np.full(n, cfg.gamma)
            if ends and item.traj.terminal:
                disc[-1] = 0.0
            r = item.rewards[a:b]
            v = v_np[i : i + n]
            if cfg.method == "a-ride":
                tgt, adv = off_policy_targets(r, v, float(v_boot), log_ratio[i : i + n], disc, cfg.trace_config)
            else:  # the baselines regress on Monte-Carlo returns and use no importance correction
                tgt = item.returns[a:b]
                nxt = np.append(v[1:], v_boot)
                adv = cfg.lam * (tgt - v) + (1 - cfg.lam) * (r + disc * nxt - v)
            next_v = np.append(v[1:], v_boot)
            targets.append(tgt)
            advantages.append(adv)
            deltas.append(r + disc * next_v - v)
            step_weights.append(np.full(n, w if self.prioritised else 1.0))
            i += n
        target = torch.as_tensor(np.concatenate(targets), dtype=torch.float32)
        adv = torch.as_tensor(np.concatenate(advantages), dtype=torch.float32)
        w = torch.as_tensor(np.concatenate(step_weights), dtype=torch.float32)
        bar = self._filter_bar()
        keep = torch.as_tensor(
            np.concatenate([np.full(n, it.score >= bar) for (it, _, _), n in zip(windows, lengths, strict=True)]),
            dtype=torch.float32,
        )

        p = logp_all.exp()
        full_entropy = -(p * logp_all.masked_fill(~obs["mask"], 0.0)).sum(-1)
        critic_loss = (w * (values - target) ** 2).mean()
        # --- the actor term of each method -------------------------------------------------------------------------
        if cfg.method == "a-ride":
            if cfg.advantage == "binary":
                c = torch.as_tensor(np.exp(np.minimum(log_ratio, 0.0)), dtype=torch.float32)  # c_s = min(1, ρ̂)
                actor_weight = c * (adv > 0).float()
            else:
                actor_weight = adv
        elif cfg.method == "awr":
            actor_weight = torch.clamp(torch.exp(adv / cfg.awr_temperature), max=20.0)
        else:  # filtered-bc: imitate the successful trajectories
            actor_weight = torch.tensor(
                [float(it.traj.success) for (it, _, _), n in zip(windows, lengths, strict=True) for _ in range(n)]
            )
        actor_loss = -(keep * w * actor_weight * logp).mean()
        if cfg.entropy == "full":
            entropy_term = full_entropy.mean()
        elif cfg.entropy == "taken":
            entropy_term = -logp.mean()
        else:
            entropy_term = torch.zeros(())
        # --------------------------------------------------------------------------------------------------------------
        loss = actor_loss + (critic_loss if cfg.method != "filtered-bc" else 0.0) - cfg.entropy_coef * entropy_term
        self.opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.agent.parameters(), 1.0)
        self.opt.step()

        # DPER: refresh the drawn trajectories' priorities from this window (w1·mean|δ| + w2·mean ρ̂ + w3·mean H)
        if self.prioritised:
            w1, w2, w3 = cfg.dper_weights
            h = (-logp.detach()).numpy()
            ratio = np.exp(log_ratio)
            j = 0
            for slot, n, d in zip(slots, lengths, deltas, strict=True):
                pr = w1 * np.abs(d).mean() + w2 * ratio[j : j + n].mean() + w3 * h[j : j + n].mean()
                pr = float(max(pr, 1e-3))
                self.replay.update(slot, pr)
                self.max_priority = max(self.max_priority, pr)
                j += n
        for (item, a, _), v0 in zip(windows, v_np[np.cumsum([0, *lengths[:-1]])], strict=True):
            if a == 0:
                item.score = float(item.returns[0] - v0)
        self.updates += 1
        self.version += 1
        lags = [self.version - 1 - s.version for s in steps]
        return UpdateStats(
            self.version,
            float(actor_loss.detach()),
            float(critic_loss.detach()),
            float(full_entropy.detach().mean()),
            float(np.exp(np.minimum(log_ratio, 0.0)).mean()),
            float(np.mean(lags)),
            evicted,
        )

    def _filter_bar(self) -> float:
        """The score a trajectory needs for the actor term: the top ``best_fraction`` of the buffer by return −
        V(x_0) (official ``filter_buffer``), −inf without filtering."""
        frac = self.cfg.best_fraction
        if frac is None or self.cfg.method == "filtered-bc":
            return -np.inf
        scores = [self._stored(i).score for i in range(len(self.replay))]
        return float(np.quantile(scores, 1 - frac))

    # -- weights and checkpoints --------------------------------------------------------------------------------------
    def actor_weights(self) -> dict[str, np.ndarray]:
        """The actor's parameters (what workers need), as numpy arrays."""
        return {k: v.detach().numpy().copy() for k, v in self.agent.state_dict().items() if k.startswith("actor.")}

    def state(self) -> dict[str, Any]:
        """Everything a checkpoint must hold to resume: weights, optimiser, counters, buffer, priorities, RNGs."""
        return {
            "agent": self.agent.state_dict(),
            "opt": self.opt.state_dict(),
            "version": self.version,
            "updates": self.updates,
            "received": self.received,
            "max_priority": self.max_priority,
            "newest": self.newest,
            "items": self.replay.items,
            "next": self.replay.next,
            "tree": self.replay.tree.nodes.copy(),
            "replay_rng": self.replay.rng.bit_generator.state,
            "rng": self.rng.bit_generator.state,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.agent.load_state_dict(state["agent"])
        self.opt.load_state_dict(state["opt"])
        self.version, self.updates, self.received = state["version"], state["updates"], state["received"]
        self.max_priority, self.newest = state["max_priority"], state["newest"]
        self.replay.items, self.replay.next = list(state["items"]), state["next"]
        self.replay.tree.nodes[:] = state["tree"]
        self.replay.rng.bit_generator.state = state["replay_rng"]
        self.rng.bit_generator.state = state["rng"]


def load_actor(agent: Agent, weights: dict[str, np.ndarray]) -> None:
    """Hot-swap a worker's actor to published weights (the critic stays with the learner)."""
    with torch.no_grad():
        for name, p in agent.named_parameters():
            if name in weights:
                p.copy_(torch.as_tensor(weights[name]))
