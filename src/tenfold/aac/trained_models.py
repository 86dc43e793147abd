"""The models of the AAC comparison, trained once and cached (keyed by texts and settings).

* ``S0``: gpt2-tiny (BPE-1024) on general text G; ``S_top`` / ``S_random``: S0 fine-tuned on the top-rated /
  a random selection of the pool (the adaptation experiment).
* ``C0`` / ``C_top``: the same architecture with a character vocabulary (the byte-LM baseline), same data path.
* the classification head: S_top's backbone plus a linear layer over Σ, fine-tuned on next-character targets of
  G + the top selection.
* the character n-gram on G + the top selection.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch

from tenfold.aac.adaptation import UsefulnessScorer, select_random, select_top
from tenfold.aac.baselines import ClassifierHead, train_classifier_head
from tenfold.aac.config import ReproConfig
from tenfold.aac.data import AACData
from tenfold.aac.ngram import KneserNeyCharLM
from tenfold.common.cache import cached_dir
from tenfold.common.config import stable_hash
from tenfold.lm.jobs import final_dir, texts_hash, train_on_texts
from tenfold.lm.loading import load_local
from tenfold.lm.tokenization import char_tokenizer, train_bpe
from tenfold.lm.zoo import ZOO, build_model

SPEC = ZOO.get("gpt2-tiny")


def _val_split(texts: list[str]) -> tuple[list[str], list[str]]:
    # every 50th sentence validates: deterministic, and the rest trains
    return [t for i, t in enumerate(texts) if i % 50], [t for i, t in enumerate(texts) if i % 50 == 0]


def tokenizers(data: AACData) -> tuple[Any, Any]:
    """BPE-1024 and character tokenizers trained on G + the pool (never on the test text)."""
    texts = data.general_train + data.pool
    key = texts_hash(texts)
    out = []
    for kind, make in (("bpe", lambda: train_bpe(texts, 1024)), ("char", lambda: char_tokenizer(texts))):
        from transformers import PreTrainedTokenizerFast

        path = cached_dir(
            "tokenizers",
            {"aac": kind, "texts": key},
            lambda out, make=make: make().save_pretrained(str(out)),
            label=f"aac-{kind}",
        )
        out.append(PreTrainedTokenizerFast.from_pretrained(str(path)))
    return out[0], out[1]


def selections(data: AACData, cfg: ReproConfig, seed: int) -> dict[str, Any]:
    """The usefulness scores of the pool and the top / random selections (indices)."""
    scorer = UsefulnessScorer().fit(data.seed, data.general_train[:5000])
    scores = [scorer.score(s) for s in data.pool]
    top = select_top(data.pool, scores, cfg.selection_size)
    rnd = select_random(data.pool, cfg.selection_size, seed)
    return {
        "scores": scores,
        "top": top,
        "random": rnd,
        "top_conversational": sum(data.pool_is_conversational[i] for i in top) / len(top),
        "random_conversational": sum(data.pool_is_conversational[i] for i in rnd) / len(rnd),
    }


def train_lm(
    kind: str, tokenizer: Any, texts: list[str], train_cfg, seed: int, init: Path | None = None, preset: str = "custom"
) -> Path:
    """Train gpt2-tiny on ``texts`` (from scratch, or fine-tuning the model in ``init``); cached, and an interrupted
    training resumes. Returns the model's ``final/`` directory."""
    train_cfg = dataclasses.replace(train_cfg, seed=seed)
    key = {
        "kind": kind,
        "spec": SPEC,
        "vocab": stable_hash(tokenizer.get_vocab()),
        "texts": texts_hash(texts),
        "train": train_cfg,
        "init": init.parent.name if init else None,  # the initial model's cache entry: content-addressed already
    }

    def build(workdir: Path) -> None:
        if init is None:
            model = build_model(SPEC, len(tokenizer), tokenizer.eos_token_id, seed=seed)
        else:
            model, _ = load_local(init)
            model.train()
        train_texts, val_texts = _val_split(texts)
        train_on_texts(workdir, key, model, tokenizer, train_texts, val_texts, train_cfg, system="aac", preset=preset)

    return final_dir(cached_dir("aac-models", key, build, label=kind, resume=True))


def _train_chain(chain: list[tuple]) -> list[Any]:
    """Trainings in order, in one worker process (one torch thread: the models are tiny, and a fixed thread count
    keeps a seeded model the same on any machine): ``("lm", kind, tokenizer, texts, optim, seed, init, preset)`` with
    ``init`` the index of an earlier step's model (or None), ``("head", backbone, tokenizer, sentences, cfg, seed)``
    with ``backbone`` such an index. A chain that needs another chain's model asks for it like any cached model: the
    cache's lock makes it wait until that model is built, then reads it."""
    from tenfold.common.seeding import torch_threads

    out: list[Any] = []
    with torch_threads(1):
        for step, *args in chain:
            if step == "lm":
                kind, tokenizer, texts, optim, seed, init, preset = args
                out.append(
                    train_lm(kind, tokenizer, texts, optim, seed, out[init] if init is not None else None, preset)
                )
            else:
                backbone, tokenizer, sentences, cfg, seed = args
                classifier_head(out[backbone], tokenizer, sentences, cfg, seed)
                out.append(None)
    return out


def train_models(
    data: AACData,
    cfg: ReproConfig,
    seed: int,
    preset: str,
    tokenizers: tuple[Any, Any],
    selection: dict[str, Any],
) -> dict[str, Path]:
    """Every model of the comparison, in two chains over ``cfg.workers`` processes: the subword pre-training, its
    top-rated fine-tuning and the classification head on it; and the character pre-training, its fine-tuning and the
    random-selection fine-tuning of the subword model (which the first chain has built by then, or is building: the
    cache makes it wait). Each is cached: a repeated run loads them. Returns the language models' ``final/``
    directories by role (``S0``, ``S_top``, ``S_random``, ``C0``, ``C_top``); load the head with
    :func:`classifier_head`."""
    from tenfold.common.parallel import pmap

    bpe, chars = tokenizers
    top = [data.pool[i] for i in selection["top"]]
    rnd = [data.pool[i] for i in selection["random"]]
    subword = ("lm", "subword", bpe, data.general_train, cfg.pretrain, seed, None, preset)
    chains = [
        [
            subword,
            ("lm", "subword-top", bpe, top, cfg.finetune, seed, 0, preset),
            ("head", 1, bpe, data.general_train + top, cfg, seed),
        ],
        [
            ("lm", "char", chars, data.general_train, cfg.char_pretrain, seed, None, preset),
            ("lm", "char-top", chars, top, cfg.finetune, seed, 0, preset),
            subword,
            ("lm", "subword-random", bpe, rnd, cfg.finetune, seed, 2, preset),
        ],
    ]
    (s0, s_top, _), (c0, c_top, _, s_rnd) = pmap(_train_chain, chains, cfg.workers)
    return {"S0": s0, "S_top": s_top, "S_random": s_rnd, "C0": c0, "C_top": c_top}


def classifier_head(
    backbone_dir: Path, tokenizer: Any, sentences: list[str], cfg: ReproConfig, seed: int
) -> ClassifierHead:
    """The classification head on the backbone in ``backbone_dir`` (trained once, cached)."""
    key = {"backbone": backbone_dir.parent.name, "texts": texts_hash(sentences), "steps": cfg.head_steps, "seed": seed}

    def build(out: Path) -> None:
        lm, _ = load_local(backbone_dir)
        model = train_classifier_head(lm, tokenizer, sentences, cfg.head_steps, batch_size=32, seed=seed)
        torch.save(model.state_dict(), out / "head.pt")

    path = cached_dir("aac-models", key, build, label="head") / "head.pt"
    model = ClassifierHead(load_local(backbone_dir)[0], 28)  # the state dict holds the fine-tuned backbone too
    model.load_state_dict(torch.load(path, map_location="cpu"))
    return model.eval()


def ngram(sentences: list[str], order: int) -> KneserNeyCharLM:
    return KneserNeyCharLM(order).fit(sentences)
