"""The content-addressed cache: keys, atomic entries, resumable builds, one build under concurrency, inspection."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tenfold.common import cache
from tenfold.common.cache import PARTIAL, cached, cached_dir, entry_path, key_digest, lookup


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TENFOLD_CACHE", str(tmp_path / "cache"))


@dataclass(frozen=True)
class Cfg:
    lr: float = 1e-3
    steps: int = 10


def test_value_is_computed_once_per_key():
    calls = []

    def compute():
        calls.append(1)
        return {"loss": 0.5, "steps": [1, 2]}

    assert cached("evals", Cfg(), compute) == {"loss": 0.5, "steps": [1, 2]}
    assert cached("evals", Cfg(), compute) == {"loss": 0.5, "steps": [1, 2]}  # read back
    assert len(calls) == 1
    cached("evals", Cfg(steps=11), compute)  # another config: another entry
    assert len(calls) == 2
    assert len(cache.entries("evals")) == 2


def test_key_is_canonical_and_code_is_part_of_it():
    assert key_digest({"a": 1, "b": (2, 3)}) == key_digest({"b": [2, 3], "a": 1})  # key order, tuple vs list
    assert key_digest(Cfg()) == key_digest({"lr": 1e-3, "steps": 10})
    assert key_digest(Cfg()) != key_digest(Cfg(), code=("tenfold.common",))
    a, b = entry_path("k", Cfg(), label="run"), entry_path("k", Cfg(), label="run")
    assert a == b and a.name.startswith("run-") and a.parent.name == "k"


def test_pickle_codec_round_trips_objects():
    value = cached("objs", "key", lambda: Cfg(lr=0.5), codec="pickle")
    assert value == Cfg(lr=0.5)
    assert cached("objs", "key", lambda: pytest.fail("recomputed"), codec="pickle") == Cfg(lr=0.5)


def test_a_failed_build_leaves_no_entry_and_the_next_starts_clean():
    def broken(out: Path) -> None:
        (out / "half.txt").write_text("half")
        raise RuntimeError("killed mid-way")

    with pytest.raises(RuntimeError):
        cached_dir("models", "k", broken)
    assert lookup("models", "k") is None
    seen = []

    def fresh(out: Path) -> None:
        seen.append(sorted(p.name for p in out.iterdir()))
        (out / "done.txt").write_text("ok")

    path = cached_dir("models", "k", fresh)
    assert seen == [[]]  # a builder that cannot resume never sees the previous half
    assert (path / "done.txt").read_text() == "ok" and lookup("models", "k") == path


def test_a_resumable_build_continues_from_its_partial_directory():
    def first(out: Path) -> None:
        (out / "checkpoint").write_text("step 5")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cached_dir("models", "k", first, resume=True)

    def second(out: Path) -> None:
        assert (out / "checkpoint").read_text() == "step 5"
        (out / "final").write_text("step 10")

    path = cached_dir("models", "k", second, resume=True)
    assert (path / "final").read_text() == "step 10" and not path.with_name(path.name + PARTIAL).exists()


_BUILD = """
import os, sys, time
from pathlib import Path
from tenfold.common.cache import cached_dir
def build(out: Path) -> None:
    (out / "half").write_text("x")
    Path(sys.argv[1]).write_text("started")
    time.sleep(60)
cached_dir("models", "k", build)
"""


def test_kill_9_mid_build_leaves_nothing_trusted(tmp_path):
    flag = tmp_path / "started"
    proc = subprocess.Popen([sys.executable, "-c", _BUILD, str(flag)], env=os.environ.copy())
    deadline = time.time() + 60
    while not flag.exists() and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert lookup("models", "k") is None  # the partial build is not an entry
    path = cached_dir("models", "k", lambda out: (out / "whole").write_text("y"))  # the lock died with the process
    assert sorted(p.name for p in path.iterdir()) == ["_entry.json", "whole"]


def _count_build(args: tuple[str, str]) -> str:
    cache_root, counter = args
    os.environ["TENFOLD_CACHE"] = cache_root

    def build(out: Path) -> None:
        with open(counter, "a") as fh:
            fh.write("built\n")
        time.sleep(0.5)
        (out / "v").write_text("1")

    return str(cached_dir("models", "shared", build))


def test_two_processes_build_an_entry_once(tmp_path):
    counter = tmp_path / "counter"
    jobs = [(os.environ["TENFOLD_CACHE"], str(counter))] * 2
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        paths = pool.map(_count_build, jobs)
    assert paths[0] == paths[1]
    assert counter.read_text() == "built\n"


def test_ls_du_and_clear(cli):
    cached("evals", 1, lambda: [1] * 100)
    cached("evals", 2, lambda: [2])
    cached_dir("models", "m", lambda out: (out / "w.bin").write_bytes(b"\0" * 2000))
    listing = cli("cache", "ls", check=True).stdout
    assert "evals" in listing and "models" in listing and "total" in listing
    assert "build s" in cli("cache", "ls", "evals", check=True).stdout
    assert cli("cache", "du", check=True).returncode == 0
    assert [e.kind for e in cache.entries()].count("evals") == 2
    assert "removed 2 entries" in cli("cache", "clear", "evals", check=True).stdout
    assert cache.entries("evals") == [] and len(cache.entries("models")) == 1
    cli("cache", "clear", check=True)
    assert cache.entries() == []
