"""Start-up time of the ``tenfold`` command, printed as JSON: each command's best-of-N wall time beside a bare
``python -c pass`` and ``python -c "import torch"`` measured in the same run (the CLI must not pay for torch to list
systems or show help).

python benchmarks/bench_cli.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import torch'": [sys.executable, "-c", "import torch"],
    "tenfold systems": [sys.executable, "-m", "tenfold", "systems"],
    "tenfold --help": [sys.executable, "-m", "tenfold", "--help"],
    "tenfold latim --help": [sys.executable, "-m", "tenfold", "latim", "--help"],
    "tenfold cache ls": [sys.executable, "-m", "tenfold", "cache", "ls"],
}


def best_of(cmd: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    seconds = {name: best_of(cmd, args.repeats) for name, cmd in COMMANDS.items()}
    bare, torch_import = seconds["python -c pass"], seconds["python -c 'import torch'"]
    print(
        json.dumps(
            {
                "seconds": seconds,
                "over_bare_python": {k: v / bare for k, v in seconds.items()},
                "over_torch_import": {k: v / torch_import for k, v in seconds.items() if k.startswith("tenfold")},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
