"""Collapse benchmark, printed as JSON, every figure a ratio against a baseline measured in the same run:

* generation tokens/s of the quick preset's base (gpt2-tiny) on 128 human contexts, batched (64) vs one prompt at a
  time, and with vs without the key/value cache (greedy, 32 new tokens);
* detector texts/s (the n-gram classifier vs Fast-DetectGPT on the same model);
* one generation's wall time by stage (generate, detect, resample, train, evaluate, text metrics), as shares.

python benchmarks/bench_collapse.py
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

import numpy as np
import torch


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    from tenfold.collapse.decoding import decoding
    from tenfold.collapse.detectors import train_detector
    from tenfold.collapse.models import evaluate, fine_tune
    from tenfold.collapse.pipeline import CollapseRun, RunConfig
    from tenfold.collapse.resample import resample
    from tenfold.lm.blocks import Blocks
    from tenfold.lm.generation import generate

    torch.set_num_threads(1)
    run = CollapseRun(RunConfig(n_blocks=128, n_detector=100))
    model = run.kit.fresh().eval()
    prompts = [b.context for b in run.data.train]
    base = decoding("greedy", 32, 0, run.eos)
    speeds = {}
    for name, cfg, n in (
        ("batched_cached", base, len(prompts)),
        ("one_at_a_time", replace(base, batch_size=1), 16),
        ("batched_no_cache", replace(base, use_cache=False), 32),
    ):
        _, secs = _timed(lambda cfg=cfg, n=n: generate(model, prompts[:n], cfg))
        speeds[name] = n * 32 / secs

    # one generation by stage
    stages = {}
    synth, stages["generate"] = _timed(lambda: [c.ids for c in generate(model, prompts, base)])
    human = [b.continuation for b in run.data.train]
    texts = [run.decode(s) for s in human + synth]
    labels = [False] * len(human) + [True] * len(synth)
    det, stages["fit_detector"] = _timed(lambda: train_detector("classifier", texts, human + synth, labels))
    p, stages["detect"] = _timed(lambda: det.p_ai(texts, human + synth))
    sel, stages["resample"] = _timed(lambda: resample(p, seed=0))
    pool = [(run.data.train[i % len(human)].context, (human + synth)[i]) for i in sel.indices]
    blocks = Blocks.from_pairs([a for a, _ in pool], [b for _, b in pool], 64)
    trained, stages["train"] = _timed(lambda: fine_tune(run.kit, blocks, run.optim(len(blocks)), _tmp()))
    _, stages["evaluate"] = _timed(lambda: evaluate(trained, run.test_blocks, run.whole_blocks))
    _, stages["text_metrics"] = _timed(lambda: run.text_metrics(synth))
    fdg, _ = _timed(lambda: train_detector("fast-detectgpt", texts, human + synth, labels, models=(model,)))
    _, fdg_secs = _timed(lambda: fdg.p_ai(texts, human + synth))
    total = sum(stages.values())
    print(
        json.dumps(
            {
                "generation_tokens_per_s": {k: round(v, 1) for k, v in speeds.items()},
                "batched_vs_one_at_a_time": round(speeds["batched_cached"] / speeds["one_at_a_time"], 2),
                "cache_vs_no_cache": round(speeds["batched_cached"] / speeds["batched_no_cache"], 2),
                "detector_texts_per_s": {
                    "classifier": round(len(texts) / stages["detect"], 1),
                    "fast_detectgpt": round(len(texts) / fdg_secs, 1),
                },
                "classifier_vs_fast_detectgpt": round(fdg_secs / stages["detect"], 2),
                "generation_stage_share": {k: round(v / total, 3) for k, v in stages.items()},
                "generation_seconds": round(total, 2),
                "threads": torch.get_num_threads(),
                "human_share_after_resampling": round(float(np.mean([labels[i] is False for i in sel.indices])), 3),
            },
            indent=1,
        )
    )


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="bench-collapse-"))


if __name__ == "__main__":
    main()
