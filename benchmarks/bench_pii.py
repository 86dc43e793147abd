"""PII benchmark, printed as JSON, every figure a ratio against a baseline measured in the same run:

* untargeted extraction prompts/s on the quick preset's fine-tuned gpt2-tiny (greedy, 48 new tokens, 10-word
  held-out prompts): batched (64) with the key/value cache vs one prompt at a time, and batched without the cache;
* canary exposure: candidate PINs scored per second, batched against a shared prefix vs one forward per candidate.

python benchmarks/bench_pii.py   (trains the quick preset's full-corpus run first if the cache lacks it: ~1 min)
"""

from __future__ import annotations

import json
import time


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    import torch

    from tenfold.lm.scoring import continuation_log_probs, continuation_log_probs_reference
    from tenfold.pii.config import repro_config
    from tenfold.pii.data import heldout_prompts
    from tenfold.pii.extract import generate_texts
    from tenfold.pii.pipelines import trained
    from tenfold.pii.training import checkpoints, load_checkpoint

    torch.set_num_threads(1)
    cfg = repro_config("quick")
    corpus = cfg.corpus.build()
    model, tok = load_checkpoint(corpus, cfg.train, checkpoints(trained(corpus, cfg.train))[-1][1])
    prompts = heldout_prompts(corpus.background, 128)
    rates = {}
    for name, n, kw in (
        ("batched_cached", 128, {"batch_size": 64}),
        ("one_at_a_time", 16, {"batch_size": 1}),
    ):
        _, secs = _timed(lambda n=n, kw=kw: generate_texts(model, tok, prompts[:n], 48, **kw))
        rates[name] = n / secs
    from dataclasses import replace

    from tenfold.lm.generation import DecodingConfig, generate

    ids = [list(tok(p, add_special_tokens=False)["input_ids"]) for p in prompts[:32]]
    base = DecodingConfig(
        max_new_tokens=48, batch_size=64, eos_token_id=tok.eos_token_id, pad_token_id=tok.eos_token_id
    )
    _, secs = _timed(lambda: generate(model, ids, replace(base, use_cache=False)))
    rates["batched_no_cache"] = 32 / secs

    prefix = list(tok("The PIN of Ann Lee is", add_special_tokens=False)["input_ids"])
    cands = [list(tok(f" {i:04d}.", add_special_tokens=False)["input_ids"]) for i in range(2000)]
    with torch.no_grad():
        _, batched = _timed(lambda: continuation_log_probs(model, prefix, cands))
        _, single = _timed(lambda: continuation_log_probs_reference(model, prefix, cands[:200]))
    print(
        json.dumps(
            {
                "extraction_prompts_per_s": {k: round(v, 1) for k, v in rates.items()},
                "batched_vs_one_at_a_time": round(rates["batched_cached"] / rates["one_at_a_time"], 2),
                "cache_vs_no_cache": round(rates["batched_cached"] / rates["batched_no_cache"], 2),
                "exposure_candidates_per_s": {
                    "batched": round(2000 / batched),
                    "one_forward_each": round(200 / single),
                },
                "exposure_batched_vs_one": round((2000 / batched) / (200 / single), 2),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
