"""The tiny setting end to end: train the base model on the synthetic world (:mod:`.world`), score its layers,
prune, adapt, and measure closed-book accuracy and context faithfulness for every method.

Everything is a function of a :class:`TinyConfig`; the base model is trained once and kept in the shared cache.
The defaults are the first configuration seen to work (2026-12-05, seed 0, 430 s on 2 cores): closed-book accuracy
100 % on the 60 memorised capitals, 75 % of reader questions answered from their context, and under counterfactual
contexts ParR 30 / ConR 5 / MR 85.7 on the 20 test entities — a base model that trusts its memory.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch

from tenfold.common.config import check_fields
from tenfold.lm.blocks import Blocks, BlockTrainer
from tenfold.lm.generation import DecodingConfig, generate
from tenfold.lm.trainer import OptimConfig
from tenfold.pipkag.data import ConflictItem, closed_book_prompt
from tenfold.pipkag.metrics import aggregate, normalize_answer, score_item


@dataclass(frozen=True)
class TinyConfig:
    """The tiny setting's sizes and training budgets."""

    n_layer: int = 8
    """decoder layers of the tiny Llama."""
    d_model: int = 128
    """residual width (d_ff = 8/3 · d rounded to 32 by the zoo's rule unless set)."""
    n_memorised: int = 60
    """entities whose capital the base model memorises."""
    n_readers: int = 60
    """entities seen only with a context (to learn reading)."""
    n_test: int = 20
    """memorised entities held out from adaptation (the conflict test)."""
    conflict_share: float = 0.3
    """share of the base model's contexts that contradict a memorised capital (target stays the memorised one)."""
    pretrain_steps: int = 2000
    """base-model training steps."""
    lr: float = 3e-3
    """base-model peak learning rate."""
    adapt_steps: int = 150
    """adaptation steps (PIP-KAG, SFT, contrastive)."""
    k: int = 2
    """FFN layers pruned."""
    seed: int = 0
    """seed of the world, the initialisation and the batches."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("n_layer", "d_model", "n_memorised", "n_readers", "n_test", "pretrain_steps", "k", "lr"),
            non_negative=("adapt_steps", "seed"),
            fractions=("conflict_share",),
        )
        if self.n_test >= self.n_memorised:
            raise ValueError(f"n_test ({self.n_test}) must leave memorised entities to adapt on ({self.n_memorised})")
        if self.k >= self.n_layer:
            raise ValueError(f"k ({self.k}) must be below n_layer ({self.n_layer})")


def _world(cfg: TinyConfig):
    from tenfold.pipkag.world import make_world

    return make_world(cfg.n_memorised, cfg.n_readers, cfg.n_test, cfg.seed)


def tokenizer_for(cfg: TinyConfig) -> Any:
    from tenfold.lm.tokenization import word_tokenizer
    from tenfold.pipkag.world import all_texts

    # word tokens: a capital is one token, so memorising a fact is learning one association
    return word_tokenizer(all_texts(_world(cfg)))


def _ids(tok: Any, text: str) -> list[int]:
    return list(tok(text, add_special_tokens=False)["input_ids"])


def _build(cfg: TinyConfig, vocab: int) -> Any:
    from tenfold.lm.zoo import ZOO, build_model

    spec = replace(ZOO.get("llama-tiny"), n_layer=cfg.n_layer, d_model=cfg.d_model, dropout=0.0, max_len=256)
    return build_model(spec, vocab, 0, seed=cfg.seed)


def train_base(cfg: TinyConfig, workdir: Path) -> tuple[Any, Any]:
    """The base model trained on the world (resumes from ``workdir``'s checkpoints); ``(model, tokenizer)``."""
    from tenfold.pipkag.world import pretraining_pairs

    world, tok = _world(cfg), tokenizer_for(cfg)
    pairs = pretraining_pairs(world, conflict_share=cfg.conflict_share)
    blocks = Blocks.from_pairs([_ids(tok, p) for p, _ in pairs], [_ids(tok, a) for _, a in pairs], block_size=64)
    model = _build(cfg, len(tok))
    optim = OptimConfig(
        steps=cfg.pretrain_steps,
        batch_size=32,
        lr=3e-3,
        warmup_steps=50,
        eval_every=cfg.pretrain_steps,
        ckpt_every=max(1, cfg.pretrain_steps // 4),
        seed=cfg.seed,
    )
    BlockTrainer(model, blocks, optim, workdir).train()
    return model.eval(), tok


def base_model(cfg: TinyConfig) -> tuple[Any, Any]:
    """The trained base model from the shared cache (trained on first use)."""
    from tenfold.common.cache import cached_dir

    def build(path: Path) -> None:
        model, _ = train_base(cfg, path / "work")
        torch.save(model.state_dict(), path / "model.pt")

    root = cached_dir("pipkag-tiny-base", asdict(cfg) | {"version": 1}, build, code=("tenfold.pipkag", "tenfold.lm"))
    tok = tokenizer_for(cfg)
    model = _build(cfg, len(tok))
    model.load_state_dict(torch.load(root / "model.pt", weights_only=True))
    return model.eval(), tok


def answers(model: Any, tok: Any, prompts: list[str], max_new_tokens: int = 12) -> list[str]:
    """Greedy answers, cut at the first newline."""
    eos = tok.convert_tokens_to_ids("\n")
    outs = generate(
        model, [_ids(tok, p) for p in prompts], DecodingConfig(max_new_tokens=max_new_tokens, eos_token_id=eos)
    )
    return [tok.decode(o.ids).split("\n", 1)[0] for o in outs]


def closed_book_accuracy(model: Any, tok: Any, cfg: TinyConfig, entities: tuple[str, ...] | None = None) -> float:
    """Share of memorised entities (or ``entities``) whose capital the model gives closed-book."""
    world = _world(cfg)
    entities = entities or world.memorised
    got = answers(model, tok, [closed_book_prompt(world.question(e)) for e in entities])
    return sum(
        normalize_answer(g) == normalize_answer(world.capitals[e]) for g, e in zip(got, entities, strict=True)
    ) / len(entities)


def faithfulness(predictions: list[str], items: list[ConflictItem]) -> dict[str, float]:
    """ConR / ParR / MR / EM of predictions on conflict items."""
    return aggregate([score_item(p, i.answers, i.parametric_answer) for p, i in zip(predictions, items, strict=True)])


def layer_pairs_by_drop(model_factory, tok: Any, cfg: TinyConfig) -> dict[tuple[int, ...], float]:
    """Closed-book accuracy drop for pruning every set of ``cfg.k`` layers (28 pairs for 8 layers, k = 2)."""
    from tenfold.pipkag.layers import prune_layers

    base = closed_book_accuracy(model_factory(), tok, cfg)
    drops = {}
    for combo in itertools.combinations(range(cfg.n_layer), cfg.k):
        model = model_factory()
        prune_layers(model, combo)
        drops[combo] = base - closed_book_accuracy(model, tok, cfg)
    return drops
