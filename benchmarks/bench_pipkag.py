"""PIP-KAG benchmark, printed as JSON: decoding tokens/s of a model with k FFN layers pruned against the same model
unpruned, in one run (the ratio should track the FLOPs removed: ``expected_speedup_flops`` is the ratio of
multiply-adds per token, the output projection included).

python benchmarks/bench_pipkag.py            # SmolLM2-135M (30 layers), k = 0, 6, 12
python benchmarks/bench_pipkag.py --tiny     # llama-tiny (8 layers), k = 0, 2, 4
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch


def _tokens_per_s(model, prompts, new_tokens: int) -> float:
    from tenfold.lm.generation import DecodingConfig, generate

    cfg = DecodingConfig(max_new_tokens=new_tokens, min_new_tokens=new_tokens, eos_token_id=None, batch_size=8)
    t0 = time.perf_counter()
    out = generate(model, prompts, cfg)
    return sum(len(o.ids) for o in out) / (time.perf_counter() - t0)


def main() -> None:
    from dataclasses import replace

    from tenfold.pipkag.layers import ffn_sites, prune_layers

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(0)
    if args.tiny:
        from tenfold.lm.zoo import ZOO, build_model

        def load():
            return build_model(replace(ZOO.get("llama-tiny"), n_layer=8, dropout=0.0), 512, 0).eval()

        ks, new_tokens = (0, 2, 4), 64
    else:
        from tenfold.lm.loading import load_smollm2

        def load():
            return load_smollm2()[0].eval()

        ks, new_tokens = (0, 6, 12), 32
    prompts = [torch.randint(1, 500, (24,)).tolist() for _ in range(8)]
    models, rows = {}, {}
    for k in ks:
        model = load()
        n_layers = len(ffn_sites(model))
        macs = _macs_per_token(model)
        removed = prune_layers(model, list(range(n_layers - k, n_layers))) if k else 0
        _tokens_per_s(model, prompts[:2], 2)  # warm-up
        models[k] = model
        rows[f"k={k}"] = {
            "params_removed": removed / macs,
            "expected_speedup_flops": macs / (macs - removed),
            "tokens_per_s_runs": [],
        }
    # interleaved repeats, so a slow spell of the machine hits every k alike; the median is reported
    for _ in range(3):
        for k in ks:
            rows[f"k={k}"]["tokens_per_s_runs"].append(_tokens_per_s(models[k], prompts, new_tokens))
    for row in rows.values():
        row["tokens_per_s"] = statistics.median(row["tokens_per_s_runs"])
    base = rows["k=0"]["tokens_per_s"]
    for row in rows.values():
        row["speedup"] = row["tokens_per_s"] / base
    print(
        json.dumps(
            {"torch_threads": torch.get_num_threads(), "batch": 8, "new_tokens": new_tokens, "rows": rows}, indent=2
        )
    )


def _macs_per_token(model) -> int:
    """Multiply-adds per decoded token (weights touched once per token): every weight but the input embedding,
    plus the output projection (the embedding itself where the two are tied)."""
    emb = model.get_input_embeddings().weight
    out = model.get_output_embeddings().weight
    body = sum(p.numel() for p in model.parameters() if p is not emb and p is not out)
    return body + out.numel()


if __name__ == "__main__":
    main()
