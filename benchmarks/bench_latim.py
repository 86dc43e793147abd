"""LaTIM benchmarks, printed as JSON: the time and extra peak memory of a row-blocked decomposition (LaTIM-ALTI maps
of one layer) against one forward pass of the same model, by sequence length, all in one run.

Expected: the decomposition is quadratic in L (every target row sees every earlier source), the forward linear, so the
ratio grows about linearly with L; row blocking keeps the extra memory bounded by the block budget, not L² · D.
Peak memory is measured in a fresh child process per (length, phase) as the growth of its peak RSS over the RSS
after building the model.

python benchmarks/bench_latim.py [--lengths 128 256 512 1024 2048] [--d-model 128] [--family mamba]
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import time


def _model(family: str, d_model: int):
    import torch

    from tenfold.lm.zoo import ModelSpec, build_model

    torch.set_num_threads(1)
    spec = ModelSpec(family, d_model=d_model, n_layer=1, d_state=16, head_dim=32, chunk_size=64)
    return build_model(spec, 64, 0, seed=0).eval()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def child(family: str, d_model: int, length: int, phase: str) -> dict:
    import torch

    from tenfold.latim.api import explain

    model = _model(family, d_model)
    ids = torch.randint(1, 64, (1, length), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        model(input_ids=ids[:, :8])  # warm-up allocations that both phases share
    base = _rss_mb()
    t0 = time.perf_counter()
    with torch.no_grad():
        if phase == "forward":
            model(input_ids=ids)
        elif phase == "last-row":
            explain(model, ids, method="latim-alti", rows=[length - 1])
        else:
            explain(model, ids, method="latim-alti")
    return {"seconds": time.perf_counter() - t0, "extra_mb": _rss_mb() - base}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[128, 256, 512, 1024, 2048])
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--family", default="mamba", choices=("mamba", "mamba2"))
    parser.add_argument("--child", nargs=2, metavar=("LENGTH", "PHASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.family, args.d_model, int(args.child[0]), args.child[1])))
        return
    rows = []
    for length in args.lengths:
        row: dict = {"length": length}
        for phase in ("forward", "decompose", "last-row"):
            cmd = [
                sys.executable,
                __file__,
                "--family",
                args.family,
                "--d-model",
                str(args.d_model),
                "--child",
                str(length),
                phase,
            ]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            row[phase] = json.loads(out.stdout.strip().splitlines()[-1])
        row["time_ratio"] = row["decompose"]["seconds"] / row["forward"]["seconds"]
        rows.append(row)
    for a, b in itertools.pairwise(rows):  # ≈ 2 per doubling of L if the decomposition is quadratic
        b["ratio_growth"] = b["time_ratio"] / a["time_ratio"]
    print(json.dumps({"family": args.family, "d_model": args.d_model, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
