"""LM-core benchmarks, printed as JSON. Every number comes with a ratio against a baseline measured in the same run.

python benchmarks/bench_lm.py                 # everything
python benchmarks/bench_lm.py --only scan     # Mamba-1 fast scan vs transformers' scan vs Mamba-2 / GPT-2
python benchmarks/bench_lm.py --only train    # training throughput (tokens/s) of every zoo model vs gpt2-tiny
python benchmarks/bench_lm.py --only generate # SmolLM2 generation tokens/s with and without the KV cache
"""

from __future__ import annotations

import argparse
import json
import time

import torch


def bench_scan() -> dict:
    from tenfold.lm.speed import scan_step_times

    t = scan_step_times(batch_size=64, seq_len=64, d_model=64, n_layer=2)
    return {
        "setting": "train step, batch 64 x 64 tokens, d_model 64, 2 layers, vocab 512",
        "seconds_per_step": t,
        "mamba1_fast_over_mamba2": t["mamba1_fast"] / t["mamba2"],
        "mamba1_fast_over_gpt2": t["mamba1_fast"] / t["gpt2"],
        "speedup_over_transformers_scan": t["mamba1_hf"] / t["mamba1_fast"],
    }


def bench_train(batch: int = 32, block: int = 64, vocab: int = 1024) -> dict:
    from tenfold.lm.speed import train_step_seconds
    from tenfold.lm.zoo import ZOO, build_model

    data = torch.randint(0, vocab, (batch, block + 1), generator=torch.Generator().manual_seed(0))
    tps = {}
    for name in ZOO:
        seconds = train_step_seconds(build_model(ZOO.get(name), vocab, 0), data)
        tps[name] = batch * block / seconds
    return {
        "setting": f"train step, batch {batch} x {block} tokens, vocab {vocab}",
        "tokens_per_s": tps,
        "ratio_to_gpt2_tiny": {k: v / tps["gpt2-tiny"] for k, v in tps.items()},
    }


def bench_generate(new_tokens: int = 48) -> dict:
    from tenfold.lm.loading import load_smollm2

    model, tok = load_smollm2()
    ids = tok("The history of the city begins", return_tensors="pt").input_ids
    result = {}
    for cache in (True, False):
        model.generate(ids, max_new_tokens=2, do_sample=False, use_cache=cache, pad_token_id=tok.eos_token_id)
        t0 = time.perf_counter()
        out = model.generate(
            ids,
            max_new_tokens=new_tokens,
            min_new_tokens=new_tokens,
            do_sample=False,
            use_cache=cache,
            pad_token_id=tok.eos_token_id,
        )
        result["with_kv_cache" if cache else "without_kv_cache"] = (out.shape[1] - ids.shape[1]) / (
            time.perf_counter() - t0
        )
    return {
        "setting": f"SmolLM2-135M-Instruct fp32, greedy, {new_tokens} new tokens, prompt {ids.shape[1]} tokens",
        "tokens_per_s": result,
        "kv_cache_speedup": result["with_kv_cache"] / result["without_kv_cache"],
    }


BENCHES = {"scan": bench_scan, "train": bench_train, "generate": bench_generate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted(BENCHES), action="append")
    args = parser.parse_args()
    torch.manual_seed(0)
    out = {"torch_threads": torch.get_num_threads()}
    for name in args.only or BENCHES:
        out[name] = BENCHES[name]()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
