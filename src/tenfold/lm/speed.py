"""Timing of one training step, shared by the reproduction report and ``benchmarks/`` (never by tests)."""

from __future__ import annotations

import time
from typing import Any

import torch


def train_step_seconds(model: Any, batch: torch.Tensor, repeats: int = 3, warmup: int = 1) -> float:
    """Best-of-``repeats`` wall time (s) of forward + backward + AdamW step on ``batch`` (B, T + 1)."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    model.train()
    times = []
    for i in range(warmup + repeats):
        t0 = time.perf_counter()
        logits = model(input_ids=batch[:, :-1]).logits
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), batch[:, 1:].flatten())
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return min(times)


def scan_step_times(
    batch_size: int = 64,
    seq_len: int = 64,
    d_model: int = 64,
    n_layer: int = 2,
    vocab: int = 512,
    reference: bool = True,
    repeats: int = 3,
) -> dict[str, float]:
    """Training-step seconds of Mamba-1 (fast scan), Mamba-1 (transformers' scan), Mamba-2 and GPT-2 of one size:
    the setting of the LM-core issue (batch 64 × 64 tokens, d_model 64, 2 layers)."""
    from tenfold.lm import mamba_scan
    from tenfold.lm.zoo import ModelSpec, build_model

    batch = torch.randint(0, vocab, (batch_size, seq_len + 1), generator=torch.Generator().manual_seed(0))
    specs = {
        "mamba1_fast": ModelSpec("mamba", d_model=d_model, n_layer=n_layer),
        "mamba2": ModelSpec("mamba2", d_model=d_model, n_layer=n_layer, chunk_size=min(32, seq_len)),
        "gpt2": ModelSpec("gpt2", d_model=d_model, n_layer=n_layer, max_len=max(seq_len, 64)),
    }
    times = {name: train_step_seconds(build_model(spec, vocab, 0), batch, repeats) for name, spec in specs.items()}
    if reference:
        model = build_model(specs["mamba1_fast"], vocab, 0)  # built outside: building installs the fast scan
        with mamba_scan.hf_reference_scan():
            times["mamba1_hf"] = train_step_seconds(model, batch, 1)
    return times
