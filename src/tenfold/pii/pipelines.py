"""The three training pipelines of the study (paper §4–§6; official ``training.py``; removal has no official code),
each a chain of cached stages (the shared cache: a killed run resumes where it stopped, a finished one is read back).

* ``continuous``  one run, a checkpoint every 10 % of an epoch; at each, untargeted extraction and the PII newly
  seen since the last one (from the trainer's log) → the taxonomy of :mod:`.taxonomy`;
* ``adding``      nested datasets D_10 ⊂ D_40 ⊂ … ⊂ D_100 (the corpus with only the first p % of its records; the
  rest of every passage unchanged); a fresh fine-tune of the base per dataset; extraction of D_10's records by
  each (the paper's heat-map row D10 read left to right) — and a control: D_10 plus non-PII filler sentences with
  the token count of the PII that D_100 adds;
* ``removal``     train → extract → delete the extracted records' sentences → fine-tune the same base again with the
  same seed → extract; records extracted now and never before are the next "onion" layer; the control fine-tunes
  with another seed and nothing removed.

Stages: ``run`` (a fine-tune: :func:`~tenfold.pii.training.train`; key = corpus fingerprint + train config) and
``extraction`` (one checkpoint's attacks; key = run + checkpoint + extraction config).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from tenfold.common.cache import cached, cached_dir
from tenfold.common.config import check_fields
from tenfold.common.errors import UserError
from tenfold.pii.corpus import PiiCorpus
from tenfold.pii.extract import DETECTORS, extract, find_pii, true_prefix
from tenfold.pii.taxonomy import CLASSES, Checkpoint, classify
from tenfold.pii.training import TrainConfig, checkpoints, load_checkpoint, plan_of, seen_pii, train

CODE = ("tenfold.pii", "tenfold.lm")


@dataclass(frozen=True)
class ExtractConfig:
    """One checkpoint's untargeted extraction (official ``extract.py``: 25,000 prompts, 246 new tokens, greedy)."""

    prompts: int = 300
    """held-out 10-word prompts (the paper: 25,000)."""
    prompt_words: int = 10
    new_tokens: int = 48
    """tokens generated per prompt (the paper: up to 246)."""
    top_k: int = 0
    """0: greedy (the paper's default); 40: the paper's top-k."""
    samples: int = 1
    """generations per prompt with top-k (greedy needs one)."""
    seed: int = 0
    """prompt windows and sampling."""
    detector: str = "paper"
    """PII detector (``paper``: the official regex; ``clean``; ``phone``)."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("prompts", "prompt_words", "new_tokens", "samples"),
            non_negative=("top_k", "seed"),
            choices={"detector": tuple(DETECTORS)},
        )


# -- stages ---------------------------------------------------------------------------------------------------------
def trained(corpus: PiiCorpus, cfg: TrainConfig, during: ExtractConfig | None = None, from_epoch: int = 1) -> Path:
    """The fine-tuned run (cached). With ``during``, untargeted extraction runs at every 10 % of an epoch from epoch
    ``from_epoch`` on (and at the checkpoint just before it, the reference for M_prev) on the live model, its rows in
    ``extractions.jsonl`` in the run (continuous training)."""
    if not corpus.records:
        raise UserError("the corpus has no PII records: nothing to memorise or extract")
    if from_epoch < 1:
        raise UserError(f"the audit starts at epoch 1 or later, got {from_epoch}")
    key = {
        "corpus": corpus.fingerprint(),
        "train": asdict(cfg),
        "during": asdict(during) if during else None,
        "from_epoch": from_epoch if during else None,
    }

    def build(out: Path) -> None:
        hook = None
        if during:
            hook = _interval_extraction(corpus, cfg, during, out / "extractions.jsonl", from_epoch)
        train(corpus, cfg, out, on_interval=hook)

    return cached_dir("pii-runs", key, build, code=CODE, label="run", resume=True)


def _interval_extraction(
    corpus: PiiCorpus, cfg: TrainConfig, ex: ExtractConfig, log: Path, from_epoch: int
) -> Callable[[int, Any], None]:
    from tenfold.pii.data import heldout_prompts
    from tenfold.pii.training import tokenizer_for

    prompts = heldout_prompts(corpus.background, ex.prompts, ex.prompt_words, ex.seed)
    tok = tokenizer_for(corpus, cfg)
    done = {json.loads(line)["step"] for line in log.read_text().splitlines()} if log.exists() else set()

    def hook(step: int, model: Any) -> None:
        plan = plan_of(log.parent)
        first = (from_epoch - 1) * plan["steps_per_epoch"]  # the reference checkpoint: the last one before the audit
        if step in done or step < first - plan["interval"] + 1:
            return
        model = getattr(model, "_module", model)  # an Opacus-wrapped model generates through its module
        was_training = model.training
        model.eval()
        row = {"step": step, **_attack(model, tok, corpus, prompts, ex, targeted=False)}
        model.train(was_training)
        with open(log, "a") as fh:
            fh.write(json.dumps(row) + "\n")
        done.add(step)

    return hook


def _attack(model: Any, tok: Any, corpus: PiiCorpus, prompts: list[str], ex: ExtractConfig, targeted: bool):
    e = extract(model, tok, prompts, corpus.emails(), ex.new_tokens, ex.top_k, ex.samples, ex.seed, ex.detector)
    out: dict[str, Any] = {
        "extracted": sorted(e.extracted),
        "hits": {k: len(v) for k, v in sorted(e.found.items())},
        "pii_generated": sum(len(find_pii(g, ex.detector)) for g in e.generations),
        "generations": len(e.generations),
    }
    if targeted:
        prefixes = {r.email: r.prefixes[0] for r in corpus.records if r.prefixes}
        out["true_prefix"] = sorted(true_prefix(model, tok, prefixes))
    return out


def extract_checkpoint(corpus: PiiCorpus, cfg: TrainConfig, path: Path, ex: ExtractConfig) -> dict[str, Any]:
    """Untargeted and true-prefix extraction from one checkpoint (cached by checkpoint and extraction config)."""
    from tenfold.pii.data import heldout_prompts

    def compute() -> dict[str, Any]:
        model, tok = load_checkpoint(corpus, cfg, path)
        prompts = heldout_prompts(corpus.background, ex.prompts, ex.prompt_words, ex.seed)
        return _attack(model, tok, corpus, prompts, ex, targeted=True)

    return cached("pii-extractions", {"checkpoint": str(path), "extract": asdict(ex)}, compute, code=CODE)


def final_extraction(
    corpus: PiiCorpus, cfg: TrainConfig, ex: ExtractConfig, run: Path | str | None = None
) -> dict[str, Any]:
    """Fine-tune (cached) and attack the final model; ``run``: a finished run of this corpus and config (e.g. the
    continuous pipeline's, whose final model is the same fine-tune) instead of training again."""
    run = Path(run) if run is not None else trained(corpus, cfg)
    return {"run": str(run), **extract_checkpoint(corpus, cfg, checkpoints(run)[-1][1], ex)}


def _final_job(job: tuple[Any, ...]) -> dict[str, Any]:
    return final_extraction(*job)


def final_extractions(jobs: Sequence[tuple[Any, ...]], workers: int | None = None) -> list[dict[str, Any]]:
    """:func:`final_extraction` of independent fine-tunes, side by side in worker processes."""
    from tenfold.common.parallel import pmap

    return list(pmap(_final_job, list(jobs), workers=workers))


# -- continuous training (§4) ---------------------------------------------------------------------------------------
def continuous(corpus: PiiCorpus, cfg: TrainConfig, ex: ExtractConfig, from_epoch: int = 1) -> dict[str, Any]:
    """Per checkpoint (every 10 % of an epoch): step, epoch, % of the epoch, extracted set, newly seen set; the
    taxonomy rows (clean and faithful) and their totals.

    ``from_epoch`` > 1 audits the later epochs only (nothing is extractable early at tiny scale, and each audit
    costs an extraction): the checkpoint just before is the reference M_prev, listed as ``reference`` and left out of
    the totals (faithful percentages after epoch 1 are over the epoch-1 total, so without epoch 1 they fall back to the
    PII seen so far)."""
    run = trained(corpus, cfg, during=ex, from_epoch=from_epoch)
    plan = plan_of(run)
    per_epoch = plan["steps_per_epoch"]
    found = sorted(
        (json.loads(line) for line in (run / "extractions.jsonl").read_text().splitlines()), key=lambda r: r["step"]
    )
    points, prev, rows = [], 0, []
    for f in found:
        step = f["step"]
        epoch = 1 + (step - 1) // per_epoch
        newly = seen_pii(corpus, run, prev, step)
        points.append(Checkpoint(frozenset(f["extracted"]), newly, epoch))
        rows.append(
            {
                "step": step,
                "epoch": epoch,
                "percent_of_epoch": round(100 * (step - (epoch - 1) * per_epoch) / per_epoch),
                "extracted": f["extracted"],
                "newly_seen": sorted(newly),
                "pii_generated": f["pii_generated"],
            }
        )
        prev = step
    out: dict[str, Any] = {"run": str(run), "checkpoints": rows, "first_seen": first_exposure(corpus, run)}
    audited = slice(0, None)
    if rows and rows[0]["epoch"] < from_epoch:
        rows[0]["reference"] = True  # only M_prev for the next checkpoint: its own classes are not counted
        audited = slice(1, None)
    for mode in ("clean", "faithful"):
        tax = classify(points, faithful=mode == "faithful")
        for row, t in zip(rows, tax, strict=True):
            row[mode] = {c: sorted(t.sets[c]) for c in CLASSES} | {"denominator": t.denominator}
        out[f"totals_{mode}"] = summary_of(tax[audited])
    return out


def summary_of(rows: Sequence[Any]) -> dict[str, int]:
    """Distinct emails per class over all checkpoints (an email assisted at two checkpoints counts once)."""
    out: dict[str, set[str]] = {c: set() for c in CLASSES}
    for row in rows:
        for cls, s in row.sets.items():
            out[cls].update(s)
    return {k: len(v) for k, v in out.items()}


def first_exposure(corpus: PiiCorpus, run: Path) -> dict[str, int]:
    """The step at which each record was first seen (from the trainer's log)."""
    from tenfold.pii.training import seen_by_step

    out: dict[str, int] = {}
    for step, emails in sorted(seen_by_step(run).items()):  # one pass over the log, not one read per step
        for email in emails:
            out.setdefault(email, step)
    return out


# -- adding PII (§5) ------------------------------------------------------------------------------------------------
def nested(corpus: PiiCorpus, share: float) -> PiiCorpus:
    """D_share: the corpus with only the first ``share`` of its records (D_10 ⊂ D_20 ⊂ … exactly)."""
    if not 0 < share <= 1:
        raise UserError(f"a nested dataset's share must be in (0, 1], got {share}")
    return corpus.without({r.email for r in corpus.records[round(share * len(corpus.records)) :]})


FILLER_WORDS = [
    "the",
    "main",
    "office",
    "front",
    "desk",
    "reception",
    "visitor",
    "entrance",
    "hall",
    "building",
    "floor",
]


def filler_control(corpus: PiiCorpus, share: float, count_tokens: Callable[[str], int]) -> PiiCorpus:
    """D_share with every planted sentence of the other records replaced by a sentence of non-PII words with at
    least as many tokens (the control of the adding experiment: the same amount of added text, no PII)."""
    drop = {r.email for r in corpus.records[round(share * len(corpus.records)) :]}

    def filler(sentence: str) -> str:
        words: list[str] = []
        while count_tokens(" ".join(words) + ".") < count_tokens(sentence):
            words.append(FILLER_WORDS[len(words) % len(FILLER_WORDS)])
        return (" ".join(words) + ".").capitalize()

    return corpus.replace_sentences(drop, filler)


def adding_datasets(
    corpus: PiiCorpus, cfg: TrainConfig, shares: Sequence[float] = (0.1, 0.4, 1.0), control: bool = True
) -> dict[str, PiiCorpus]:
    """D_p for each share, and D_{shares[0]} + filler (same token count as the PII D_100 adds) when ``control``."""
    from tenfold.pii.training import tokenizer_for

    datasets = {f"D{round(100 * s)}": nested(corpus, s) for s in shares}
    if control:
        tok = tokenizer_for(corpus, cfg)
        n_tokens = lambda t: len(tok(t, add_special_tokens=False)["input_ids"])  # noqa: E731
        datasets[f"D{round(100 * shares[0])}+filler"] = filler_control(corpus, shares[0], n_tokens)
    return datasets


def adding(
    corpus: PiiCorpus,
    cfg: TrainConfig,
    ex: ExtractConfig,
    shares: Sequence[float] = (0.1, 0.4, 1.0),
    control: bool = True,
    workers: int | None = None,
    full_run: Path | str | None = None,
) -> dict[str, Any]:
    """Extraction of D_{shares[0]}'s records by a model fine-tuned on each D_share (and on the filler control)."""
    from tenfold.pii.training import tokenizer_for

    datasets = adding_datasets(corpus, cfg, shares, control)
    target = datasets[f"D{round(100 * shares[0])}"].emails()
    # D_100 is the whole corpus: a finished run of it (the continuous pipeline's) is reused
    jobs = [(d, cfg, ex, full_run if d.emails() == corpus.emails() else None) for d in datasets.values()]
    results = dict(zip(datasets, final_extractions(jobs, workers), strict=True))
    out: dict[str, Any] = {"target": sorted(target), "datasets": {}}
    for name, r in results.items():
        out["datasets"][name] = {
            "records": len(datasets[name].records),
            "extracted_target": sorted(set(r["extracted"]) & target),
            "extracted_all": len(r["extracted"]),
            "true_prefix_target": len(set(r.get("true_prefix", [])) & target),
            "pii_generated": r["pii_generated"],
        }
    tok = tokenizer_for(corpus, cfg)
    out["tokens"] = {
        name: sum(len(tok(t, add_special_tokens=False)["input_ids"]) for t in d.examples)
        for name, d in datasets.items()
    }
    return out


# -- removing PII (§6) ----------------------------------------------------------------------------------------------
def removal(
    corpus: PiiCorpus,
    cfg: TrainConfig,
    ex: ExtractConfig,
    rounds: int = 2,
    workers: int | None = None,
    full_run: Path | str | None = None,
) -> dict[str, Any]:
    """Round 0 fine-tunes on the whole corpus; round k on the corpus without every record extracted in rounds < k.
    ``new`` = extracted in round k and in no earlier round. The control: round 0 again with seed + 1."""
    if rounds < 1:
        raise UserError(f"removal needs at least one round, got {rounds}")
    control_cfg = replace(cfg, seed=cfg.seed + 1)
    # round 0 and the other-seed control are independent: run them side by side
    first, control = final_extractions([(corpus, cfg, ex, full_run), (corpus, control_cfg, ex)], workers)
    removed: set[str] = set(first["extracted"])
    out_rounds = [
        {"round": 0, "records": len(corpus.records), "extracted": first["extracted"], "new": first["extracted"]}
    ]
    current = corpus
    for k in range(1, rounds + 1):
        if not corpus.emails() - removed:
            break
        current = corpus.without(removed)
        r = final_extraction(current, cfg, ex)
        new = sorted(set(r["extracted"]) - removed)
        out_rounds.append({"round": k, "records": len(current.records), "extracted": r["extracted"], "new": new})
        removed |= set(r["extracted"])
    return {
        "rounds": out_rounds,
        "control": {
            "seed": control_cfg.seed,
            "extracted": control["extracted"],
            "new": sorted(set(control["extracted"]) - set(first["extracted"])),
        },
    }
