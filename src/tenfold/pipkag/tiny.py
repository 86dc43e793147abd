"""Setting (a): a tiny Llama pre-trained on the synthetic world of :mod:`.world`, so its parametric knowledge is
exactly what we wrote — the memorised capitals — and a share of its training contexts contradict memory while the
target stays the memorised capital (a base model that trusts its memory, as the paper's backbones do).

Everything is a function of a :class:`TinyConfig`; the base model is trained once and kept in the shared cache
(``pipkag-tiny-base``), and :func:`tiny_setting` wraps it as a :class:`~tenfold.pipkag.pipeline.Setting`:

* probe set (ΔR)   memorised adaptation entities with a context that agrees with memory;
* adaptation data  per adaptation entity one agreeing and one counterfactual context (the answer is the context's
  city), per reader one context naming a random city;
* the test         the held-out memorised entities with a counterfactual context;
* retention        closed-book questions on every memorised entity the base answers; agreeing contexts on the test
  entities.

The defaults were found by measurement (2-core CPU, seed 0; the base model trains in 85 s): the loss on every token
of the honest texts, plain statements and readers whose city changes each time are what make 700 steps enough (with
the loss on answers only, or with a reader's true capital as the target, the base model sat on its loss plateau for
600-1,000 steps, or learnt to recall instead of reading); with 10 % of the memorised entities' contexts contradicting
them the base model answers all 60 capitals closed-book, reads 100 % of agreeing contexts and answers 85 % of the
conflict items from memory (30 % left it under-trained at 45 of 60).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch

from tenfold.common.config import check_fields
from tenfold.lm.blocks import Blocks, BlockTrainer
from tenfold.lm.lora import LoraSpec
from tenfold.lm.trainer import OptimConfig
from tenfold.pipkag.data import closed_book_prompt, rag_prompt
from tenfold.pipkag.pipeline import Fact, Setting, accuracy, known_facts
from tenfold.pipkag.world import World, conflict_items, make_world

VERSION = 4
"""Bumped when the base model's training changes in a way the config does not show."""


@dataclass(frozen=True)
class TinyConfig:
    """The tiny setting's sizes and training budgets."""

    n_layer: int = 8
    """decoder layers of the tiny Llama."""
    d_model: int = 64
    """residual width (d_ff stays llama-tiny's 352)."""
    n_memorised: int = 60
    """entities whose capital the base model memorises."""
    n_readers: int = 60
    """entities seen only with a context (to learn reading)."""
    n_test: int = 20
    """memorised entities held out from adaptation (the conflict test)."""
    statements: int = 2
    """plain statements "The capital of X is Y." per memorised entity in the base model's training."""
    conflict_share: float = 0.1
    """share of the base model's contexts that contradict a memorised capital (target stays the memorised one)."""
    pretrain_steps: int = 700
    """base-model training steps."""
    lr: float = 1e-2
    """base-model peak learning rate."""
    batch_size: int = 32
    """base-model batch size."""
    block_size: int = 48
    """tokens per training row (the longest world text is 45 tokens)."""
    adapt_steps: int = 100
    """adaptation steps (PIP-KAG, SFT, contrastive)."""
    adapt_lr: float = 2e-3
    """adaptation learning rate (LoRA)."""
    lora_r: int = 16
    """LoRA rank (the paper: 64 on d = 4096)."""
    probe_positions: str = "answer"
    """ΔR's positions: ``answer`` (the paper) or ``predicting``."""
    seed: int = 0
    """seed of the world, the initialisation and the batches."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=(
                "n_layer",
                "d_model",
                "n_memorised",
                "n_readers",
                "n_test",
                "pretrain_steps",
                "lr",
                "batch_size",
                "block_size",
                "adapt_lr",
                "lora_r",
            ),
            non_negative=("adapt_steps", "statements", "seed"),
            fractions=("conflict_share",),
            choices={"probe_positions": ("answer", "predicting")},
        )
        if self.n_test >= self.n_memorised:
            raise ValueError(f"n_test ({self.n_test}) must leave memorised entities to adapt on ({self.n_memorised})")

    def base_key(self) -> dict[str, Any]:
        """The fields the base model depends on (adaptation settings do not retrain it)."""
        skip = {"adapt_steps", "adapt_lr", "lora_r", "probe_positions"}
        return {k: v for k, v in asdict(self).items() if k not in skip} | {"version": VERSION}


def world_of(cfg: TinyConfig) -> World:
    return make_world(cfg.n_memorised, cfg.n_readers, cfg.n_test, cfg.seed)


def tokenizer_for(cfg: TinyConfig) -> Any:
    from tenfold.lm.tokenization import word_tokenizer
    from tenfold.pipkag.world import all_texts

    # word tokens: a capital is one token, so memorising a fact is learning one association. Spaces stay tokens:
    # without them the sequences are 40 % shorter but the base model stayed on its loss plateau for 700 steps where
    # with them it had memorised the capitals (2 seeds each)
    return word_tokenizer(all_texts(world_of(cfg)))


def _ids(tok: Any, text: str) -> list[int]:
    return list(tok(text, add_special_tokens=False)["input_ids"])


def build_model(cfg: TinyConfig, vocab: int) -> Any:
    """An untrained tiny Llama of the config's shape (``llama-tiny`` of the zoo, resized)."""
    from tenfold.lm.zoo import ZOO
    from tenfold.lm.zoo import build_model as build

    spec = replace(ZOO.get("llama-tiny"), n_layer=cfg.n_layer, d_model=cfg.d_model, dropout=0.0, max_len=256)
    return build(spec, vocab, 0, seed=cfg.seed)


def train_base(cfg: TinyConfig, workdir: Path) -> tuple[Any, Any]:
    """The base model trained on the world (resumes from ``workdir``'s checkpoints); ``(model, tokenizer)``."""
    from tenfold.pipkag.world import pretraining_texts

    world, tok = world_of(cfg), tokenizer_for(cfg)
    texts = pretraining_texts(world, statements=cfg.statements, conflict_share=cfg.conflict_share)
    # an honest text is trained on every token after its first; a contradicted one on its answer only
    prompts = [_ids(tok, t.prompt) for t in texts]
    answers = [_ids(tok, t.answer) for t in texts]
    blocks = Blocks.from_pairs(
        [p[:1] if t.honest else p for p, t in zip(prompts, texts, strict=True)],
        [(p[1:] if t.honest else []) + a for p, a, t in zip(prompts, answers, texts, strict=True)],
        block_size=cfg.block_size,
    )
    model = build_model(cfg, len(tok))
    optim = OptimConfig(
        steps=cfg.pretrain_steps,
        batch_size=cfg.batch_size,
        block_size=cfg.block_size,
        lr=cfg.lr,
        warmup_steps=min(50, cfg.pretrain_steps // 10),
        eval_every=cfg.pretrain_steps,
        ckpt_every=max(1, cfg.pretrain_steps // 4),
        seed=cfg.seed,
    )
    BlockTrainer(model, blocks, optim, workdir, optimizer=_decay_everything(optim)).train()
    return model.eval(), tok


def _decay_everything(optim: OptimConfig):
    """AdamW with weight decay on every parameter, embeddings included (the zoo's default spares them): measured
    on this world, decayed embeddings memorise the capitals in fewer steps."""
    return lambda model: torch.optim.AdamW(
        model.parameters(), lr=optim.lr, betas=(optim.beta1, optim.beta2), weight_decay=optim.weight_decay
    )


def base_model(cfg: TinyConfig) -> tuple[Any, Any]:
    """The trained base model from the shared cache (trained on first use; a killed training resumes)."""
    from tenfold.common.cache import cached_dir

    def build(path: Path) -> None:
        model, _ = train_base(cfg, path / "work")
        torch.save(model.state_dict(), path / "model.pt")

    root = cached_dir(
        "pipkag-tiny-base", cfg.base_key(), build, code=("tenfold.pipkag", "tenfold.lm"), label="tiny", resume=True
    )
    tok = tokenizer_for(cfg)
    model = build_model(cfg, len(tok))
    model.load_state_dict(torch.load(root / "model.pt", weights_only=True))
    return model.eval(), tok


def tiny_setting(cfg: TinyConfig) -> Setting:
    """The tiny world as a :class:`~tenfold.pipkag.pipeline.Setting` (trains the base model on first use)."""
    model, tok = base_model(cfg)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    world = world_of(cfg)
    rng = random.Random(cfg.seed + 7)

    def fresh() -> Any:
        m = build_model(cfg, len(tok))
        m.load_state_dict(state)
        return m.eval()

    def truth(e: str) -> Fact:
        return Fact(world.question(e), world.capitals[e], world.context(e, world.capitals[e], rng))

    # PIP-KAG's data are questions whose answer the context supports; where that answer is also memorised, the hinge
    # pushes the context-free likelihood down (the "uninstalling" half of the loss), so half agree with memory
    adapt_data = []
    for e in world.adapt:
        city = world.other_city(e, rng)
        adapt_data += [truth(e), Fact(world.question(e), city, world.context(e, city, rng))]
    cities = sorted(world.capitals.values())
    for e in world.readers:
        city = rng.choice(cities)
        adapt_data.append(Fact(world.question(e), city, world.context(e, city, rng)))
    heldout_rng = random.Random(cfg.seed + 11)
    heldout = [
        (rag_prompt(world.context(e, world.capitals[e], heldout_rng), world.question(e)), world.capitals[e] + "\n")
        for e in world.test
    ] + [(closed_book_prompt(world.question(e)), world.capitals[e] + "\n") for e in world.test]
    setting = Setting(
        name="tiny",
        fresh_model=fresh,
        tokenizer=tok,
        prompt=lambda user: user,
        answer_end="\n",
        stop_id=tok.convert_tokens_to_ids("\n"),
        probe=[truth(e) for e in world.adapt],
        adapt_data=adapt_data,
        conflict=conflict_items(world, world.test, cfg.seed + 3),
        known=[Fact(world.question(e), world.capitals[e]) for e in world.memorised],
        agreeing=[truth(e) for e in world.test],
        heldout=heldout,
        lora=LoraSpec(r=cfg.lora_r, alpha=cfg.lora_r),
        adapt_optim=OptimConfig(
            steps=max(cfg.adapt_steps, 1),
            batch_size=16,
            lr=cfg.adapt_lr,
            warmup_steps=max(1, cfg.adapt_steps // 10),
            weight_decay=1e-5,
            eval_every=max(cfg.adapt_steps, 1),
            ckpt_every=max(cfg.adapt_steps, 1),
            seed=cfg.seed,
        ),
        max_new_tokens=4,
        probe_positions=cfg.probe_positions,
    )
    setting.known = known_facts(model, setting, setting.known)
    return setting


def pair_drops(setting: Setting, k: int) -> dict[tuple[int, ...], float]:
    """Closed-book accuracy drop (points) for pruning every set of k FFNs (28 pairs for 8 layers, k = 2)."""
    from tenfold.pipkag.layers import ffn_sites, prune_layers

    base = setting.fresh_model()
    before = 100 * accuracy(base, setting, setting.known, with_context=False)
    drops = {}
    for combo in itertools.combinations(range(len(ffn_sites(base))), k):
        model = setting.fresh_model()
        prune_layers(model, combo)
        drops[combo] = before - 100 * accuracy(model, setting, setting.known, with_context=False)
    return drops


def rank_of(drops: dict[tuple[int, ...], float], chosen: tuple[int, ...]) -> int:
    """1-based rank of ``chosen`` among all sets by drop (ties share the best rank)."""
    return 1 + sum(d > drops[chosen] for d in drops.values())
