"""The LM core's promises, checked like a paper's claims by ``tenfold reproduce lm`` (not a paper: the rows say what
the shared core guarantees to the systems built on it)."""

from __future__ import annotations

from tenfold.common.claims import Claim

GPT2_TEXT = "Hello world, the quick brown fox."
GPT2_IDS = (15496, 995, 11, 262, 2068, 7586, 21831, 13)
PARIS_PROMPT = "The capital of France is"

CLAIMS = (
    Claim(
        "gpt2_tokenizer",
        "GPT-2 BPE ids of '{text}' equal OpenAI's",
        "[15496, 995, 11, 262, 2068, 7586, 21831, 13]",
        f"tenfold lm tokenize --tokenizer gpt2 --text '{GPT2_TEXT}'",
        thresholds={"text": GPT2_TEXT, "ids": GPT2_IDS},
        judge=lambda v, t: tuple(v["ids"]) == tuple(t["ids"]),
    ),
    Claim(
        "smollm2_paris",
        "SmolLM2 greedily continues '{prompt}' with '{answer}'",
        "' Paris'",
        f"tenfold lm generate --model smollm2 --prompt '{PARIS_PROMPT}'",
        thresholds={"prompt": PARIS_PROMPT, "answer": " Paris"},
        judge=lambda v, t: v["continuation"].startswith(t["answer"]),
    ),
    Claim(
        "smollm2_order",
        "SmolLM2's mean token NLL on held-out Wikipedia paragraphs is ≥ {min_gap} nats lower than on the same words "
        "shuffled (mean over paragraphs; pretrained weights, no training: the same on every machine to rounding)",
        "Δ ≥ 2 nats",
        "tenfold reproduce lm --preset quick",
        thresholds={"min_gap": 2.0},
        judge=lambda v, t: v["mean_gap"] >= t["min_gap"],
    ),
    Claim(
        "tiny_beats_unigram",
        "gpt2-tiny trained on dialogues reaches a validation perplexity ≤ {max_ratio} × the unigram perplexity of the "
        "same split (one seed, judged with a wide margin: another machine's trajectory moves the ratio by far less)",
        "ppl ≪ unigram",
        "tenfold lm train --model gpt2-tiny --corpus dialogues --preset quick",
        thresholds={"max_ratio": 0.5},
        judge=lambda v, t: v["ratio"] <= t["max_ratio"],
    ),
    Claim(
        "mamba_scan_parity",
        "the fast Mamba-1 CPU scan matches transformers' own scan: max |Δlogit| ≤ {max_diff}",
        "max |Δlogit| ≤ 1e-5",
        "pytest tests/lm/test_mamba_scan.py",
        thresholds={"max_diff": 1e-5},
        judge=lambda v, t: v["max_abs_diff"] <= t["max_diff"],
    ),
    Claim(
        "mamba_scan_speed",
        "a Mamba-1 training step (batch 64 × 64, d_model 64, 2 layers) takes ≤ {max_ratio} × a Mamba-2 step "
        "(best of 3 repeats)",
        "≤ ~2×",
        "python benchmarks/bench_lm.py --only scan",
        thresholds={"max_ratio": 2.5},
        judge=lambda v, t: v["ratio"] <= t["max_ratio"],
    ),
    Claim(
        "mamba_train_generate",
        "Mamba-1 and Mamba-2 tiny configs train (the last logged training loss is below the first) and generate",
        "qualitative",
        "tenfold lm train --model mamba-tiny --corpus dialogues --preset test",
        judge=lambda v, t: all(m["last_loss"] < m["first_loss"] and m["new_tokens"] > 0 for m in v.values()),
    ),
)
