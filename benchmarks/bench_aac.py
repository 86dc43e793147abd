"""AAC benchmarks, printed as JSON: milliseconds per keystroke of the character predictor with key/value-cache reuse
against recomputing every forward pass from scratch, in the same run, for a tiny model and SmolLM2-135M.

    python benchmarks/bench_aac.py [--chars 150] [--no-smollm2]
"""

from __future__ import annotations

import argparse
import json
import time

MESSAGES = [
    "i would like a cup of coffee with milk and no sugar please",
    "can you call my sister and tell her i will be late for dinner tonight",
    "thank you very much for helping me with the shopping this morning",
]


def per_keystroke(model, tokenizer, chars: int, case_context: bool) -> dict:
    from tenfold.aac.predictor import CharPredictor

    out = {}
    for use_cache in (True, False):
        pred = CharPredictor(model, tokenizer, use_cache=use_cache, case_context=case_context)
        n, t0 = 0, time.perf_counter()
        for message in MESSAGES:
            for i in range(len(message)):
                if n >= chars:
                    break
                pred.predict_array(message[:i])
                n += 1
        out["with_cache_ms" if use_cache else "recompute_ms"] = 1000 * (time.perf_counter() - t0) / n
    out["speedup"] = out["recompute_ms"] / out["with_cache_ms"]
    out["keystrokes"] = n
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chars", type=int, default=150)
    parser.add_argument("--no-smollm2", action="store_true")
    args = parser.parse_args()
    from tenfold.lm.config import make_job
    from tenfold.lm.jobs import ensure_trained, final_dir
    from tenfold.lm.loading import load_local, load_smollm2

    tiny, tiny_tok = load_local(final_dir(ensure_trained(make_job("gpt2-tiny", "dialogues", "quick"), "quick")))
    result = {"tiny (gpt2-tiny, BPE-1024)": per_keystroke(tiny, tiny_tok, args.chars, case_context=False)}
    if not args.no_smollm2:
        smol, smol_tok = load_smollm2()
        result["SmolLM2-135M"] = per_keystroke(smol, smol_tok, args.chars, case_context=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
