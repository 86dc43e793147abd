"""The models a collapse run trains again and again: a base, fresh copies of it, and fine-tuning on a pool.

Three tiers (issue 19 §6): a count-based bigram model (``ngram``: seconds, for the unit tests), a tiny GPT from
``lm``'s zoo pre-trained on the dialogues corpus (the main reproduction; its own domain differs from the Wikipedia
pool, as GPT-2's WebText differs from WikiText-2 in the paper), and SmolLM2-135M (``smollm2``, the ``paper`` preset)
or any local checkpoint directory.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch

from tenfold.common.errors import UserError
from tenfold.lm.blocks import Blocks, BlockTrainer, masked_token_losses
from tenfold.lm.trainer import OptimConfig

BASE_CORPUS = "dialogues"
"""What the zoo bases are pre-trained on (``lm``'s cached job, shared with the other systems)."""


class BigramLM(torch.nn.Module):
    """A count-based bigram LM with the causal-LM call signature, so ``lm``'s decoder and scorer run on it.

    P(b | a) = (C[a, b] + k · P₁(b)) / (C[a] + k), P₁(b) = (c_b + 1) / (N + V): counts interpolated with an add-one
    unigram (Dirichlet smoothing with strength k). ``fit`` adds the counts of a pool's target positions.
    """

    def __init__(self, vocab: int, strength: float = 4.0):
        super().__init__()
        self.register_buffer("counts", torch.zeros(vocab, vocab, dtype=torch.float64))
        self.strength = strength
        self.config = SimpleNamespace(eos_token_id=None)

    def add(self, ids: torch.Tensor, mask: torch.Tensor, weights: torch.Tensor | None = None) -> None:
        """Count the bigrams (ids[:, t−1], ids[:, t]) where ``mask[:, t]``; each block weighted."""
        w = torch.ones(ids.shape[0], dtype=torch.float64) if weights is None else weights.double()
        a, b = ids[:, :-1], ids[:, 1:]
        m = mask[:, 1:].double() * w[:, None]
        self.counts.index_put_((a.reshape(-1), b.reshape(-1)), m.reshape(-1), accumulate=True)

    def log_probs(self) -> torch.Tensor:
        v = self.counts.shape[0]
        unigram = (self.counts.sum(0) + 1) / (self.counts.sum() + v)
        probs = (self.counts + self.strength * unigram[None]) / (self.counts.sum(1, keepdim=True) + self.strength)
        return probs.log().float()

    def forward(self, input_ids, attention_mask=None, position_ids=None, use_cache=False, **_: Any):
        del attention_mask, position_ids, use_cache  # a bigram reads one token: padding and positions are moot
        return SimpleNamespace(logits=self.log_probs()[input_ids], past_key_values=None)


@dataclass
class ModelKit:
    """A base model and how to copy, fine-tune and identify it."""

    name: str
    tokenizer: Any
    fresh: Callable[[], Any]
    """a fresh copy of the base (the paper's protocol: every generation restarts from it)."""
    max_len: int
    key: dict[str, Any]
    """what identifies the base in cache keys."""
    trainable: bool = True
    """False for the bigram tier (fitting is counting)."""


def load_kit(name: str, seed: int = 0, base_preset: str = "quick") -> ModelKit:
    """The base ``name``: ``ngram``, a zoo name (pre-trained on :data:`BASE_CORPUS` with ``base_preset``, cached),
    ``smollm2`` or a local checkpoint directory."""
    from tenfold.lm.zoo import ZOO

    if name == "ngram":
        from tenfold.lm.corpora import load_corpus
        from tenfold.lm.tokenization import build_tokenizer, encode_documents

        tok = build_tokenizer("bpe-1024", BASE_CORPUS)
        base = BigramLM(len(tok))
        ids = torch.tensor(encode_documents(tok, load_corpus(BASE_CORPUS).docs("train")))
        base.add(ids[None], torch.ones_like(ids, dtype=torch.bool)[None])
        return ModelKit("ngram", tok, lambda: copy.deepcopy(base), 10**9, {"model": "ngram"}, trainable=False)
    if name in ZOO:
        from tenfold.lm.config import make_job
        from tenfold.lm.jobs import ensure_trained, final_dir
        from tenfold.lm.loading import load_local

        job = make_job(name, BASE_CORPUS, base_preset, seed)
        model, tok = load_local(final_dir(ensure_trained(job, preset=base_preset)))
        key = {"model": name, "corpus": BASE_CORPUS, "preset": base_preset, "seed": seed}
        return ModelKit(name, tok, lambda: copy.deepcopy(model), job.model.max_len, key)
    if name.lower() in ("smollm2", "smollm2-135m"):
        from tenfold.lm.loading import load_smollm2, smollm2_sha256

        model, tok = load_smollm2()
        return ModelKit(
            "smollm2", tok, lambda: copy.deepcopy(model), 8192, {"model": "smollm2", "sha": smollm2_sha256()}
        )
    path = Path(name).expanduser()
    if not path.is_dir():
        raise UserError(f"unknown model {name!r}: ngram, a zoo name ({', '.join(ZOO.names())}), smollm2 or a directory")
    from tenfold.lm.loading import load_local, weights_sha256

    model, tok = load_local(path)
    if tok is None:
        raise UserError(f"{path} has no tokenizer")
    max_len = int(getattr(model.config, "max_position_embeddings", 0) or getattr(model.config, "n_positions", 1024))
    return ModelKit(str(path), tok, lambda: copy.deepcopy(model), max_len, {"model": weights_sha256(str(path))})


def fine_tune(kit: ModelKit, blocks: Blocks, optim: OptimConfig, workdir: Path) -> Any:
    """A fresh copy of the base fine-tuned on ``blocks`` (the loss on their continuation positions, weighted)."""
    model = kit.fresh()
    if not kit.trainable:
        model.add(blocks.ids, blocks.loss_mask, blocks.weights)
        return model
    model.train()
    BlockTrainer(model, blocks, optim, workdir).train()
    return model.eval()


@torch.no_grad()
def evaluate(model: Any, test: Blocks, whole: Blocks, batch_size: int = 32) -> dict[str, float]:
    """Test perplexity on the continuation positions and (as the official code) on the whole block, and top-1
    next-token accuracy on the continuation positions."""
    model.eval()
    sums = {"cont": [0.0, 0.0], "whole": [0.0, 0.0], "hits": [0.0, 0.0]}
    for lo in range(0, len(test), batch_size):
        index = torch.arange(lo, min(len(test), lo + batch_size))
        nll, mask, _ = masked_token_losses(model, test, index)
        sums["cont"][0] += float((nll * mask).sum())
        sums["cont"][1] += float(mask.sum())
        nll_w, mask_w, _ = masked_token_losses(model, whole, index)
        sums["whole"][0] += float((nll_w * mask_w).sum())
        sums["whole"][1] += float(mask_w.sum())
        ids = test.ids[index]
        logits = model(input_ids=ids[:, :-1], attention_mask=test.attention_mask(index)[:, :-1]).logits
        hits = (logits.argmax(-1) == ids[:, 1:]).float()
        sums["hits"][0] += float((hits * mask).sum())
        sums["hits"][1] += float(mask.sum())
    return {
        "perplexity": math.exp(sums["cont"][0] / sums["cont"][1]),
        "perplexity_block": math.exp(sums["whole"][0] / sums["whole"][1]),
        "accuracy": sums["hits"][0] / sums["hits"][1],
    }
