"""Training runs: asynchronous (DistRL) and synchronous (DigiRL-style) collection around one learner.

Two clocks:

* **simulated** (``time_scale = 0``, the default): workers never sleep; each step's device latency is virtual, and
  so is the learner's time per update (``update_seconds``, or the measured compute time when None). An event loop
  orders worker arrivals and learner updates by virtual time, so a learning curve over an hour of virtual devices
  takes seconds, and the schedule — which worker collects which episode with which policy version — depends only on
  the seed, never on the backend or the machine's speed (the Ray backend is tested against threads on it);
* **real** (``time_scale > 0``): workers sleep ``latency × time_scale``; the learner trains while they collect and
  takes whichever episode finishes first (``Backend.first``: ``ray.wait`` on Ray) — the system as deployed.

Asynchronous: every worker starts its next episode the moment it finishes, with the newest published policy; the
learner updates back to back once ``min_buffer`` trajectories are in, publishing a version per update.
Synchronous: all workers start a round together with the same policy; the round ends with the slowest; then the
learner trains ``sync_updates`` updates per collected episode, and only then does the next round start.

Official code: ``distrl/algorithms/offpolicy_train_loop.py`` (learner), ``Async_parallel.py`` /
``Sync_parallel.py`` (collection).
"""

from __future__ import annotations

import heapq
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tenfold.common.config import check_fields
from tenfold.common.progress import progress
from tenfold.distrl.device import Latency, oracle_action
from tenfold.distrl.env import PhoneEnv, candidates
from tenfold.distrl.evaluators import EvaluatorConfig
from tenfold.distrl.learner import Learner, LearnerConfig, Trajectory
from tenfold.distrl.names import BACKENDS, MODES
from tenfold.distrl.policy import Agent, batch
from tenfold.distrl.workers import Backend, WorkerDied, WorkerSpec, make_backend


@dataclass(frozen=True)
class WarmStart:
    """The starting policy (the paper starts from AutoUI, a policy trained on human demonstrations of every kind of
    task): behaviour cloning on the scripted oracle's episodes of ``per_app`` training tasks of each app, ``epochs``
    passes."""

    per_app: int = 2
    """training tasks demonstrated per app (0: a random initial policy; 2 gives 0.45–0.66 held-out success, the room
    RL has to improve, as AutoUI's 17.7 % does in the paper)."""
    epochs: int = 100
    """passes over the demonstrations."""
    lr: float = 1e-2

    def __post_init__(self) -> None:
        check_fields(self, non_negative=("per_app", "epochs"), positive=("lr",))


@dataclass(frozen=True)
class RunConfig:
    """One training run."""

    mode: str = "async"
    """``async`` (DistRL) or ``sync`` (rounds, DigiRL's multi-machine collection)."""
    workers: int = 8
    """devices collecting in parallel."""
    budget: float = 1200.0
    """simulated seconds of training (wall-clock of the simulated system)."""
    update_seconds: float | None = 0.5
    """simulated seconds one learner update takes (None: its measured compute time)."""
    sync_updates: float = 1.0
    """synchronous mode: learner updates per collected episode after each round."""
    eval_every: float = 150.0
    """simulated seconds between held-out evaluations."""
    eval_samples: int = 8
    """sampled episodes per held-out task at each evaluation (0: one greedy episode per task)."""
    lag: int = 0
    """injected staleness: workers act with the policy this many versions behind the newest (the ablation)."""
    restart_seconds: float = 30.0
    """simulated seconds to replace a dead worker (relaunching an emulator)."""
    faults: tuple[tuple[int, int, int], ...] = ()
    """injected deaths: (worker, episode, after this many steps)."""
    backend: str = "threads"
    """where workers run: threads, processes or ray."""
    ray_address: str | None = None
    """a running Ray cluster to join (ray backend)."""
    time_scale: float = 0.0
    """0: the simulated clock; > 0: real seconds per simulated second (workers sleep)."""
    checkpoint_every: int = 0
    """save the learner every this many updates (0: never)."""
    learner: LearnerConfig = field(default_factory=LearnerConfig)
    warm: WarmStart = field(default_factory=WarmStart)
    max_steps: int = 10
    """steps before an episode is cut."""
    latency: Latency = field(default_factory=Latency)
    """the devices' step latency (base, jitter, stalls)."""
    evaluator: EvaluatorConfig = field(default_factory=EvaluatorConfig)
    """who judges success for the reward: the programmatic check, or a noisy, slow judge (held-out evaluation always
    uses the programmatic check)."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("workers", "budget", "eval_every", "update_seconds", "sync_updates", "max_steps"),
            non_negative=("lag", "restart_seconds", "time_scale", "checkpoint_every"),
            choices={"mode": MODES, "backend": BACKENDS},
        )


@dataclass
class Point:
    """One evaluation of the learning curve."""

    seconds: float
    """simulated seconds since the start."""
    version: int
    heldout: float
    """success rate on the held-out tasks (``eval_samples`` sampled episodes per task, or greedy)."""
    train: float
    """greedy success rate on the training tasks."""
    episodes: int
    transitions: int


@dataclass
class RunResult:
    mode: str
    method: str
    seed: int
    curve: list[Point]
    episodes: int
    transitions: int
    updates: int
    seconds: float
    """simulated seconds at the end."""
    wall: float
    """real seconds the run took."""
    per_worker: dict[int, int]
    """transitions collected by each worker."""
    tags: dict[int, list[int]]
    """the policy version of each episode each worker delivered, in order."""
    lost: int = 0
    """episodes lost to dead workers (never in the buffer)."""
    dead: list[tuple[int, int]] = field(default_factory=list)
    """(worker, episode) of each episode a worker died in."""
    delivered: dict[int, list[int]] = field(default_factory=dict)
    """the episode numbers each worker delivered, in order (what entered the buffer)."""
    replaced: int = 0
    """dead workers replaced by fresh ones."""
    mean_lag: float = 0.0
    """mean versions between the acting policy and the learner at update time."""

    @property
    def final(self) -> Point:
        return self.curve[-1]

    def at(self, seconds: float) -> Point:
        """The last evaluation at or before ``seconds``."""
        return [p for p in self.curve if p.seconds <= seconds + 1e-9][-1]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["per_worker"] = {str(k): v for k, v in self.per_worker.items()}
        out["tags"] = {str(k): v for k, v in self.tags.items()}
        out["delivered"] = {str(k): v for k, v in self.delivered.items()}
        return out


# -- evaluation and warm start ---------------------------------------------------------------------------------------
@torch.no_grad()
def evaluate(agent: Agent, split: str = "test", max_steps: int = 10, samples: int = 0) -> float:
    """Success rate over every task of ``split``: greedy (``samples = 0``) or the mean over ``samples`` seeded sampled
    episodes per task — the policy's success probability, finer than a greedy pass over a dozen tasks."""
    env = PhoneEnv(split=split, max_steps=max_steps, features=agent.features)
    wins = episodes = 0
    for i in range(len(env.tasks)):
        for k in range(max(1, samples)):
            gen = torch.Generator().manual_seed(1000 * i + k)
            obs, _ = env.reset(seed=0, options={"task": i})
            while True:
                logits = agent.logits(batch([obs]))[0]
                a = (
                    int(logits.argmax())
                    if samples == 0
                    else int(torch.multinomial(torch.softmax(logits, -1), 1, generator=gen))
                )
                obs, r, term, trunc, _ = env.step(a)
                if term or trunc:
                    wins += r > 0
                    episodes += 1
                    break
    return wins / episodes


def warm_start(cfg: WarmStart, features: int, hidden: int, seed: int, max_steps: int = 10) -> Agent:
    """Behaviour cloning on the oracle's episodes of ``cfg.per_app`` seeded-chosen training tasks of each app."""
    agent = Agent(features, hidden, seed)
    if cfg.per_app == 0 or cfg.epochs == 0:
        return agent
    env = PhoneEnv("train", max_steps=max_steps, features=features)
    rng = np.random.default_rng(seed)
    chosen = []
    for app in sorted({t.family for t in env.tasks}):
        ids = [i for i, t in enumerate(env.tasks) if t.family == app]
        chosen += rng.choice(ids, size=min(cfg.per_app, len(ids)), replace=False).tolist()
    obs_list, actions = [], []
    for i in chosen:
        obs, _ = env.reset(seed=0, options={"task": int(i)})
        for _ in range(max_steps):
            want = oracle_action(env.task, env.device)
            a = next(k for k, (act, _) in enumerate(candidates(env.task, env.device)) if act == want)
            obs_list.append(obs)
            actions.append(a)
            obs, _, term, trunc, _ = env.step(a)
            if term or trunc:
                break
    data, target = batch(obs_list), torch.tensor(actions)
    opt = torch.optim.Adam(agent.actor.parameters(), lr=cfg.lr)
    for _ in range(cfg.epochs):
        loss = -agent.log_prob(data, target).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return agent


# -- the run ---------------------------------------------------------------------------------------------------------
class _Run:
    """State shared by both modes: the learner, the backend, counters, published versions, the curve."""

    def __init__(self, cfg: RunConfig, seed: int, ckpt: Path | None):
        self.cfg, self.seed, self.ckpt = cfg, seed, ckpt
        lc = cfg.learner
        start = warm_start(cfg.warm, lc.features, lc.hidden, seed, cfg.max_steps)
        self.learner = Learner(lc, seed, start)
        self.published: list[tuple[float, int, dict[str, np.ndarray]]] = [(0.0, 0, self.learner.actor_weights())]
        self.next_episode = [0] * cfg.workers
        self.per_worker: Counter[int] = Counter()
        self.tags: dict[int, list[int]] = {w: [] for w in range(cfg.workers)}
        self.delivered: dict[int, list[int]] = {w: [] for w in range(cfg.workers)}
        self.dead: list[tuple[int, int]] = []
        self.running: dict[int, int] = {}
        self.curve: list[Point] = []
        self.episodes = self.transitions = self.lost = 0
        self.lags: list[float] = []
        self.next_eval = 0.0
        self.faults = {(w, e): s for w, e, s in cfg.faults}
        self.wall0 = time.perf_counter()
        self.bar = progress(total=round(cfg.budget), desc=f"distrl {cfg.mode} {lc.method}", unit="sim s")
        if ckpt is not None and ckpt.exists():
            self._restore(torch.load(ckpt, weights_only=False))

    # versions ------------------------------------------------------------------------------------------------------
    def visible(self, t: float) -> tuple[int, dict[str, np.ndarray]]:
        """The policy a worker starting at ``t`` receives: the newest published by then, ``lag`` versions back."""
        seen = [p for p in self.published if p[0] <= t + 1e-12]
        _, version, weights = seen[max(0, len(seen) - 1 - self.cfg.lag)]
        return version, weights

    def publish(self, t: float) -> None:
        self.published.append((t, self.learner.version, self.learner.actor_weights()))
        if len(self.published) > self.cfg.lag + 8:  # workers only ever need the newest few
            del self.published[0]

    def update(self, t: float) -> float:
        """One learner update starting at simulated time ``t``; returns its simulated duration."""
        t0 = time.perf_counter()
        stats = self.learner.update()
        self.lags.append(stats.mean_lag)
        dur = self.cfg.update_seconds if self.cfg.update_seconds is not None else time.perf_counter() - t0
        if self.cfg.checkpoint_every and self.learner.updates % self.cfg.checkpoint_every == 0:
            self.save(t)
        return dur

    # data ------------------------------------------------------------------------------------------------------------
    def receive(self, traj: Trajectory) -> None:
        self.learner.add(traj)
        self.episodes += 1
        self.transitions += len(traj)
        self.per_worker[traj.worker] += len(traj)
        self.tags[traj.worker].append(traj.version)
        self.delivered[traj.worker].append(traj.episode)

    def job(self, backend: Backend, worker: int, t: float) -> None:
        version, weights = self.visible(t)
        ep = self.next_episode[worker]
        self.next_episode[worker] += 1
        self.running[worker] = ep
        backend.submit(worker, ep, version, weights, self.faults.get((worker, ep)))

    def evaluate_until(self, t: float) -> None:
        """Evaluate the policy visible at every evaluation time ≤ ``t`` not evaluated yet."""
        while self.next_eval <= min(t, self.cfg.budget) + 1e-9:
            version, weights = self.visible(self.next_eval)
            agent = Agent(self.cfg.learner.features, self.cfg.learner.hidden)
            agent.load_state_dict(
                {**self.learner.agent.state_dict(), **{k: torch.as_tensor(v) for k, v in weights.items()}}
            )
            m = self.cfg.max_steps
            self.curve.append(
                Point(
                    self.next_eval,
                    version,
                    evaluate(agent, "test", m, self.cfg.eval_samples),
                    evaluate(agent, "train", m),
                    self.episodes,
                    self.transitions,
                )
            )
            self.bar.update(round(min(self.next_eval, self.cfg.budget)) - self.bar.n)
            self.next_eval += self.cfg.eval_every

    # checkpoints -----------------------------------------------------------------------------------------------------
    def save(self, t: float) -> None:
        if self.ckpt is None:
            return
        state = {
            "learner": self.learner.state(),
            "clock": t,
            "published": self.published,
            "next_episode": self.next_episode,
            "per_worker": dict(self.per_worker),
            "tags": self.tags,
            "delivered": self.delivered,
            "dead": self.dead,
            "curve": [asdict(p) for p in self.curve],
            "counts": (self.episodes, self.transitions, self.lost),
            "lags": self.lags,
            "next_eval": self.next_eval,
        }
        tmp = self.ckpt.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.ckpt)  # atomic: a kill -9 leaves the previous checkpoint or the new one, never half

    def _restore(self, state: dict[str, Any]) -> None:
        self.learner.load_state(state["learner"])
        self.resumed_at = state["clock"]
        self.published = state["published"]
        self.next_episode = state["next_episode"]
        self.per_worker = Counter(state["per_worker"])
        self.tags = state["tags"]
        self.delivered, self.dead = state["delivered"], state["dead"]
        self.curve = [Point(**p) for p in state["curve"]]
        self.episodes, self.transitions, self.lost = state["counts"]
        self.lags = state["lags"]
        self.next_eval = state["next_eval"]

    def result(self, t: float) -> RunResult:
        self.evaluate_until(self.cfg.budget)
        self.bar.close()
        return RunResult(
            mode=self.cfg.mode,
            method=self.cfg.learner.method,
            seed=self.seed,
            curve=self.curve,
            episodes=self.episodes,
            transitions=self.transitions,
            updates=self.learner.updates,
            seconds=min(t, self.cfg.budget),
            wall=time.perf_counter() - self.wall0,
            per_worker=dict(sorted(self.per_worker.items())),
            tags=self.tags,
            lost=self.lost,
            dead=self.dead,
            delivered=self.delivered,
            mean_lag=float(np.mean(self.lags)) if self.lags else 0.0,
        )


def _arrive(run: _Run, backend: Backend, worker: int) -> Trajectory | None:
    """Collect ``worker``'s episode; a dead worker is replaced and its partial episode dropped."""
    try:
        return backend.wait(worker)
    except WorkerDied:
        backend.replace(worker)
        run.lost += 1
        run.dead.append((worker, run.running[worker]))
        return None


def _async_simulated(run: _Run, backend: Backend, t0: float) -> float:
    cfg = run.cfg
    events: list[tuple[float, int, Trajectory | None]] = []  # (arrival time, worker, trajectory or None if dead)
    starts = {}
    for w in range(cfg.workers):
        run.job(backend, w, t0)
        starts[w] = t0
    learner_at = t0  # when the learner can start its next update
    t = t0
    while True:
        # every in-flight episode is resolved so the earliest arrival is known (they compute in parallel)
        for w in list(backend.pending):
            traj = _arrive(run, backend, w)
            end = starts[w] + (traj.seconds if traj is not None else cfg.restart_seconds)
            heapq.heappush(events, (end, w, traj))
        arrival, w, traj = events[0]
        if run.learner.ready and learner_at < arrival and learner_at < cfg.budget:
            run.evaluate_until(learner_at)
            dur = run.update(learner_at)
            learner_at += dur
            run.publish(learner_at)
            continue
        if arrival >= cfg.budget:
            return cfg.budget
        heapq.heappop(events)
        t = arrival
        run.evaluate_until(t)
        if traj is not None:
            run.receive(traj)
        if not run.learner.ready or learner_at < t:
            learner_at = max(learner_at, t)  # an idle learner starts when data arrives
        run.job(backend, w, t)
        starts[w] = t


def _sync_simulated(run: _Run, backend: Backend, t0: float) -> float:
    cfg = run.cfg
    t = t0
    while t < cfg.budget:
        for w in range(cfg.workers):
            run.job(backend, w, t)
        arrivals = []
        for w in range(cfg.workers):
            traj = _arrive(run, backend, w)
            arrivals.append((t + (traj.seconds if traj is not None else cfg.restart_seconds), w, traj))
        end = max(a for a, _, _ in arrivals)  # the round waits for its slowest worker
        for a, _, traj in sorted(arrivals, key=lambda x: (x[0], x[1])):
            run.evaluate_until(a)
            if traj is not None:
                run.receive(traj)
        run.evaluate_until(end)
        t = end
        if run.learner.ready:
            n = max(1, round(cfg.sync_updates * sum(tr is not None for _, _, tr in arrivals)))
            for _ in range(n):
                if t >= cfg.budget or not run.learner.ready:
                    break
                t += run.update(t)
            run.publish(t)
    return t


def _real_clock(t0: float, scale: float) -> Callable[[], float]:
    """Simulated seconds now, on a real clock running at ``scale`` real seconds per simulated one, from ``t0``."""
    start = time.perf_counter() - t0 * scale
    return lambda: (time.perf_counter() - start) / scale


def _async_real(run: _Run, backend: Backend, t0: float) -> float:
    cfg = run.cfg
    now = _real_clock(t0, cfg.time_scale)
    for w in range(cfg.workers):
        run.job(backend, w, now())
    while now() < cfg.budget:
        w = backend.first(timeout=0.0 if run.learner.ready else 0.05)
        if w is not None:
            traj = _arrive(run, backend, w)
            if traj is not None:
                run.receive(traj)
            run.job(backend, w, now())
            continue
        if run.learner.ready:
            run.update(now())
            run.publish(now())
            run.evaluate_until(now())
    for w in list(backend.pending):  # episodes still running at the end are not counted
        _arrive(run, backend, w)
    return cfg.budget


def _sync_real(run: _Run, backend: Backend, t0: float) -> float:
    cfg = run.cfg
    now = _real_clock(t0, cfg.time_scale)
    while now() < cfg.budget:
        for w in range(cfg.workers):
            run.job(backend, w, now())
        got = 0
        for w in range(cfg.workers):
            traj = _arrive(run, backend, w)
            if traj is not None:
                run.receive(traj)
                got += 1
        run.evaluate_until(now())
        if run.learner.ready:
            for _ in range(max(1, round(cfg.sync_updates * got))):
                if not run.learner.ready:
                    break
                run.update(now())
            run.publish(now())
    return cfg.budget


def train(cfg: RunConfig, seed: int = 0, checkpoint: Path | None = None, agent_out: Path | None = None) -> RunResult:
    """Train with ``cfg`` (see the module docstring).

    Args:
        cfg: the run.
        seed: seeds the warm start, the learner and every worker's episodes.
        checkpoint: save the learner there every ``checkpoint_every`` updates, and resume from it when it exists
            (counts, versions, buffer and curve survive; the order after a resume is not bit-identical to an
            uninterrupted run: episodes in flight at the kill are lost; workers go on with the next episode numbers).
        agent_out: save the final agent there with its config (what ``tenfold distrl play`` loads).
    """
    run = _Run(cfg, seed, checkpoint)
    t0 = getattr(run, "resumed_at", 0.0)
    spec = WorkerSpec(
        seed,
        "train",
        cfg.max_steps,
        cfg.learner.features,
        cfg.learner.hidden,
        cfg.latency,
        cfg.time_scale,
        cfg.evaluator,
    )
    drivers = {
        ("async", False): _async_simulated,
        ("sync", False): _sync_simulated,
        ("async", True): _async_real,
        ("sync", True): _sync_real,
    }
    with make_backend(cfg.backend, cfg.workers, spec, cfg.ray_address) as backend:
        end = drivers[(cfg.mode, cfg.time_scale > 0)](run, backend, t0)
        result = run.result(end)
        result.replaced = backend.replaced
    if agent_out is not None:
        torch.save({"config": asdict(cfg), "agent": run.learner.agent.state_dict()}, agent_out)
    return result


def measure_collection(
    backend: str, workers: int, mode: str, steps: int, time_scale: float, seed: int = 0, ray_address: str | None = None
) -> dict[str, float]:
    """Collection alone (a fixed random-initialised policy, no learner) for about ``steps`` steps per worker on a real
    backend whose workers sleep ``latency × time_scale``: asynchronous (each worker restarts at once; the first
    finished episode is taken, ``ray.wait`` on Ray) or synchronous (rounds that wait for the slowest).

    Returns transitions per real second and per simulated second (real / ``time_scale``)."""
    spec = WorkerSpec(seed, "train", 10, 64, 16, Latency(), time_scale)
    weights = Agent(64, 16, seed).state_dict()
    weights = {k: v.numpy() for k, v in weights.items() if k.startswith("actor.")}
    target = steps * workers
    done = episode = 0
    with make_backend(backend, workers, spec, ray_address) as b:
        for w in range(workers):  # start-up (process spawn, actor creation) is not collection time
            b.submit(w, episode, 0, weights)
            b.wait(w)
            episode += 1
        t0 = time.perf_counter()
        if mode == "async":
            for w in range(workers):
                b.submit(w, episode, 0, weights)
                episode += 1
            while done < target:
                w = b.first()
                done += len(b.wait(w))
                b.submit(w, episode, 0, weights)
                episode += 1
            seconds = time.perf_counter() - t0
            for w in list(b.pending):
                b.wait(w)
        else:
            while done < target:
                for w in range(workers):
                    b.submit(w, episode, 0, weights)
                    episode += 1
                done += sum(len(b.wait(w)) for w in range(workers))
            seconds = time.perf_counter() - t0
    rate = done / seconds
    return {"transitions": done, "seconds": seconds, "rate": rate, "simulated_rate": rate * time_scale}


def variant(cfg: RunConfig, **changes: Any) -> RunConfig:
    """``cfg`` with run fields and learner fields changed by name (``method=...`` goes to the learner)."""
    learner_fields = set(LearnerConfig.__dataclass_fields__)
    lc = {k: v for k, v in changes.items() if k in learner_fields}
    rc = {k: v for k, v in changes.items() if k not in learner_fields}
    return replace(cfg, learner=replace(cfg.learner, **lc), **rc)
