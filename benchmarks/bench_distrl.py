"""DistRL benchmark, printed as JSON, every figure a ratio against a baseline measured in the same run:

* collection on real workers (they sleep each step's latency × ``TIME_SCALE``, a stall model of 0.85 s mean per
  step): transitions per second by backend (threads, processes, Ray) and worker count, async and sync, with the
  async/sync ratio beside the analytic E[max_W L]/E[L], and each backend's rate relative to threads;
* the learner: A-RIDE updates per second (32 windows of 3 steps, 128 features) against one worker's episodes per
  second, i.e. how many devices one learner keeps up with.

python benchmarks/bench_distrl.py   (about a minute; Ray rows are skipped where Ray is not installed)
"""

from __future__ import annotations

import importlib.util
import json
import time

TIME_SCALE = 0.01
"""real seconds per simulated second: a 0.85 s step sleeps 8.5 ms."""
STEPS = 100
"""steps per worker per measurement."""


def main() -> None:
    import torch

    from tenfold.distrl.clock import analytic_ratio
    from tenfold.distrl.config import STALL_LATENCY
    from tenfold.distrl.learner import Learner, LearnerConfig
    from tenfold.distrl.runtime import measure_collection
    from tenfold.distrl.workers import Job, Worker, WorkerSpec

    torch.set_num_threads(1)
    backends = ["threads", "processes"] + (["ray"] if importlib.util.find_spec("ray") else [])
    collection = []
    for backend in backends:
        for workers in (1, 4, 8):
            a = measure_collection(backend, workers, "async", STEPS, TIME_SCALE)
            s = measure_collection(backend, workers, "sync", STEPS, TIME_SCALE)
            collection.append(
                {
                    "backend": backend,
                    "workers": workers,
                    "async_transitions_per_s": round(a["rate"], 1),
                    "sync_transitions_per_s": round(s["rate"], 1),
                    "async_over_sync": round(a["rate"] / s["rate"], 2),
                    "analytic": round(analytic_ratio(STALL_LATENCY, workers), 2),
                }
            )
    threads = {r["workers"]: r["async_transitions_per_s"] for r in collection if r["backend"] == "threads"}
    for r in collection:
        r["async_vs_threads"] = round(r["async_transitions_per_s"] / threads[r["workers"]], 2)

    cfg = LearnerConfig()
    learner = Learner(cfg, 0)
    worker = Worker(0, WorkerSpec(0, features=cfg.features, hidden=cfg.hidden))
    weights = learner.actor_weights()
    t0 = time.perf_counter()
    episodes = [worker.run(Job(e, 0, weights if e == 0 else None)) for e in range(64)]
    episode_s = (time.perf_counter() - t0) / len(episodes)
    for traj in episodes:
        learner.add(traj)
    t0 = time.perf_counter()
    n = 200
    for _ in range(n):
        learner.update()
    update_s = (time.perf_counter() - t0) / n
    print(
        json.dumps(
            {
                "time_scale": TIME_SCALE,
                "collection": collection,
                "learner_updates_per_s": round(1 / update_s, 1),
                "worker_episodes_per_s_compute_only": round(1 / episode_s, 1),
                "updates_per_episode_compute": round(episode_s / update_s, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
