"""ProjectTest harness benchmarks, printed as JSON (ratios within one run):

* overhead per project: the harness's sandboxed run (copy, limits, coverage, JUnit XML, records) against running
  ``coverage run --branch -m pytest`` + ``coverage json`` directly on the same suite in a plain copy;
* sweep throughput: projects per second with 1 and 2 workers on the same replayed sweep.

    python benchmarks/bench_projecttest.py [--repeats 5] [--projects 8]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def direct(project, test, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        work = Path(tempfile.mkdtemp()) / project.name
        shutil.copytree(project.root, work)
        (work / test.path).write_text(test.text)
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "coverage",
                "run",
                "--branch",
                "--source=.",
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                test.path,
            ],
            cwd=work,
            capture_output=True,
        )
        subprocess.run([sys.executable, "-m", "coverage", "json", "-o", "c.json"], cwd=work, capture_output=True)
        times.append(time.perf_counter() - t0)
        shutil.rmtree(work.parent)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--projects", type=int, default=8)
    args = parser.parse_args()
    from tenfold.projecttest.generators import Replay
    from tenfold.projecttest.prompt import extract_tests
    from tenfold.projecttest.runner_python import run_python_suite
    from tenfold.projecttest.sweep import SweepConfig, run_sweep
    from tenfold.projecttest.toy import REPLIES, write_toy_project

    root = Path(tempfile.mkdtemp())
    project = write_toy_project(root / "one")
    (test,) = extract_tests(REPLIES["C"], project)
    harness = min(_timed(lambda: run_python_suite(project, [test])) for _ in range(args.repeats))
    plain = direct(project, test, args.repeats)
    projects = [write_toy_project(root / f"p{i}", name=f"calc{i}") for i in range(args.projects)]
    src = root / "replies.jsonl"
    src.write_text(
        "".join(
            json.dumps({"project": p.name, "reply": REPLIES["C"].replace("calc.", f"{p.name}.")}) + "\n"
            for p in projects
        )
    )
    rates = {}
    for workers in (1, 2):
        t = _timed(
            lambda w=workers: run_sweep(
                projects, Replay(str(src)), root / f"sweep{w}", SweepConfig(("vanilla",), workers=w)
            )
        )
        rates[workers] = len(projects) / t
    print(
        json.dumps(
            {
                "per_project_s": {
                    "harness": harness,
                    "direct_pytest_coverage": plain,
                    "overhead_ratio": harness / plain,
                },
                "sweep_projects_per_s": {"1_worker": rates[1], "2_workers": rates[2], "speedup": rates[2] / rates[1]},
            },
            indent=2,
        )
    )


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
