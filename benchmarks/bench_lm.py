"""LM-core benchmarks, printed as JSON. Every number comes with a ratio against a baseline measured in the same run.

python benchmarks/bench_lm.py                 # everything
python benchmarks/bench_lm.py --only scan     # Mamba-1 fast scan vs transformers' scan vs Mamba-2 / GPT-2
python benchmarks/bench_lm.py --only train    # training throughput (tokens/s) of every zoo model vs gpt2-tiny
python benchmarks/bench_lm.py --only generate # batched decoding tokens/s: batch 1/16/64, KV cache on/off, SmolLM2
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


def _timed_generate(model, prompts, cfg) -> tuple[float, int]:
    from tenfold.lm.generation import generate

    t0 = time.perf_counter()
    outs = generate(model, prompts, cfg)
    return time.perf_counter() - t0, sum(len(o.ids) for o in outs)


def bench_generate(new_tokens: int = 64, smol_new_tokens: int = 32) -> dict:
    """Batched decoding (tenfold.lm.generation): gpt2-tiny at batch 1/16/64 with and without the KV cache, and
    SmolLM2 at batch 1/8 against transformers' own ``generate`` at batch 1."""
    from dataclasses import replace

    from tenfold.lm.generation import DecodingConfig
    from tenfold.lm.loading import load_smollm2
    from tenfold.lm.zoo import ZOO, build_model

    gen = torch.Generator().manual_seed(0)
    vocab = 1024
    model = build_model(replace(ZOO.get("gpt2-tiny"), dropout=0.0), vocab, vocab - 1).eval()
    prompts = [torch.randint(0, vocab - 1, (int(n),), generator=gen).tolist() for n in torch.randint(8, 25, (64,))]
    # min = max new tokens and no EOS: every row decodes exactly new_tokens, so tokens/s compare like for like
    cfg = DecodingConfig(max_new_tokens=new_tokens, min_new_tokens=new_tokens, eos_token_id=None, pad_token_id=0)
    _timed_generate(model, prompts[:4], replace(cfg, max_new_tokens=4, min_new_tokens=4))  # warm-up
    tiny: dict[str, dict[str, float]] = {"with_kv_cache": {}, "without_kv_cache": {}}
    for batch in (1, 16, 64):
        for cache in (True, False):
            seconds, tokens = _timed_generate(model, prompts[:batch], replace(cfg, use_cache=cache, batch_size=batch))
            tiny["with_kv_cache" if cache else "without_kv_cache"][f"batch_{batch}"] = tokens / seconds
    with_cache = tiny["with_kv_cache"]

    smol, tok = load_smollm2()
    text = ["The history of the city begins", "def fibonacci(n):", "A recipe for bread:", "Dear Sir,"] * 2
    smol_prompts = [tok(t, add_special_tokens=False)["input_ids"] for t in text]
    smol_cfg = replace(cfg, max_new_tokens=smol_new_tokens, min_new_tokens=smol_new_tokens)
    smol_tps = {}
    for batch in (1, 8):
        seconds, tokens = _timed_generate(smol, smol_prompts[:batch], replace(smol_cfg, batch_size=batch))
        smol_tps[f"batch_{batch}"] = tokens / seconds
    ids = torch.tensor([smol_prompts[0]])
    t0 = time.perf_counter()
    with torch.no_grad():
        smol.generate(
            ids,
            max_new_tokens=smol_new_tokens,
            min_new_tokens=smol_new_tokens,
            do_sample=False,
            pad_token_id=tok.eos_token_id,
        )
    hf_tps = smol_new_tokens / (time.perf_counter() - t0)
    return {
        "setting": f"greedy; gpt2-tiny (random, vocab {vocab}) {new_tokens} new tokens, prompts of 8-24 tokens "
        f"left-padded; SmolLM2-135M-Instruct fp32 {smol_new_tokens} new tokens",
        "gpt2_tiny_tokens_per_s": tiny,
        "gpt2_tiny_batch64_over_batch1": with_cache["batch_64"] / with_cache["batch_1"],
        "gpt2_tiny_kv_cache_speedup": {
            b: tiny["with_kv_cache"][b] / tiny["without_kv_cache"][b] for b in tiny["with_kv_cache"]
        },
        "smollm2_tokens_per_s": smol_tps,
        "smollm2_batch8_over_batch1": smol_tps["batch_8"] / smol_tps["batch_1"],
        "smollm2_ours_over_transformers_generate_batch1": smol_tps["batch_1"] / hf_tps,
        "targets": {"batch64_over_batch1": ">= 10", "kv_cache_speedup_at_64_new_tokens": ">= 4"},
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
