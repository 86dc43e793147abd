"""AAC benchmarks, printed as JSON: milliseconds per keystroke of the character predictor, for a tiny model and
SmolLM2-135M, in three modes measured in the same run:

* ``reuse``: the default: the context before the last space is run once per word (its key/value cache is cropped
  and extended as the message grows) and extension logits are memoised across keystrokes of the same word;
* ``no_kv``: memoised extensions, but every forward pass recomputes the context (no key/value cache);
* ``scratch``: every keystroke starts from nothing (what the reference code does).

Each is measured on short messages and on the last sentence of a long message (a ~100-word context), where the
cache saves most. Ratios are against ``scratch``.

    python benchmarks/bench_aac.py [--chars 120] [--no-smollm2]
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
LONG_PREFIX = (
    "yesterday the nurse came in the morning and we talked about the new medicine and the side effects that i had last "
    "week because i could not sleep and my hands were shaking so she said that we should try a smaller dose and see "
    "how it goes over the weekend and then call the doctor on monday if nothing changes and she also said that i "
    "should drink more water and go outside for a short walk every day when the weather is good "
)


def per_keystroke(model, tokenizer, chars: int, case_context: bool, prefix: str = "") -> dict:
    from tenfold.aac.predictor import CharPredictor

    out = {}
    for mode in ("reuse", "no_kv", "scratch"):
        pred = CharPredictor(model, tokenizer, use_cache=mode == "reuse", case_context=case_context)
        n, t0 = 0, time.perf_counter()
        for message in MESSAGES:
            for i in range(len(message)):
                if n >= chars:
                    break
                if mode == "scratch":
                    pred.lm.reset()
                    pred._recent.clear()
                pred.predict_array(prefix + message[:i])
                n += 1
        out[f"{mode}_ms"] = 1000 * (time.perf_counter() - t0) / n
    out["keystrokes"] = n
    out["speedup_vs_scratch"] = out["scratch_ms"] / out["reuse_ms"]
    out["speedup_vs_no_kv"] = out["no_kv_ms"] / out["reuse_ms"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chars", type=int, default=120)
    parser.add_argument("--no-smollm2", action="store_true")
    args = parser.parse_args()
    import torch

    from tenfold.lm.config import make_job
    from tenfold.lm.jobs import ensure_trained, final_dir
    from tenfold.lm.loading import load_local, load_smollm2

    torch.set_num_threads(2)
    tiny, tiny_tok = load_local(final_dir(ensure_trained(make_job("gpt2-tiny", "dialogues", "quick"), "quick")))
    models = {"tiny (gpt2-tiny, BPE-1024)": (tiny, tiny_tok, False)}
    if not args.no_smollm2:
        smol, smol_tok = load_smollm2()
        models["SmolLM2-135M"] = (smol, smol_tok, True)
    result = {}
    for name, (model, tok, case) in models.items():
        result[name] = {
            "short messages": per_keystroke(model, tok, args.chars, case),
            "after a 100-word context": per_keystroke(model, tok, args.chars, case, LONG_PREFIX),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
