"""Running LM training jobs: where they live, training (with resume) and the cache of trained models."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import torch

from tenfold.common.cache import cached_dir, entry_path, lookup
from tenfold.common.config import stable_hash
from tenfold.common.rundir import RunDir
from tenfold.lm.config import LMJob
from tenfold.lm.corpora import load_corpus
from tenfold.lm.metrics import unigram_perplexity
from tenfold.lm.tokenization import build_tokenizer, encode_documents
from tenfold.lm.trainer import OptimConfig, StreamTrainer, eval_windows
from tenfold.lm.zoo import build_model


def _label(job: LMJob) -> str:
    return f"{job.model_name}__{job.corpus}"


def job_dir(job: LMJob) -> Path:
    """The cache entry of ``job`` (``$TENFOLD_CACHE/models/<model>__<corpus>-<digest>``), whether trained or not."""
    return entry_path("models", job, label=_label(job))


def trained_dir(job: LMJob) -> Path | None:
    """The ``final/`` directory of ``job``'s trained model in the cache, or None if it has not been trained."""
    entry = lookup("models", job, label=_label(job))
    return final_dir(entry) if entry is not None else None


def final_dir(workdir: Path) -> Path:
    """Where a finished job's model and tokenizer are saved (Hugging Face format)."""
    return workdir / "final"


def is_trained(workdir: Path) -> bool:
    return (final_dir(workdir) / "config.json").exists() and (workdir / "summary.json").exists()


def _token_streams(job: LMJob) -> tuple[Any, torch.Tensor, torch.Tensor, dict[str, str]]:
    corpus = load_corpus(job.corpus)
    tokenizer = build_tokenizer(job.model.tokenizer, job.corpus)
    train = torch.tensor(encode_documents(tokenizer, corpus.docs("train")))
    val = torch.tensor(encode_documents(tokenizer, corpus.docs("val")))
    return tokenizer, train, val, corpus.sources


def train_job(
    job: LMJob, workdir: Path | None = None, stop_at: int | None = None, preset: str = "custom"
) -> dict[str, Any]:
    """Train ``job`` in ``workdir`` (default: its cache directory), resuming from its newest checkpoint.

    Writes the run records (config, env with corpus hashes, metrics, summary, loss plot) and ``final/``.
    Returns the summary: final validation loss/perplexity, the unigram baseline on the same tokens, timing.
    """
    if workdir is None:
        return RunDir.open(ensure_trained(job, preset)).summary() or {}
    workdir = Path(workdir)
    RunDir.check_same_config(workdir, job, "use --restart or another --out-dir")
    if is_trained(workdir):
        return RunDir.open(workdir).summary() or {}
    tokenizer, train_ids, val_ids, sources = _token_streams(job)
    model = build_model(job.model, len(tokenizer), tokenizer.eos_token_id, seed=job.train.seed)
    extra = {"model": job.model_name, "corpus": job.corpus}
    return run_training(
        workdir, job, model, tokenizer, train_ids, val_ids, job.train, sources, "lm", preset, stop_at, extra
    )


def run_training(
    workdir: Path,
    record: Any,
    model: Any,
    tokenizer: Any,
    train_ids: torch.Tensor,
    val_ids: torch.Tensor,
    cfg: OptimConfig,
    sources: dict[str, str] | None = None,
    system: str = "lm",
    preset: str = "custom",
    stop_at: int | None = None,
    extra_summary: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train ``model`` on token streams in ``workdir`` (resuming), then save ``final/`` and the run records.

    ``record`` is what ``config.json`` stores (the job's full description). Any system can train on its own texts
    through this (see :func:`train_on_texts`). Returns the summary.
    """
    workdir = Path(workdir)
    fresh = not (workdir / "config.json").exists()
    run = RunDir.create(workdir, system, preset, cfg.seed, record, path=workdir) if fresh else RunDir.open(workdir)
    if sources:
        run.record_data_files(sources)
    trainer = StreamTrainer(model, train_ids, val_ids, cfg, workdir, run)
    t0 = time.perf_counter()
    final = trainer.train(stop_at=stop_at)
    if trainer.step < cfg.steps:  # stopped early on purpose (stop_at): leave it resumable
        return {"step": trainer.step, "finished": False}
    targets = eval_windows(val_ids, cfg.block_size)[:, 1:].flatten()
    summary = {
        **(extra_summary or {}),
        "steps": trainer.step,
        "parameters": sum(p.numel() for p in model.parameters()),
        "vocab_size": len(tokenizer),
        "train_tokens": len(train_ids),
        "val_tokens_scored": len(targets),
        "val_loss": final["eval/loss"],
        "val_ppl": final["eval/ppl"],
        "unigram_ppl": unigram_perplexity(train_ids, targets, len(tokenizer)),
        "seconds_this_session": time.perf_counter() - t0,
        "finished": True,
    }
    save_dir = final_dir(workdir)
    model.save_pretrained(str(save_dir))
    tokenizer.save_pretrained(str(save_dir))
    _plot_curves(run, summary["unigram_ppl"])
    run.write_summary(summary)
    return summary


def train_on_texts(
    workdir: Path,
    record: Any,
    model: Any,
    tokenizer: Any,
    train_texts: list[str],
    val_texts: list[str],
    cfg: OptimConfig,
    system: str = "lm",
    preset: str = "custom",
) -> Path:
    """Train (or fine-tune) ``model`` on documents ``train_texts`` unless ``workdir`` already holds the finished run;
    returns ``workdir`` (the model is in ``final/``). ``record`` should identify texts and settings (e.g. hashes)."""
    workdir = Path(workdir)
    if not is_trained(workdir):
        train = torch.tensor(encode_documents(tokenizer, train_texts))
        val = torch.tensor(encode_documents(tokenizer, val_texts))
        run_training(workdir, record, model, tokenizer, train, val, cfg, None, system, preset)
    return workdir


def texts_hash(texts: list[str]) -> str:
    """A short digest of a list of documents (for cache keys and run records)."""
    return stable_hash(["\x00".join(texts)], 16)


def _plot_curves(run: RunDir, unigram_ppl: float) -> None:
    from tenfold.common.plots import line_plot

    rows = run.metrics()
    train = [(r["step"], math.exp(r["train/loss"])) for r in rows if "train/loss" in r]
    val = [(r["step"], r["eval/ppl"]) for r in rows if "eval/ppl" in r]
    curves = {"train (batch)": tuple(zip(*train, strict=True)), "validation": tuple(zip(*val, strict=True))}
    fig = line_plot(
        curves, "step", "perplexity", title="training curve", logy=True, hlines={"unigram baseline (val)": unigram_ppl}
    )
    run.save_figure(fig, "perplexity")


def ensure_trained(job: LMJob, preset: str = "custom") -> Path:
    """The cache entry of ``job`` with a trained model in ``final/`` (trained first if needed; an interrupted
    training resumes from its last checkpoint)."""
    return cached_dir("models", job, lambda out: train_job(job, out, preset=preset), label=_label(job), resume=True)
