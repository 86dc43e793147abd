"""The adaptation trainer on a tiny model: PIP-KAG's loss fits the answer from the context and keeps the context-free
NLL of the same answer at least the final margin (3) above it; SFT fits the context answer only; with a LoRA adapter
only the adapter's weights move."""

from __future__ import annotations

from dataclasses import replace

import torch

from tenfold.lm.lora import LoraSpec, add_lora
from tenfold.lm.trainer import OptimConfig
from tenfold.lm.zoo import ZOO, build_model
from tenfold.pipkag.adapt import AdaptExample, ContrastiveTrainer, answer_nll

# "context token" 10 + i decides the answer 60 + i; without it the question (40, 41, 42, 50) cannot tell
EXAMPLES = [AdaptExample((10 + i, 40, 41, 42, 50), (40, 41, 42, 50), (60 + i, 70)) for i in range(6)]
CFG = OptimConfig(steps=60, batch_size=6, lr=3e-3, warmup_steps=5, eval_every=60, ckpt_every=60)


def _model():
    return build_model(replace(ZOO.get("llama-tiny"), n_layer=2, dropout=0.0), 97, 96, seed=0)


def _nlls(model) -> tuple[float, float]:
    with torch.no_grad():
        answers = [e.answer for e in EXAMPLES]
        ctx = answer_nll(model, [e.with_context for e in EXAMPLES], answers).mean().item()
        noctx = answer_nll(model, [e.without_context for e in EXAMPLES], answers).mean().item()
    return ctx, noctx


def test_pip_fits_the_context_and_keeps_the_margin(tmp_path):
    model = _model()
    ContrastiveTrainer(model, EXAMPLES, CFG, tmp_path).train()
    ctx, noctx = _nlls(model)
    assert ctx < 0.1 and noctx - ctx >= 3.0  # m(T) = 3


def test_sft_fits_the_context_answer(tmp_path):
    model = _model()
    ContrastiveTrainer(model, EXAMPLES, CFG, tmp_path, method="sft").train()
    assert _nlls(model)[0] < 0.1


def test_with_an_adapter_only_the_adapter_moves(tmp_path):
    model = add_lora(_model(), LoraSpec(r=4, alpha=8), seed=0)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    ContrastiveTrainer(model, EXAMPLES, replace(CFG, steps=3, eval_every=3, ckpt_every=3), tmp_path).train()
    moved = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert moved and all("lora_" in n for n in moved)
