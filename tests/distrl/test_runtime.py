"""Training runs: the simulated clock repeats exactly and does not depend on the backend (threads, processes, Ray:
same per-worker transition counts and version tags); dead workers are replaced without partial trajectories; a
checkpoint survives kill -9 and training resumes from it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest
import torch

from tenfold.distrl.learner import LearnerConfig
from tenfold.distrl.runtime import RunConfig, WarmStart, train
from tenfold.distrl.workers import ProcessBackend, WorkerDied, WorkerSpec

TINY = RunConfig(
    workers=4,
    budget=40.0,
    eval_every=20.0,
    eval_samples=1,
    learner=LearnerConfig(features=32, hidden=16, batch_size=8, min_buffer=4),
    warm=WarmStart(epochs=10),
)


def _schedule(result):
    return result.per_worker, result.tags, result.delivered


def test_the_simulated_clock_repeats_exactly():
    a, b = train(TINY, seed=3), train(TINY, seed=3)
    assert _schedule(a) == _schedule(b) and a.curve == b.curve and a.updates == b.updates > 0
    assert _schedule(train(TINY, seed=4)) != _schedule(a)


def test_async_collects_more_than_sync_in_the_same_simulated_time():
    a, s = train(TINY, seed=0), train(replace(TINY, mode="sync"), seed=0)
    assert a.transitions > 1.5 * s.transitions
    # every sync round hands all workers the same version; async workers act with versions of their own
    rounds = list(zip(*[s.tags[w] for w in range(TINY.workers)], strict=False))
    assert all(len(set(r)) == 1 for r in rounds)


def test_processes_give_the_same_schedule_as_threads():
    threads = train(replace(TINY, workers=2), seed=1)
    procs = train(replace(TINY, workers=2, backend="processes"), seed=1)
    assert _schedule(procs) == _schedule(threads)


def test_ray_gives_the_same_schedule_as_threads(ray_session):
    threads = train(TINY, seed=2)
    on_ray = train(replace(TINY, backend="ray"), seed=2)
    assert _schedule(on_ray) == _schedule(threads)
    assert sorted(on_ray.per_worker) == list(range(4)) and all(on_ray.tags.values())


def test_a_worker_killed_mid_episode_is_replaced_and_its_episode_dropped():
    faults = ((1, 2, 2), (3, 1, 0))
    cfg = replace(TINY, budget=80.0, restart_seconds=5.0)
    clean = train(cfg, seed=0)
    hit = train(replace(cfg, faults=faults), seed=0)
    assert hit.lost == hit.replaced == 2 and sorted(hit.dead) == [(1, 2), (3, 1)]
    assert 2 not in hit.delivered[1] and 1 not in hit.delivered[3]
    assert hit.delivered[1][-1] > 2 and hit.delivered[3][-1] > 1  # the replacements went on collecting
    assert hit.updates > 0 and hit.transitions >= 0.8 * clean.transitions


def test_kill_9_of_a_worker_process_is_detected_and_it_is_replaced():
    spec = WorkerSpec(0, features=32, hidden=16, time_scale=0.5)  # a step sleeps ~0.4 s: time to kill it
    from tenfold.distrl.learner import Learner

    weights = Learner(LearnerConfig(features=32, hidden=16), 0).actor_weights()
    with ProcessBackend(1, spec) as backend:
        backend.submit(0, 0, 0, weights)
        time.sleep(0.5)
        os.kill(backend.pid(0), signal.SIGKILL)
        with pytest.raises(WorkerDied):
            backend.wait(0)
        backend.spec = replace(spec, time_scale=0.0)
        backend.replace(0)
        backend.submit(0, 1, 0, weights)
        assert backend.wait(0).episode == 1 and backend.replaced == 1


_TRAIN_FOREVER = """
import sys
from dataclasses import replace
from pathlib import Path
from tests.distrl.test_runtime import TINY
from tenfold.distrl.runtime import train
train(replace(TINY, budget=1e6, checkpoint_every=20), 0, Path(sys.argv[1]))
"""


def test_a_checkpoint_survives_kill_9_and_training_resumes(tmp_path):
    ckpt = tmp_path / "checkpoint.pt"
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    proc = subprocess.Popen([sys.executable, "-c", _TRAIN_FOREVER, str(ckpt)], cwd=root)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not ckpt.exists():
            time.sleep(0.1)
        time.sleep(0.5)  # let it save at least once more, then kill it without warning
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    saved = torch.load(ckpt, weights_only=False)
    items = [(i.traj.worker, i.traj.episode, i.traj.version) for i in saved["learner"]["items"]]
    clock = saved["clock"]
    resumed = train(replace(TINY, budget=clock + 20, checkpoint_every=20), 0, ckpt)
    after = torch.load(ckpt, weights_only=False)
    assert resumed.updates > saved["learner"]["updates"] and resumed.episodes > saved["counts"][0]
    for w, tags in saved["tags"].items():
        assert resumed.tags[w][: len(tags)] == tags  # versions delivered before the kill are kept, in order
    kept = [(i.traj.worker, i.traj.episode, i.traj.version) for i in after["learner"]["items"]][: len(items)]
    assert kept == items


def test_real_clock_async_and_sync_train_with_sleeping_workers():
    real = replace(TINY, budget=30.0, time_scale=0.005)  # 0.15 s of real time each
    for mode in ("async", "sync"):
        out = train(replace(real, mode=mode), seed=0)
        assert out.transitions > 0 and out.curve[0].seconds == 0.0 and out.seconds == 30.0


def test_measured_learner_time_mode_runs():
    # the learner's simulated time is its measured compute time: not repeatable, so only that it trains
    # (milliseconds per update against 0.85 s per device step: a short budget, or thousands of updates)
    out = train(replace(TINY, budget=10.0, update_seconds=None), seed=0)
    assert out.updates > 0 and out.seconds == 10.0
