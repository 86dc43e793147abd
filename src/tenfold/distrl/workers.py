"""Workers that drive simulated phones, and the three backends that run them behind one interface.

A :class:`Worker` is long-lived: it keeps its environment and a copy of the actor, and hot-swaps the actor's weights
only when a job names a version it does not hold yet. Every episode is seeded by (run seed, worker, episode number) —
task, sampled actions and latencies — so the same schedule of (worker, episode, version) jobs gives the same
trajectories on every backend; that is what lets the Ray backend be tested against threads.

Backends (:data:`~tenfold.distrl.names.BACKENDS`):

* ``threads``    one thread per worker (the default; the GIL is released while a step "waits" on the device);
* ``processes``  one spawned process per worker, jobs and trajectories over a pipe;
* ``ray``        one Ray actor per worker (``num_cpus=0``, so more workers than cores can share a machine), weights
  put in the object store once per version and passed by reference, ``ray.wait`` for the first finished episode;
  ``ray_address`` joins an existing cluster.

A worker that dies mid-episode (a crash, ``kill -9``, a lost node) loses its partial trajectory — only finished
episodes are ever sent — and :meth:`Backend.replace` starts a fresh one in its place.

Official code: ``distrl/Async_parallel.py`` (SSH + SFTP, full checkpoints copied to every worker, a new process per
collection round).
"""

from __future__ import annotations

import os
import threading
import time
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tenfold.common.errors import UserError
from tenfold.distrl.device import Latency
from tenfold.distrl.evaluators import Evaluator, EvaluatorConfig
from tenfold.distrl.learner import Step, Trajectory, load_actor


class WorkerDied(RuntimeError):
    """A worker stopped before finishing its episode (its partial trajectory is lost)."""


@dataclass(frozen=True)
class WorkerSpec:
    """What every worker is built from."""

    seed: int = 0
    split: str = "train"
    max_steps: int = 10
    """steps before an episode is cut (the official ``max_steps``)."""
    features: int = 64
    hidden: int = 64
    latency: Latency = field(default_factory=Latency)
    time_scale: float = 0.0
    """real seconds slept per simulated second of device latency (0: never sleep — the simulated clock)."""
    evaluator: Evaluator = field(default_factory=EvaluatorConfig)
    """who judges success (the reward)."""


@dataclass(frozen=True)
class Job:
    """One episode to collect."""

    episode: int
    version: int
    weights: Any = None
    """the actor's weights for ``version`` (None when the worker already holds that version)."""
    crash_at: int | None = None
    """fault injection: die after this many steps (a real ``os._exit`` in a process or actor)."""


def episode_seed(seed: int, worker: int, episode: int) -> int:
    """A stable 32-bit seed per (run, worker, episode) — the same in every process."""
    return zlib.crc32(f"{seed}/{worker}/{episode}".encode())


class Worker:
    """One device and a copy of the actor.

    Args:
        worker_id: its index.
        spec: the environment and agent settings.
        in_process: True when the worker has a process of its own (a crash then exits the process, as a killed
            emulator host would; in a thread it raises :class:`WorkerDied`).
    """

    def __init__(self, worker_id: int, spec: WorkerSpec, in_process: bool = False):
        import torch

        from tenfold.distrl.env import PhoneEnv
        from tenfold.distrl.policy import Agent

        if in_process:  # a process of its own: one thread each; in the caller's process, its setting is not ours
            torch.set_num_threads(1)
        self.id, self.spec, self.in_process = worker_id, spec, in_process
        self.env = PhoneEnv(
            split=spec.split,
            max_steps=spec.max_steps,
            features=spec.features,
            latency=spec.latency,
            evaluator=spec.evaluator,
        )
        self.agent = Agent(spec.features, spec.hidden, seed=0)
        self.version = -1

    def run(self, job: Job) -> Trajectory:
        """Collect one episode with the actor of ``job.version``."""
        import torch

        from tenfold.distrl.policy import batch

        if job.weights is not None:
            load_actor(self.agent, job.weights)  # hot swap: the worker lives on, only its weights change
            self.version = job.version
        if self.version != job.version:
            raise RuntimeError(f"worker {self.id} holds version {self.version}, job needs {job.version}")
        s = episode_seed(self.spec.seed, self.id, job.episode)
        gen = torch.Generator().manual_seed(s)
        self.env._py_rng.seed(s)
        obs, _ = self.env.reset(seed=s)
        steps: list[Step] = []
        while True:
            if job.crash_at is not None and len(steps) >= job.crash_at:
                if self.in_process:
                    os._exit(17)
                raise WorkerDied(f"worker {self.id} died in episode {job.episode} after {len(steps)} steps")
            with torch.no_grad():
                logp = torch.log_softmax(self.agent.logits(batch([obs]))[0], -1)
            action = int(torch.multinomial(logp.exp(), 1, generator=gen))
            nxt, reward, terminated, truncated, info = self.env.step(action)
            if self.spec.time_scale > 0:
                time.sleep(info["latency"] * self.spec.time_scale)
            steps.append(
                Step(
                    obs,
                    action,
                    reward,
                    bool(info["valid"]),
                    float(logp[action]),
                    job.version,
                    info["latency"],
                    info["repeat"],
                )
            )
            obs = nxt
            if terminated or truncated:
                return Trajectory(
                    self.id, job.episode, self.env.tasks.index(self.env.task), steps, obs, terminated, reward > 0
                )


# -- backends --------------------------------------------------------------------------------------------------------
class Backend:
    """Runs jobs on long-lived workers. Subclasses implement :meth:`_launch`, :meth:`_submit`, :meth:`_ready`,
    :meth:`_collect`; this class tracks which version each worker holds, so weights travel only on a change."""

    name = "base"

    def __init__(self, workers: int, spec: WorkerSpec):
        if workers < 1:
            raise UserError(f"need at least one worker, got {workers}")
        self.n, self.spec = workers, spec
        self.holds: dict[int, int] = {}
        self.pending: dict[int, Any] = {}
        self.replaced = 0
        for w in range(workers):
            self._launch(w)

    def submit(self, worker: int, episode: int, version: int, weights: Any, crash_at: int | None = None) -> None:
        """Start ``episode`` on ``worker`` with the policy ``version`` (``weights`` are sent only if it is new)."""
        if worker in self.pending:
            raise RuntimeError(f"worker {worker} is busy")
        send = weights if self.holds.get(worker) != version else None
        self.pending[worker] = self._submit(worker, Job(episode, version, send, crash_at), version)
        self.holds[worker] = version

    def wait(self, worker: int) -> Trajectory:
        """The episode ``worker`` is collecting; :class:`WorkerDied` if it died (replace it before reuse)."""
        handle = self.pending.pop(worker)
        try:
            return self._collect(worker, handle)
        except WorkerDied:
            self.holds.pop(worker, None)
            raise

    def first(self, timeout: float | None = None) -> int | None:
        """A worker whose episode has finished (or died), the first to do so; None after ``timeout`` seconds."""
        return self._ready(timeout)

    def replace(self, worker: int) -> None:
        """A fresh worker in place of a dead one."""
        self.pending.pop(worker, None)
        self.holds.pop(worker, None)
        self.replaced += 1
        self._launch(worker)

    def close(self) -> None:
        pass

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # subclasses
    def _launch(self, worker: int) -> None:
        raise NotImplementedError

    def _submit(self, worker: int, job: Job, version: int) -> Any:
        raise NotImplementedError

    def _collect(self, worker: int, handle: Any) -> Trajectory:
        raise NotImplementedError

    def _ready(self, timeout: float | None) -> int | None:
        raise NotImplementedError


class ThreadBackend(Backend):
    name = "threads"

    def __init__(self, workers: int, spec: WorkerSpec):
        self.workers: dict[int, Worker] = {}
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="distrl-worker")
        self.done = threading.Condition()
        super().__init__(workers, spec)

    def _launch(self, worker: int) -> None:
        self.workers[worker] = Worker(worker, self.spec)

    def _submit(self, worker: int, job: Job, version: int) -> Future:
        fut = self.pool.submit(self.workers[worker].run, job)

        def notify(_: Future) -> None:
            with self.done:
                self.done.notify_all()

        fut.add_done_callback(notify)
        return fut

    def _collect(self, worker: int, handle: Future) -> Trajectory:
        return handle.result()

    def _ready(self, timeout: float | None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.done:
            while True:
                for w, fut in self.pending.items():
                    if fut.done():
                        return w
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self.done.wait(left)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _process_main(worker: int, spec: WorkerSpec, conn: Any) -> None:
    w = Worker(worker, spec, in_process=True)
    while True:
        job = conn.recv()
        if job is None:
            return
        conn.send(w.run(job))


class ProcessBackend(Backend):
    name = "processes"

    def __init__(self, workers: int, spec: WorkerSpec):
        import multiprocessing as mp

        # spawn, not fork: the learner's process runs torch's thread pools, which a fork would copy mid-state
        self.ctx = mp.get_context("spawn")
        self.procs: dict[int, Any] = {}
        self.conns: dict[int, Any] = {}
        super().__init__(workers, spec)

    def _launch(self, worker: int) -> None:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_process_main, args=(worker, self.spec, child), daemon=True)
        proc.start()
        child.close()
        self.procs[worker], self.conns[worker] = proc, parent

    def pid(self, worker: int) -> int:
        return self.procs[worker].pid

    def _submit(self, worker: int, job: Job, version: int) -> Any:
        self.conns[worker].send(job)
        return worker

    def _collect(self, worker: int, handle: Any) -> Trajectory:
        try:
            return self.conns[worker].recv()
        except (EOFError, OSError) as exc:
            raise WorkerDied(f"worker {worker} (pid {self.procs[worker].pid}) died mid-episode") from exc

    def _ready(self, timeout: float | None) -> int | None:
        from multiprocessing.connection import wait

        by_conn = {self.conns[w]: w for w in self.pending}
        ready = wait(list(by_conn), timeout)
        return by_conn[ready[0]] if ready else None

    def replace(self, worker: int) -> None:
        self.procs[worker].join(timeout=5)
        self.conns[worker].close()
        super().replace(worker)

    def close(self) -> None:
        for w, conn in self.conns.items():
            try:
                if w not in self.pending:
                    conn.send(None)
            except OSError:
                pass
        for proc in self.procs.values():
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()


class RayBackend(Backend):
    """Workers as Ray actors. ``address``: a running cluster (``ray start --head``), else a local instance started
    here and shut down on :meth:`close` (one that was already running is left alone)."""

    name = "ray"

    def __init__(self, workers: int, spec: WorkerSpec, address: str | None = None):
        try:
            import ray
        except ImportError:
            raise UserError("the ray backend needs Ray: pip install 'tenfold[ray]'") from None
        self.ray = ray
        self.owns = not ray.is_initialized()
        if self.owns:
            kwargs: dict[str, Any] = {} if address else {"num_cpus": max(1, os.cpu_count() or 1)}
            ray.init(address=address, include_dashboard=False, log_to_driver=False, **kwargs)
        self.actor_class = ray.remote(num_cpus=0, max_restarts=0)(_RayWorker)
        self.actors: dict[int, Any] = {}
        self.refs: dict[int, Any] = {}
        """version → object ref of its weights: put once, read by every actor."""
        super().__init__(workers, spec)

    def _launch(self, worker: int) -> None:
        self.actors[worker] = self.actor_class.remote(worker, self.spec)

    def _submit(self, worker: int, job: Job, version: int) -> Any:
        if job.weights is not None:
            if version not in self.refs:
                self.refs = {v: r for v, r in self.refs.items() if v > version - 4}  # old versions leave the store
                self.refs[version] = self.ray.put(job.weights)
            job = Job(job.episode, job.version, self.refs[version], job.crash_at)
        return self.actors[worker].run.remote(job)

    def _collect(self, worker: int, handle: Any) -> Trajectory:
        try:
            return self.ray.get(handle)
        except self.ray.exceptions.RayActorError as exc:
            raise WorkerDied(f"Ray worker {worker} died mid-episode") from exc

    def _ready(self, timeout: float | None) -> int | None:
        by_ref = {ref: w for w, ref in self.pending.items()}
        ready, _ = self.ray.wait(list(by_ref), num_returns=1, timeout=timeout)
        return by_ref[ready[0]] if ready else None

    def kill(self, worker: int) -> None:
        """Kill a worker's actor outright (as a lost node would)."""
        self.ray.kill(self.actors[worker], no_restart=True)

    def replace(self, worker: int) -> None:
        self.ray.kill(self.actors[worker], no_restart=True)
        super().replace(worker)

    def close(self) -> None:
        for a in self.actors.values():
            self.ray.kill(a, no_restart=True)
        self.actors.clear()
        if self.owns:
            self.ray.shutdown()


class _RayWorker:
    def __init__(self, worker: int, spec: WorkerSpec):
        self.worker = Worker(worker, spec, in_process=True)

    def run(self, job: Job) -> Trajectory:
        if job.weights is not None and not isinstance(job.weights, dict):
            import ray

            job = Job(job.episode, job.version, ray.get(job.weights), job.crash_at)
        return self.worker.run(job)


def make_backend(name: str, workers: int, spec: WorkerSpec, ray_address: str | None = None) -> Backend:
    """The backend called ``name`` with ``workers`` long-lived workers."""
    if name == "threads":
        return ThreadBackend(workers, spec)
    if name == "processes":
        return ProcessBackend(workers, spec)
    if name == "ray":
        return RayBackend(workers, spec, ray_address)
    raise UserError(f"unknown backend {name!r}; known: threads, processes, ray")
