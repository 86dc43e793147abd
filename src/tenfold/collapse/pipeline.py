"""The recursive-training loop (official ``main.py``; paper §3–§4), one cached stage at a time.

Per generation g = 1 … G (generation 0 fine-tunes the base on the human blocks):

1. *generate*  model g−1 continues every human context of the pool (same order, same seed each generation, as the
   official code; ``vary_seed`` draws a new seed per generation) with exactly ``continuation`` new tokens;
2. *score*     the detector's P(AI) of every continuation, synthetic and human (frozen after generation 1 as the
   official detector, or refitted on model g−1's text with ``refit_detector``; its drift is logged either way);
3. *pool*      the first ⌈s·N⌉ synthetic continuations (``synthetic_fraction`` s) — with ``regime=accumulate`` half
   of them from this generation and half drawn from earlier ones (official), or all earlier ones (``accumulation
   full``) — plus the first ⌈α·N⌉ human blocks (``human_fraction`` α); origin unknown to the trainer;
4. *select*    :func:`~tenfold.collapse.resample.select` (none, importance resampling, filtering, loss weighting);
5. *train*     a fresh copy of the base (not model g−1) with the loss on the continuation positions.

Every stage is an entry of the shared cache keyed by the chain of stages before it, so a killed run resumes at the
last finished stage with identical results, and runs that share a prefix (generation 0 of every strategy) share
its work.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tenfold.collapse.data import Block, HumanData, load_human
from tenfold.collapse.decoding import STRATEGIES, decoding
from tenfold.collapse.detectors import DETECTORS, train_detector
from tenfold.collapse.models import ModelKit, evaluate, fine_tune, load_kit
from tenfold.collapse.pool import ACCUMULATIONS, REGIMES, synthetic_pool
from tenfold.collapse.resample import SAMPLERS, SELECTIONS, select
from tenfold.common.cache import cached_dir
from tenfold.common.config import check_fields, stable_hash
from tenfold.common.errors import UserError
from tenfold.common.seeding import derive_seed
from tenfold.lm.blocks import Blocks
from tenfold.lm.trainer import OptimConfig

log = logging.getLogger(__name__)

CODE = ("tenfold.collapse", "tenfold.lm")


@dataclass(frozen=True)
class RunConfig:
    """One recursive-training run."""

    model: str = "gpt2-tiny"
    """base: ``ngram``, a zoo name, ``smollm2`` or a checkpoint directory."""
    base_preset: str = "quick"
    """``lm`` training preset of a zoo base (pre-trained on dialogues)."""
    corpus: str = "wikipedia"
    """human text (an ``lm`` corpus)."""
    context: int = 32
    """context tokens per block (the paper: 256)."""
    continuation: int = 32
    """continuation tokens per block, generated exactly (the paper: 256)."""
    n_blocks: int = 256
    """human blocks in the pool (N)."""
    n_detector: int = 200
    """blocks whose human and model continuations train and test the detector."""
    n_test: int = 128
    """test blocks for perplexity."""
    generations: int = 3
    """generations after generation 0 (the paper: 10)."""
    decoding: str = "greedy"
    """decoding strategy (``tenfold.collapse.decoding.STRATEGIES``)."""
    regime: str = "replace"
    """replace (synthetic only), mix (synthetic + human of unknown origin), accumulate (earlier synthetic kept)."""
    synthetic_fraction: float = 1.0
    """⌈s·N⌉ synthetic continuations in the pool (official ``ai_beta``)."""
    human_fraction: float = 0.0
    """⌈α·N⌉ human blocks in the pool (official ``human_data_alpha``; 1.0 with s = 1 is the 50 % mix)."""
    accumulation: str = "official"
    """accumulate regime: half current + half earlier synthetic (official) or all earlier synthetic (full)."""
    selection: str = "none"
    """none, importance (the paper), filter, weight."""
    beta: float = 10.0
    """β of w = (1 − P(AI))^β (official ``bias_factor``)."""
    repeats: int = 3
    """R: copies of each item the resampler may draw (official ``max_repeats``)."""
    upsample: float = 1.5
    """u: the resampled set has round(u·n) items (official ``upsample_factor``)."""
    threshold: float = 0.5
    """P(AI) below which ``filter`` keeps an item."""
    sampler: str = "clean"
    """``official``: np.random.seed(42) and the legacy choice, index for index; ``clean``: a seeded Generator."""
    detector: str = "classifier"
    """classifier, fast-detectgpt, binoculars, oracle."""
    oracle_accuracy: float = 0.95
    """the oracle detector's per-item accuracy."""
    refit_detector: bool = False
    """refit the detector every generation on model g−1's text (default: frozen, as the official code)."""
    epochs: float = 1.0
    """passes over the training set per generation (the paper: 1)."""
    steps: int = 0
    """optimizer steps per generation (0: epochs · set size / batch); the compute-matched controls set it."""
    lr: float = 1e-3
    """fine-tuning learning rate (the paper's 5e-5 is for GPT-2 124M; a tiny model needs more)."""
    batch_size: int = 8
    """fine-tuning batch size (the paper: 8)."""
    human_only: bool = False
    """control: train every generation on the human blocks alone (for the compute-matched comparison)."""
    vary_seed: bool = False
    """a new decoding seed per generation (the official code reuses one)."""
    self_bleu_with_prompt: bool = False
    """Self-BLEU over context + continuation, as the official code (default: the continuation alone; the shared human
    prompt inflates the similarity)."""
    mauve: bool = False
    """also MAUVE of each generation's text against human continuations, on mean-pooled features of the base model."""
    seed: int = 0
    """seed of the base, decoding, resampling and training."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=(
                "context",
                "continuation",
                "n_blocks",
                "n_detector",
                "n_test",
                "repeats",
                "upsample",
                "epochs",
                "lr",
                "batch_size",
            ),
            non_negative=("generations", "beta", "synthetic_fraction", "human_fraction", "steps", "seed"),
            fractions=("threshold", "oracle_accuracy"),
            choices={
                "decoding": tuple(STRATEGIES),
                "regime": REGIMES,
                "accumulation": ACCUMULATIONS,
                "selection": SELECTIONS,
                "sampler": SAMPLERS,
                "detector": DETECTORS,
            },
        )
        if self.regime == "replace" and self.human_fraction > 0:
            raise ValueError("regime 'replace' trains on synthetic text only: set human_fraction=0 or regime=mix")
        if self.regime != "replace" and self.human_fraction == 0 and self.regime == "mix":
            raise ValueError("regime 'mix' needs human_fraction > 0")
        if self.upsample > self.repeats:
            raise ValueError(f"upsample ({self.upsample}) cannot exceed repeats ({self.repeats})")


@dataclass
class Generation:
    """What one generation produced (results looked up by name in ``metrics``)."""

    index: int
    metrics: dict[str, Any]
    stage: Path


# -- stages ---------------------------------------------------------------------------------------------------------
def _stage(label: str, key: dict[str, Any], build: Callable[[Path], None]) -> Path:
    return cached_dir("collapse-stages", key, build, code=CODE, label=label)


def _save_model(model: Any, path: Path) -> None:
    torch.save(model.state_dict(), path / "model.pt")


def _load_model(kit: ModelKit, path: Path) -> Any:
    model = kit.fresh()
    model.load_state_dict(torch.load(path / "model.pt", weights_only=True))
    return model.eval()


def _write(path: Path, name: str, obj: Any) -> None:
    (path / name).write_text(json.dumps(obj) + "\n")


def _read(path: Path, name: str) -> Any:
    return json.loads((path / name).read_text())


class CollapseRun:
    """A run of :class:`RunConfig`: ``run()`` walks the generations, each a chain of cached stages."""

    def __init__(self, cfg: RunConfig, kit: ModelKit | None = None, data: HumanData | None = None):
        self.cfg = cfg
        self.kit = kit or load_kit(cfg.model, cfg.seed, cfg.base_preset)
        self.data = data or load_human(
            self.kit.tokenizer,
            cfg.corpus,
            cfg.context,
            cfg.continuation,
            cfg.n_blocks,
            cfg.n_detector,
            cfg.n_test,
            self.kit.max_len,
        )
        self.eos = self.kit.tokenizer.eos_token_id
        test = self.data.test
        self.test_blocks = Blocks.from_pairs(
            [b.context for b in test], [b.continuation for b in test], len(test[0].ids)
        )
        self.whole_blocks = Blocks.from_sequences([b.ids for b in test], len(test[0].ids))
        self.human_texts = [self.decode(b.continuation) for b in self.data.train]
        self.base_key = {
            "kit": self.kit.key,
            "data": [cfg.corpus, cfg.context, cfg.continuation, cfg.n_blocks, cfg.n_detector, cfg.n_test],
            "train": [cfg.epochs, cfg.steps, cfg.lr, cfg.batch_size, cfg.seed],
        }

    def decode(self, ids: list[int]) -> str:
        return self.kit.tokenizer.decode(ids, skip_special_tokens=True)

    # -- building blocks ---------------------------------------------------------------------------------------------
    def optim(self, n: int) -> OptimConfig:
        steps = self.cfg.steps or max(1, math.ceil(self.cfg.epochs * n / self.cfg.batch_size))
        return OptimConfig(
            steps=steps,
            batch_size=self.cfg.batch_size,
            block_size=self.cfg.context + self.cfg.continuation,
            lr=self.cfg.lr,
            warmup_steps=0,
            min_lr_ratio=0.0,
            weight_decay=0.0,
            eval_every=steps,
            ckpt_every=steps,
            seed=self.cfg.seed,
        )

    def train_stage(self, label: str, key: dict[str, Any], blocks: list[Block], weights: list[float]) -> Path:
        def build(out: Path) -> None:
            pool = Blocks.from_pairs(
                [b.context for b in blocks],
                [b.continuation for b in blocks],
                self.cfg.context + self.cfg.continuation,
                weights=weights,
            )
            optim = self.optim(len(blocks))
            model = fine_tune(self.kit, pool, optim, out / "work")
            _save_model(model, out)
            _write(out, "eval.json", evaluate(model, self.test_blocks, self.whole_blocks) | {"steps": optim.steps})

        return _stage(label, key, build)

    def continue_stage(self, model_stage: Path, model_key: str, contexts: list[list[int]], g: int, what: str) -> Path:
        seed = derive_seed(self.cfg.seed, "generation", g) if self.cfg.vary_seed else self.cfg.seed
        key = {"model": model_key, "decoding": self.cfg.decoding, "seed": seed, "what": what, "n": len(contexts)}

        def build(out: Path) -> None:
            from tenfold.lm.generation import generate

            model = _load_model(self.kit, model_stage)
            cfg = decoding(self.cfg.decoding, self.cfg.continuation, seed, self.eos, batch_size=64)
            outs = generate(model, contexts, cfg, desc=f"generation {g} ({self.cfg.decoding})")
            _write(out, "continuations.json", [c.ids for c in outs])

        return _stage(f"gen{g}-{self.cfg.decoding}-{what}", key, build)

    def detector(self, model_stage: Path, model_key: str, g: int):
        """The detector fitted on the detector blocks: human continuations vs model continuations (label 1)."""
        ctx = [b.context for b in self.data.detector]
        synth = _read(self.continue_stage(model_stage, model_key, ctx, g, "detector"), "continuations.json")
        human = [b.continuation for b in self.data.detector]
        ids = human + synth
        texts = [self.decode(s) for s in ids]
        labels = [False] * len(human) + [True] * len(synth)
        models = ()
        if self.cfg.detector == "fast-detectgpt":
            models = (self.kit.fresh(),)
        elif self.cfg.detector == "binoculars":
            models = (self.kit.fresh(), _load_model(self.kit, model_stage))
        return train_detector(self.cfg.detector, texts, ids, labels, self.cfg.seed, models, self.cfg.oracle_accuracy)

    def generation0(self) -> tuple[Path, str]:
        """Generation 0 (the base fine-tuned on the human blocks): its stage and its key digest."""
        key = {"stage": "gen0", **self.base_key}
        human = self.data.train
        return self.train_stage("gen0", key, human, [1.0] * len(human)), stable_hash(key, 16)

    # -- the loop ----------------------------------------------------------------------------------------------------
    def run(self, on_generation: Callable[[Generation], None] | None = None) -> list[Generation]:
        cfg = self.cfg
        human = self.data.train
        stage0, key0 = self.generation0()
        gens = [
            Generation(
                0,
                {"generation": 0, **_read(stage0, "eval.json"), **self.text_metrics([b.continuation for b in human])},
                stage0,
            )
        ]
        if on_generation:
            on_generation(gens[0])
        prev_stage, prev_key = stage0, key0
        history: list[list[list[int]]] = []
        det = None
        det_info: dict[str, Any] = {}
        contexts = [b.context for b in human]
        from tenfold.common.progress import progress

        for g in progress(range(1, cfg.generations + 1), desc=f"generations ({cfg.decoding}, {cfg.regime})"):
            synth = _read(self.continue_stage(prev_stage, prev_key, contexts, g, "pool"), "continuations.json")
            history.append(synth)
            n_synth = math.ceil(cfg.synthetic_fraction * len(human))
            rng = np.random.default_rng(derive_seed(cfg.seed, "accumulate", g))
            pool_synth = synthetic_pool(human, history, n_synth, cfg.regime, cfg.accumulation, rng)
            pool_human = human[: math.ceil(cfg.human_fraction * len(human))] if cfg.regime != "replace" else []
            pool = pool_synth + pool_human
            is_human = [False] * len(pool_synth) + [True] * len(pool_human)
            if cfg.human_only:
                pool, is_human = list(human), [True] * len(human)
            texts = [self.decode(b.continuation) for b in pool]
            if cfg.selection != "none" or cfg.detector == "oracle":
                if det is None or cfg.refit_detector:
                    det = self.detector(prev_stage, prev_key, g)
                    det_info = det.info
                p_ai = det.p_ai(texts, [b.continuation for b in pool], [not h for h in is_human])
            else:
                p_ai = np.zeros(len(pool))
            sel_seed = 42 if cfg.sampler == "official" else derive_seed(cfg.seed, "select", g)
            chosen = select(
                p_ai, cfg.selection, cfg.beta, cfg.repeats, cfg.upsample, cfg.threshold, sel_seed, cfg.sampler
            )
            blocks = [pool[i] for i in chosen.indices]
            key = {
                "stage": "train",
                "prev": prev_key,
                "g": g,
                "pool": [
                    cfg.decoding,
                    cfg.regime,
                    cfg.synthetic_fraction,
                    cfg.human_fraction,
                    cfg.accumulation,
                    cfg.human_only,
                    cfg.vary_seed,
                ],
                "select": [cfg.selection, cfg.beta, cfg.repeats, cfg.upsample, cfg.threshold, cfg.sampler],
                "detector": [cfg.detector, cfg.oracle_accuracy, cfg.refit_detector]
                if cfg.selection != "none"
                else None,
            }
            stage = self.train_stage(f"gen{g}", key, blocks, chosen.weights)
            metrics = {
                "generation": g,
                **_read(stage, "eval.json"),
                **self.text_metrics(synth),
                "pool": len(pool),
                "pool_human_share": sum(is_human) / len(pool),
                "selected": len(chosen.indices),
                "human_share": chosen.human_share(is_human),
                "ess": chosen.ess,
                "fallback": chosen.fallback,
            }
            if det is not None:
                from tenfold.collapse.metrics import detector_metrics

                metrics["detector_on_pool"] = (
                    detector_metrics(p_ai, [not h for h in is_human]) if 0 < sum(is_human) < len(pool) else None
                )
                metrics["detector"] = det_info
            gens.append(Generation(g, metrics, stage))
            if on_generation:
                on_generation(gens[-1])
            prev_stage, prev_key = stage, stable_hash(key, 16)
        return gens

    def text_metrics(self, continuations: list[list[int]]) -> dict[str, Any]:
        """Statistics of one generation's continuations (of the pool's human contexts, in order)."""
        from tenfold.collapse.metrics import diversity, flesch, ngram_kl, self_bleu, vocabulary_coverage

        texts = [self.decode(s) for s in continuations]
        div = diversity(texts)
        human = [b.continuation for b in self.data.test]
        bleu_on = (
            [b.context + c for b, c in zip(self.data.train, continuations, strict=True)]
            if self.cfg.self_bleu_with_prompt
            else continuations
        )
        extra = {"mauve": self.mauve(continuations)} if self.cfg.mauve else {}
        return extra | {
            "diversity": diversity(continuations).mean,
            "diversity_words": div.mean,
            "short_texts": div.short,
            "rep2": div.rep[2],
            "self_bleu": self_bleu(bleu_on, samples=100, seed=0),
            "readability": flesch(texts),
            "vocab_coverage": vocabulary_coverage(continuations, human),
            "bigram_kl": ngram_kl(continuations, human),
            "mean_words": float(np.mean([len(t.split()) for t in texts])),
        }

    @torch.no_grad()
    def features(self, seqs: list[list[int]]) -> np.ndarray:
        """Mean-pooled last hidden states of the base model (MAUVE's features, computed here: nothing fetched)."""
        model = self._feature_model = getattr(self, "_feature_model", None) or self.kit.fresh()
        out = []
        for lo in range(0, len(seqs), 64):
            x = torch.tensor(seqs[lo : lo + 64])
            hidden = model(input_ids=x, output_hidden_states=True).hidden_states[-1]
            out.append(hidden.mean(1).float().numpy())
        return np.concatenate(out)

    def mauve(self, continuations: list[list[int]]) -> float:
        from tenfold.collapse.metrics import mauve_from_features

        if not self.kit.trainable:
            raise UserError("MAUVE needs a neural base model's features (not the bigram tier)")
        # the reference: the human continuations of the same contexts
        human = [b.continuation for b in self.data.train]
        return mauve_from_features(self.features(continuations), self.features(human), seed=self.cfg.seed)


def run_collapse(cfg: RunConfig, on_generation: Callable[[Generation], None] | None = None) -> list[dict[str, Any]]:
    """The metrics of every generation (0 … G) of ``cfg``."""
    return [g.metrics for g in CollapseRun(cfg).run(on_generation)]


def config_dict(cfg: RunConfig) -> dict[str, Any]:
    return asdict(cfg)


def with_(cfg: RunConfig, **changes: Any) -> RunConfig:
    try:
        return replace(cfg, **changes)
    except ValueError as exc:
        raise UserError(str(exc)) from None
