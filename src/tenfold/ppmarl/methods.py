"""The six methods on one MADDPG core (:data:`~.names.METHODS`), each run end to end with its messages encrypted,
routed and logged on a sample of updates, its time split into environment, networks and cryptography, its ε, and
what a curious party saw (for the attacks).

| method | critic | what leaves agent i per critic pass | who sees what (the attacker's view, README) |
|---|---|---|---|
| ``plain`` | central | raw x_i = [o_i, a_i] in plaintext; the server forwards the others' | server and peers: raw x_i |
| ``he-raw`` | central | raw x_i under CKKS; the server forwards the ciphertexts | peers decrypt the others' raw x_i |
| ``federated`` | local | its critic's parameters under CKKS; the server averages them | averaged parameters only |
| ``dp-only`` | central | clip(x_i) + N(0, σ²C²) in plaintext | server and peers: the noised x̃_i |
| ``split`` | split | m_i = clip(f_i(x_i)) in plaintext; the server sums | server: each m_i |
| ``pp-marl`` | split | m̃_i = clip(f_i(x_i)) + N(0, σ²C²) under CKKS; the server sums | peers: Σ m̃ minus their own |

Learning runs on plaintext numbers in every method; on every ``he_every``-th update the real ciphertexts are made,
summed by the server and decrypted, and the decrypted sum is checked against the plaintext one (CKKS at scale 2^40 is
exact to ~1e-8, far below the DP noise and the float32 of a network: encrypting every update could not change
learning beyond that tolerance, and costs what the benchmark reports).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tenfold.common.errors import UserError
from tenfold.ppmarl.dp import epsilon_sequence
from tenfold.ppmarl.he import FAST, CkksProfile, KeyAuthority
from tenfold.ppmarl.ledger import Ledger
from tenfold.ppmarl.maddpg import CriticSpec, Maddpg, TrainConfig, run_episodes
from tenfold.ppmarl.names import AGGREGATORS, ENVS, METHODS
from tenfold.ppmarl.secagg import PaillierAggregator, PairwiseMasking

ENCRYPTED = ("he-raw", "federated", "pp-marl")
NOISED = ("dp-only", "pp-marl")


def make_env(name: str, seed: int = 0):
    """A ParallelEnv by name (:data:`~.names.ENVS`)."""
    if name == "drone":
        from tenfold.ppmarl.envs import DroneCellEnv

        return DroneCellEnv()
    if name == "edge":
        from tenfold.ppmarl.envs import EdgeOffloadEnv

        return EdgeOffloadEnv()
    if name == "spread":
        from mpe2 import simple_spread_v3

        return simple_spread_v3.parallel_env(N=3, max_cycles=25, continuous_actions=False)
    raise UserError(f"unknown environment {name!r}; known: {', '.join(ENVS)}")


def critic_spec(method: str, rep: int, clip: float, sigma: float, top: str = "own") -> CriticSpec:
    if method not in METHODS:
        raise UserError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    kind = {"federated": "local", "split": "split", "pp-marl": "split"}.get(method, "central")
    return CriticSpec(
        kind=kind,
        rep=rep,
        clip=clip,
        sigma=sigma if method in NOISED else 0.0,
        noise_inputs=method == "dp-only",
        top=top,
    )


@dataclass(frozen=True)
class MethodConfig:
    """One method's run."""

    env: str = "drone"
    method: str = "pp-marl"
    train: TrainConfig = field(default_factory=TrainConfig)
    rep: int = 4
    """h, the split critic's representation size."""
    clip: float = 1.0
    """C."""
    sigma: float = 1.0
    """noise multiplier of the DP methods."""
    top: str = "own"
    """the split critic's top (:class:`~.maddpg.CriticSpec`): ``own`` or ``shared``."""
    delta: float = 1e-5
    group: int = 2
    """privacy unit: a group of this many transitions (an observation is in two: as o_t and as o'_{t−1})."""
    he_every: int = 50
    """encrypt, aggregate and decrypt for real on every this-many-th update (and the first)."""
    aggregator: str = "ckks"
    """how PP-MARL's sum is protected: ``ckks`` (the paper's HE), ``secagg`` (pairwise masks: no key holder, exact)
    or ``paillier`` (exact, ~10^5× slower: a reference for a few sampled updates only)."""
    paillier_bits: int = 2048
    """Paillier key size (tests use small keys for speed; 2048 is the secure one)."""
    profile: CkksProfile = FAST
    eval_episodes: int = 100
    """greedy evaluation episodes (the same environment seeds for every method and for the random policy: paired;
    one episode's return varies by ±15 with where the users are)."""
    attack_samples: int = 3000
    """(view, private feature) pairs of agent 0 kept from the last updates' current passes."""

    def __post_init__(self) -> None:
        from tenfold.common.config import check_fields

        check_fields(
            self,
            positive=("rep", "clip", "delta", "group", "he_every", "paillier_bits", "eval_episodes", "attack_samples"),
            non_negative=("sigma",),
            choices={"env": ENVS, "method": METHODS, "aggregator": AGGREGATORS, "top": ("own", "shared")},
        )
        if not 0 < self.delta < 1:
            raise ValueError(f"delta must be in (0, 1), got {self.delta!r}")
        if self.method in NOISED and self.sigma == 0:
            raise ValueError(f"{self.method} adds DP noise: sigma must be > 0")


@dataclass
class MethodResult:
    env: str
    method: str
    seed: int
    train_returns: list[float]
    eval_return: float
    """mean greedy team return over ``eval_episodes`` held-out episodes."""
    random_return: float
    """the uniform-random policy's mean team return on the same episodes (normalised return 0)."""
    updates: int
    bytes_per_update: dict[str, float]
    """message kind → bytes per update over all agents (both passes), from the ledger of the sampled updates."""
    seconds: dict[str, float]
    """environment, networks, cryptography (per sampled update × updates: an estimate), total."""
    epsilon: float | None
    he_max_error: float | None
    """largest |decrypted − plaintext| over the sampled updates' aggregates."""
    max_release_norm: float | None
    """split critics: the largest L2 norm of a released per-sample representation before its noise, over every
    update (≤ C: the sensitivity the accountant assumes)."""
    skipped: int
    """rounds skipped because an agent dropped out."""
    views: np.ndarray | None = None
    targets: np.ndarray | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("views", "targets")}


class _Wire:
    """The on_release hook: logs bytes, does the real cryptography on sampled updates, keeps attack views."""

    def __init__(self, cfg: MethodConfig, agent: Maddpg, n_agents: int, private: slice, obs_dim: int):
        self.cfg, self.agent, self.n, self.private, self.obs_dim = cfg, agent, n_agents, private, obs_dim
        self.ledger = Ledger()
        self.sampled = 0
        self.crypto_s = 0.0
        self.he_err = 0.0
        self.views: list[np.ndarray] = []
        self.targets: list[np.ndarray] = []
        self.max_norm: float | None = None
        if cfg.aggregator not in AGGREGATORS:
            raise UserError(f"unknown aggregator {cfg.aggregator!r}; known: {', '.join(AGGREGATORS)}")
        masked = cfg.method == "pp-marl" and cfg.aggregator != "ckks"
        self.masks = PairwiseMasking(n_agents, cfg.train.seed) if masked and cfg.aggregator == "secagg" else None
        self.paillier = PaillierAggregator(cfg.paillier_bits) if masked and cfg.aggregator == "paillier" else None
        self.authority = KeyAuthority(cfg.profile) if cfg.method in ENCRYPTED and not masked else None
        if self.authority is not None:
            self.server = self.authority.server()
            self.crypto = [self.authority.agent() for _ in range(n_agents)]
            # setup: the server's public context (counted once, not per update)
            self.ledger.record("authority", "server", "context", self.authority.public_context())

    def sampling(self) -> bool:
        u = self.agent.updates
        return u % self.cfg.he_every == 0

    def __call__(self, critic, which: str, xs: list[np.ndarray]) -> None:
        m = self.cfg.method
        if critic.spec.kind == "split":
            norm = max(float(np.linalg.norm(c, axis=1).max(initial=0.0)) for c in critic.clean)
            self.max_norm = max(self.max_norm or 0.0, norm)
        if which == "current":
            self._keep_view(critic, xs)
        if not self.sampling():
            return
        if which == "current":
            self.sampled += 1
        agents = [f"agent{i}" for i in range(self.n)]
        kinds = ("parameters", "average") if m == "federated" else ("representation", "aggregate")
        if m in ("plain", "dp-only"):  # plaintext float32 rows, forwarded
            self.ledger.forwarded(agents, [[x.astype(np.float32).tobytes()] for x in critic.released], "raw")
            return
        if m == "split":  # plaintext representations up, their sum down
            reps = [[r.astype(np.float32).tobytes()] for r in critic.released]
            self.ledger.summed(agents, reps, [critic.u.astype(np.float32).tobytes()], kinds)
            return
        t0 = time.perf_counter()
        if m == "he-raw":
            sent = [self.crypto[i].encrypt(xs[i]) for i in range(self.n)]
            self.ledger.forwarded(agents, [[c.payload for c in msgs] for msgs in sent], "raw")
            truth, back = xs[0], self.crypto[1].decrypt(sent[0], xs[0].shape)  # a peer decrypts agent 0's rows
        else:
            plain = [critic.flat_params(i) for i in range(self.n)] if m == "federated" else list(critic.released)
            truth = np.sum(plain, axis=0)
            if self.masks is not None:
                round_ = 2 * self.agent.updates + (which == "current")  # fresh masks for every release
                sent_masked = [self.masks.mask(i, plain[i], round_) for i in range(self.n)]
                back = self.masks.aggregate(dict(enumerate(sent_masked)), round_).reshape(truth.shape)
                self.ledger.summed(agents, [[b] for b in sent_masked], [back.astype(np.float64).tobytes()], kinds)
            elif self.paillier is not None:
                enc = [self.paillier.encrypt(p) for p in plain]
                summed = self.paillier.aggregate(enc)
                back = self.paillier.decrypt(summed).reshape(truth.shape)
                nbytes = self.paillier.nbytes
                self.ledger.summed(agents, [[nbytes(c)] for c in enc], [nbytes(summed)], kinds)
            else:
                sent = [self.crypto[i].encrypt(plain[i]) for i in range(self.n)]
                total = self.server.aggregate(sent)
                back = self.crypto[0].decrypt(total, truth.shape)
                self.ledger.summed(
                    agents, [[c.payload for c in msgs] for msgs in sent], [c.payload for c in total], kinds
                )
        self.he_err = max(self.he_err, float(np.abs(back - truth).max()))
        self.crypto_s += time.perf_counter() - t0

    def _keep_view(self, critic, xs: list[np.ndarray]) -> None:
        """Agent 0's private features, and what the curious party of this method saw of them."""
        m = self.cfg.method
        if m == "federated":
            return  # only averaged parameters leave an agent: no per-sample view to attack
        if m in ("plain", "he-raw", "dp-only"):
            view = critic.released[0] if m == "dp-only" else xs[0]
        elif m == "split":
            view = critic.released[0]  # the server receives each m_i in plaintext
        else:  # pp-marl: a curious peer (agent 1) decrypts Σ m̃ and removes its own share
            view = critic.u - critic.released[1]
        self.views.append(view)
        self.targets.append(xs[0][:, self.private])
        kept = sum(len(v) for v in self.views)
        while kept - len(self.views[0]) >= self.cfg.attack_samples:
            kept -= len(self.views[0])
            self.views.pop(0)
            self.targets.pop(0)


def run_method(
    cfg: MethodConfig, seed: int = 0, on_episode: Callable[[int, float], None] | None = None
) -> MethodResult:
    """Train ``cfg.method`` on ``cfg.env`` and measure it (see the module docstring); ``on_episode(k, return)``
    after each training episode."""
    try:  # matrices of a few hundred rows: BLAS threads only fight over the cores (measured 20× slower with 3 runs)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return _run_method(cfg, seed, on_episode)
    except ImportError:
        return _run_method(cfg, seed, on_episode)


def _run_method(cfg: MethodConfig, seed: int, on_episode: Callable[[int, float], None] | None) -> MethodResult:
    env = make_env(cfg.env)
    names = env.possible_agents
    obs_dims = [env.observation_space(a).shape[0] for a in names]
    n_actions = [env.action_space(a).n for a in names]
    train = TrainConfig(
        **{**cfg.train.__dict__, "critic": critic_spec(cfg.method, cfg.rep, cfg.clip, cfg.sigma, cfg.top), "seed": seed}
    )
    agent = Maddpg(obs_dims, n_actions, train)
    private = env.private_features(names[0]) if hasattr(env, "private_features") else slice(0, obs_dims[0])
    wire = _Wire(cfg, agent, len(names), private, obs_dims[0])
    agent.on_release = wire
    clock: dict[str, float] = {}
    episode_seeds = [seed * 100_000 + ep for ep in range(train.episodes)]
    returns = run_episodes(env, agent, episode_seeds, seconds=clock, on_episode=on_episode)
    env_s, nn_s = clock["environment"], clock["networks"]
    eval_return = evaluate(env, agent, cfg.eval_episodes, seed)
    random_return = evaluate(env, None, cfg.eval_episodes, seed)
    nn_s -= wire.crypto_s  # the sampled cryptography ran inside the updates
    per_update = {k: v / max(wire.sampled, 1) for k, v in wire.ledger.by_kind().items() if k != "context"}
    eps = None
    if cfg.method in NOISED:
        eps = epsilon_sequence(agent.sampling_rates, 2, cfg.sigma, cfg.delta, cfg.group)
    crypto = wire.crypto_s / max(wire.sampled, 1) * agent.updates
    views = np.concatenate(wire.views) if wire.views else None
    targets = np.concatenate(wire.targets) if wire.targets else None
    return MethodResult(
        cfg.env,
        cfg.method,
        seed,
        returns,
        eval_return,
        random_return,
        agent.updates,
        per_update,
        {"environment": env_s, "networks": nn_s, "cryptography (extrapolated)": crypto, "total": env_s + nn_s + crypto},
        eps,
        wire.he_err if cfg.method in ENCRYPTED else None,
        wire.max_norm,
        agent.skipped,
        views,
        targets,
    )


def evaluate(env, agent: Maddpg | None, episodes: int, seed: int) -> float:
    """Mean team return of greedy actions (a uniform-random policy when ``agent`` is None) on held-out seeds."""
    seeds = [10**9 + seed * 1000 + ep for ep in range(episodes)]
    rng = np.random.default_rng(seed + 999)
    return float(np.mean(run_episodes(env, agent, seeds, train=False, greedy=True, rng=rng)))
