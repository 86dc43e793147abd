"""MADDPG-style centralised-critic training (Lowe et al. 2017) on any PettingZoo ParallelEnv with discrete actions,
with the critic either centralised on raw inputs or split as PP-MARL's (reconstructed) design:

* ``central``: Q(x_1, …, x_N), x_i = [o_i, a_i] — every agent's raw observation and action reach the critic;
* ``split``: each agent's private bottom network maps x_i to a representation m_i ∈ R^h, clipped to L2 norm ≤ C
  and, with DP, noised (σ·C) into the released m̃_i. Only the sum Σ m̃_j crosses the trust boundary (under HE: the
  server adds ciphertexts, :mod:`.he`). With ``top="own"`` (default) agent i's critic is
  Q_i = l_i(x_i) + g_i([m_i, Σ_{j≠i} m̃_j]); with ``top="shared"`` one team critic Q = g(Σ_j m̃_j), whose
  gradient ∂L/∂u reaches every bottom unchanged. Either way each agent updates its own networks locally — no extra
  message (:class:`CriticSpec`);
* ``local``: each agent's critic on its own x_i (the federated baseline averages them).

Actors: π_i(o_i) = softmax(logits); the critic is fed the action probabilities (a continuous relaxation, as
MADDPG's discrete variant) and each actor ascends its Q through its own action input, the others' actions from the
batch. Target networks with soft updates τ; the team reward (the paper's reward is a team reward) is every critic's
target. Releases per update: 2 per agent (current and target pass); every update's sampling rate is kept
(``sampling_rates``) for the accountant (:func:`~.dp.epsilon_sequence`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tenfold.common.errors import UserError
from tenfold.ppmarl.dp import clip_rows
from tenfold.ppmarl.nn import MLP, Adam


@dataclass(frozen=True)
class CriticSpec:
    kind: str = "central"
    """``central`` (one critic on every agent's inputs), ``split`` (private bottoms, public top on Σ m_i) or
    ``local`` (each agent's own critic on its own inputs: the federated baseline averages their parameters)."""
    noise_inputs: bool = False
    """central: each agent's raw input rows are clipped to C and noised (σ·C) before they are shared (DP-only)."""
    rep: int = 4
    """h, the representation size of the split critic."""
    clip: float = 1.0
    """C, the L2 bound on each released per-sample representation."""
    sigma: float = 0.0
    """noise multiplier on released representations (0: no DP)."""
    top: str = "own"
    """split only. ``own`` (default): agent i's critic is Q_i = l_i(x_i) + g_i([m_i, Σ_{j≠i} m̃_j]) — a private
    local term on its raw inputs, and a cooperative top on its own representation m_i, exact (it is its own data:
    noising it protects nobody), beside the others' noised sum, which it gets by decrypting Σ_j m̃_j and removing its
    own m̃_i; each bottom is trained through its own agent's critic. ``shared``: one top g(Σ_j m̃_j) for the team, every
    share noised even to its owner (the design note's literal reading; README: the DP noise then sits inside every
    gradient and costs most of the utility). The same messages either way."""


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


class Critic:
    """Q over N agents' (obs, action-probability) blocks, central or split."""

    def __init__(self, dims: list[int], spec: CriticSpec, hidden: int, rng: np.random.Generator):
        self.dims, self.spec, self.rng = dims, spec, rng
        if spec.kind == "central":
            self.nets = [MLP((sum(dims), hidden, hidden, 1), rng)]
        elif spec.kind == "split":
            if spec.top not in ("own", "shared"):
                raise ValueError(f"unknown split-critic top {spec.top!r}; known: own, shared")
            self.bottoms = [MLP((d, hidden, spec.rep), rng) for d in dims]
            if spec.top == "shared":
                self.top = MLP((spec.rep, hidden, 1), rng)
                self.nets = [*self.bottoms, self.top]
            else:
                self.tops = [MLP((2 * spec.rep, hidden, 1), rng) for _ in dims]
                self.locals = [MLP((d, hidden, hidden, 1), rng) for d in dims]
                self.nets = [*self.bottoms, *self.tops, *self.locals]
        elif spec.kind == "local":
            if len(set(dims)) != 1:
                raise ValueError(f"federated averaging needs agents of one input size, got {dims}")
            self.nets = [MLP((d, hidden, hidden, 1), rng) for d in dims]
        else:
            raise ValueError(f"unknown critic kind {spec.kind!r}")
        self.released: list[np.ndarray] = []
        """what the last forward released per agent: split, the clipped (noised) representations [B, h]; central,
        the inputs as shared (noised for DP-only) [B, d_i]."""

    @property
    def per_agent(self) -> bool:
        """One Q per agent ([B, N]: local critics, or split with each agent's own top) rather than one ([B])."""
        return self.spec.kind == "local" or (self.spec.kind == "split" and self.spec.top == "own")

    def forward(self, xs: list[np.ndarray], noise_rng: np.random.Generator | None = None) -> np.ndarray:
        """Q for per-agent inputs ``xs`` (each [B, d_i]): [B], or [B, N] when :attr:`per_agent`."""
        gen = noise_rng if noise_rng is not None else self.rng
        spec = self.spec
        if spec.kind == "local":
            return np.stack([f(x)[:, 0] for f, x in zip(self.nets, xs, strict=True)], axis=1)
        if spec.kind == "central":
            if spec.noise_inputs:
                xs = [clip_rows(x, spec.clip) + gen.normal(0.0, spec.sigma * spec.clip, x.shape) for x in xs]
            self.released = list(xs)
            return self.nets[0](np.concatenate(xs, axis=1))[:, 0]
        self._scale, self.released, self.clean = [], [], []
        for f, x in zip(self.bottoms, xs, strict=True):
            m = f(x)
            clipped = clip_rows(m, spec.clip)
            self._scale.append(np.where(np.abs(m) > 0, clipped / np.where(m == 0, 1, m), 1.0))
            self.clean.append(clipped)
            if spec.sigma > 0:
                clipped = clipped + gen.normal(0.0, spec.sigma * spec.clip, clipped.shape)
            self.released.append(clipped)
        self.u = np.sum(self.released, axis=0)
        if spec.top == "shared":
            return self.top(self.u)[:, 0]
        return np.stack([self.own_q(i, x, m) for i, (x, m) in enumerate(zip(xs, self.clean, strict=True))], axis=1)

    def own_q(self, i: int, x: np.ndarray, mine: np.ndarray) -> np.ndarray:
        """Agent i's critic with ``top="own"``: l_i(x_i) + g_i([m_i, u − m̃_i]), u the last forward's noised sum.

        Args:
            x: [B, d_i] its raw inputs.
            mine: [B, h] its exact (clipped, un-noised) representation.
        Returns:
            [B].
        """
        others = self.u - self.released[i]
        return self.tops[i](np.concatenate([mine, others], axis=1))[:, 0] + self.locals[i](x)[:, 0]

    def own_backward(self, i: int, g: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """Back-propagate ∂L/∂Q_i ([B, 1]) through the last :meth:`own_q` of agent i into its own networks only:
        ∂L/∂x_i [B, d_i] (the others' sum is data to it; ``scale`` is the clip's per-entry factor [B, h])."""
        gm = self.tops[i].backward(g)[:, : self.spec.rep]
        return self.bottoms[i].backward(gm * scale) + self.locals[i].backward(g)

    def backward(self, g: np.ndarray) -> list[np.ndarray]:
        """∂L/∂x_i for every agent from ∂L/∂Q ([B], or [B, N] when :attr:`per_agent`); parameters' gradients
        accumulate."""
        if self.spec.kind == "local":
            return [f.backward(g[:, [i]]) for i, f in enumerate(self.nets)]
        if self.per_agent:  # agent i's loss reaches its own networks only (the others' sum is data to it)
            return [self.own_backward(i, g[:, [i]], s) for i, s in enumerate(self._scale)]
        g = g[:, None]
        if self.spec.kind == "central":
            gx = self.nets[0].backward(g)
            return np.split(gx, np.cumsum(self.dims)[:-1], axis=1)
        gu = self.top.backward(g)
        # u = Σ m̃_i: the top's gradient reaches every bottom as it is (the clip's scale passed straight through)
        return [f.backward(gu * s) for f, s in zip(self.bottoms, self._scale, strict=True)]

    def federated_average(self) -> None:
        """FedAvg of the local critics (what the federated baseline aggregates under HE)."""
        for k in range(len(self.nets[0].params)):
            mean = np.mean([n.params[k] for n in self.nets], axis=0)
            for n in self.nets:
                n.params[k][...] = mean

    def flat_params(self, agent: int) -> np.ndarray:
        return np.concatenate([p.ravel() for p in self.nets[agent].params])

    def params(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return [p for n in self.nets for p in n.params], [g for n in self.nets for g in n.grads]

    def zero_grad(self) -> None:
        for n in self.nets:
            n.zero_grad()

    def soft_update(self, other: Critic, tau: float) -> None:
        for a, b in zip(self.nets, other.nets, strict=True):
            a.copy_from(b, tau)


@dataclass(frozen=True)
class TrainConfig:
    """One MADDPG run."""

    episodes: int = 300
    """training episodes."""
    gamma: float = 0.95
    tau: float = 0.01
    """soft target update."""
    lr: float = 1e-3
    hidden: int = 32
    """width of every network's hidden layers (32: the quick reproduction in 3 minutes; the paper preset uses 64)."""
    batch: int = 256
    """expected batch: Poisson sampling at q = batch / |replay| (fixed-size batches would void the DP analysis)."""
    replay: int = 50_000
    update_every: int = 25
    """environment steps between updates."""
    updates: int = 16
    """updates each time (16 per 25 steps: measured 4 left plain MADDPG at 22 of the oracle's 34 after 300 episodes,
    16 at 26–30)."""
    warmup: int = 500
    """transitions before the first update."""
    explore: float = 0.1
    """probability of a uniformly random action."""
    dropout: float = 0.0
    """probability that an agent misses an update's round (a lost or late message). Policy: the round's sum would
    lack that agent's share, so the survivors' shares — already sent, and counted by the accountant — are discarded
    and the update is skipped (``skipped``); training goes on with the next round."""
    critic: CriticSpec = CriticSpec()
    seed: int = 0

    def __post_init__(self) -> None:
        from tenfold.common.config import check_fields

        check_fields(
            self,
            positive=("episodes", "lr", "hidden", "batch", "replay", "update_every", "updates"),
            non_negative=("warmup", "seed"),
            fractions=("gamma", "tau", "explore", "dropout"),
        )
        if self.dropout >= 1:
            raise ValueError(f"dropout must be < 1 (every round lost), got {self.dropout!r}")


class Replay:
    """Joint transitions in preallocated arrays (a ring of ``capacity``; the oldest is overwritten first), so that a
    Poisson batch is a fancy index per agent rather than thousands of small stacks.

    Arrays: ``obs[i]`` and ``next_obs[i]`` [capacity, d_i], ``actions`` [capacity, N] ints, ``reward`` and ``done``
    [capacity]. Index k of :meth:`batch` counts from the oldest stored transition."""

    def __init__(self, obs_dims: list[int], capacity: int):
        self.capacity, self.size, self.start = capacity, 0, 0
        self.obs = [np.zeros((capacity, d)) for d in obs_dims]
        self.next_obs = [np.zeros((capacity, d)) for d in obs_dims]
        self.actions = np.zeros((capacity, len(obs_dims)), dtype=np.int64)
        self.reward = np.zeros(capacity)
        self.done = np.zeros(capacity)

    def __len__(self) -> int:
        return self.size

    def add(self, obs: list[np.ndarray], actions: list[int], reward: float, next_obs: list[np.ndarray], done: float):
        at = (self.start + self.size) % self.capacity
        if self.size == self.capacity:
            self.start = (self.start + 1) % self.capacity  # full: the oldest goes
        else:
            self.size += 1
        for i, (o, o2) in enumerate(zip(obs, next_obs, strict=True)):
            self.obs[i][at], self.next_obs[i][at] = o, o2
        self.actions[at], self.reward[at], self.done[at] = actions, reward, done

    def batch(self, idx: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]:
        """(obs per agent, actions [B, N], reward [B], next obs per agent, done [B]) of the transitions ``idx``."""
        at = (self.start + idx) % self.capacity
        obs = [o[at] for o in self.obs]
        return obs, self.actions[at], self.reward[at], [o[at] for o in self.next_obs], self.done[at]


class Maddpg:
    """Actors, the critic (central or split), targets, a replay of joint transitions, Poisson-sampled updates."""

    def __init__(self, obs_dims: list[int], n_actions: list[int], cfg: TrainConfig):
        if len(obs_dims) != len(n_actions) or not obs_dims:
            raise UserError(
                f"mismatched agent counts: {len(obs_dims)} observation sizes but {len(n_actions)} action sizes"
            )
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
        self.noise_rng = np.random.default_rng(cfg.seed + 7)
        self.obs_dims, self.n_actions = obs_dims, n_actions
        self.actors = [MLP((d, cfg.hidden, a), self.rng) for d, a in zip(obs_dims, n_actions, strict=True)]
        self.target_actors = [MLP(a.sizes, self.rng) for a in self.actors]
        for t, a in zip(self.target_actors, self.actors, strict=True):
            t.copy_from(a)
        dims = [d + a for d, a in zip(obs_dims, n_actions, strict=True)]
        self.critic = Critic(dims, cfg.critic, cfg.hidden, self.rng)
        self.target = Critic(dims, cfg.critic, cfg.hidden, self.rng)
        self.target.soft_update(self.critic, 1.0)
        self.actor_opt = [Adam(a.params, a.grads, cfg.lr) for a in self.actors]
        self.critic_opt = Adam(*self.critic.params(), lr=cfg.lr)
        self.buffer = Replay(obs_dims, cfg.replay)
        self.updates = 0
        self.on_release = None
        """hook(critic, pass, inputs): called after each critic forward that releases something (the current and
        the target pass): HE on sampled updates, the ledger, attack data."""
        self.sampling_rates: list[float] = []
        """q of every update's Poisson batch (the accountant composes them)."""
        self.skipped = 0
        """rounds skipped because an agent dropped out (``TrainConfig.dropout``)."""

    def act(self, obs: list[np.ndarray], greedy: bool = False) -> list[int]:
        out = []
        for pi, o, n in zip(self.actors, obs, self.n_actions, strict=True):
            p = softmax(pi(o[None])[0])
            if greedy:
                out.append(int(p.argmax()))
            elif self.rng.random() < self.cfg.explore:
                out.append(int(self.rng.integers(n)))
            else:
                out.append(int(self.rng.choice(n, p=p)))
        return out

    def store(self, obs, actions, reward, next_obs, done) -> None:
        self.buffer.add(obs, actions, reward, next_obs, done)

    def _onehot(self, a: np.ndarray, n: int) -> np.ndarray:
        return np.eye(n)[a]

    def update(self) -> dict[str, float] | None:
        """One Poisson-sampled critic and actor update (None when the batch came out empty)."""
        cfg = self.cfg
        n = len(self.buffer)
        q = min(1.0, cfg.batch / n)
        idx = np.flatnonzero(self.rng.random(n) < q)
        self.sampling_rates.append(q)  # a release happens even for an empty batch (it is all noise)
        if idx.size == 0:
            return None
        if cfg.dropout > 0 and (self.rng.random(len(self.actors)) < cfg.dropout).any():
            self.skipped += 1  # the dropout policy (TrainConfig.dropout): discard the round, never wait for it
            return None
        obs, actions, rew, nxt, done = self.buffer.batch(idx)
        acts = [self._onehot(actions[:, i], n) for i, n in enumerate(self.n_actions)]
        # -- critic: y = r + γ(1 − done) Q'(o', π'(o')) ---------------------------------------------------------
        next_p = [softmax(t(o)) for t, o in zip(self.target_actors, nxt, strict=True)]
        next_xs = [np.concatenate([o, p], 1) for o, p in zip(nxt, next_p, strict=True)]
        q_next = self.target.forward(next_xs, self.noise_rng)
        if self.on_release:
            self.on_release(self.target, "target", next_xs)
        local = self.critic.spec.kind == "local"
        per_agent = self.critic.per_agent
        y = (rew + cfg.gamma * (1 - done) * q_next.T).T if per_agent else rew + cfg.gamma * (1 - done) * q_next
        xs = [np.concatenate([o, a], 1) for o, a in zip(obs, acts, strict=True)]
        self.critic.zero_grad()
        q = self.critic.forward(xs, self.noise_rng)
        if self.on_release:
            self.on_release(self.critic, "current", xs)
        td = q - y
        self.critic.backward(2 * td / len(td))
        self.critic_opt.step()
        if local:
            self.critic.federated_average()
        shared = list(self.critic.released) if self.critic.spec.kind == "central" else None
        # -- actors: ascend Q through each agent's own action input (its own data stays local: no new release) -------
        for i, (pi, opt) in enumerate(zip(self.actors, self.actor_opt, strict=True)):
            pi.zero_grad()
            logits = pi(obs[i])
            p = softmax(logits)
            own = np.concatenate([obs[i], p], 1)
            ones = -np.ones((len(p), 1)) / len(p)
            if self.critic.spec.kind == "split":
                # the agent knows its own released m̃_i: u^(i) = u − m̃_i + its fresh representation
                raw = self.critic.bottoms[i](own)
                mine = clip_rows(raw, self.critic.spec.clip)  # the same clip as every release, else g sees new inputs
                scale = np.where(np.abs(raw) > 0, mine / np.where(raw == 0, 1, raw), 1.0)
                if per_agent:
                    self.critic.own_q(i, own, mine)
                    gx = self.critic.own_backward(i, ones, scale)
                else:
                    self.critic.top(self.critic.u - self.critic.released[i] + mine)
                    gx = self.critic.bottoms[i].backward(self.critic.top.backward(ones) * scale)
            elif local:
                self.critic.nets[i](own)
                gx = self.critic.nets[i].backward(ones)
            else:
                inputs = list(shared)  # the others' inputs as they were shared
                inputs[i] = own
                self.critic.nets[0](np.concatenate(inputs, axis=1))
                gx = np.split(self.critic.nets[0].backward(ones), np.cumsum(self.critic.dims)[:-1], axis=1)[i]
            gp = gx[:, self.obs_dims[i] :]
            glogits = p * (gp - (gp * p).sum(1, keepdims=True))  # softmax Jacobian
            pi.backward(glogits)
            opt.step()
        self.critic.zero_grad()  # the actor passes must not leak into the critic's next step
        for t, a in zip(self.target_actors, self.actors, strict=True):
            t.copy_from(a, cfg.tau)
        self.target.soft_update(self.critic, cfg.tau)
        self.updates += 1
        return {"critic_loss": float((td**2).mean()), "q": float(np.mean(q)), "batch": int(idx.size)}


def run_episodes(
    env,
    agent: Maddpg | None,
    seeds: list[int],
    train: bool = True,
    greedy: bool = False,
    rng: np.random.Generator | None = None,
    seconds: dict[str, float] | None = None,
    on_episode: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Play one episode per environment seed in ``seeds`` — training ``agent`` when ``train``, a uniform-random
    policy (from ``rng``) when ``agent`` is None — and return each episode's team return (the mean of the agents'
    rewards). ``seconds`` accumulates ``environment`` and ``networks`` time; ``on_episode(k, return)`` is called
    after each episode (progress, metrics written as they come)."""
    names = env.possible_agents
    rng = rng if rng is not None else np.random.default_rng(0)
    clock = seconds if seconds is not None else {}
    clock.setdefault("environment", 0.0)
    clock.setdefault("networks", 0.0)
    returns, steps = [], 0
    for episode_seed in seeds:
        obs, _ = env.reset(seed=episode_seed)
        total = 0.0
        while env.agents:
            o = [obs[a] for a in names]
            t0 = time.perf_counter()
            acts = (
                [int(rng.integers(env.action_space(a).n)) for a in names]
                if agent is None
                else agent.act(o, greedy=greedy)
            )
            t1 = time.perf_counter()
            nxt, rew, term, _, _ = env.step(dict(zip(names, acts, strict=True)))
            t2 = time.perf_counter()
            clock["networks"] += t1 - t0
            clock["environment"] += t2 - t1
            r = float(np.mean([rew[a] for a in names]))
            total += r
            if agent is not None and train:
                agent.store(o, acts, r, [nxt[a] for a in names], float(all(term.values())))
                steps += 1
                if len(agent.buffer) >= agent.cfg.warmup and steps % agent.cfg.update_every == 0:
                    t0 = time.perf_counter()
                    for _ in range(agent.cfg.updates):
                        agent.update()
                    clock["networks"] += time.perf_counter() - t0
            obs = nxt
        returns.append(total)
        if on_episode is not None:
            on_episode(len(returns) - 1, total)
    return returns
