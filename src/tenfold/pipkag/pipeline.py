"""The method table: every defence against knowledge conflicts, run on one :class:`Setting` and measured the same way.

A setting (the tiny synthetic world, :mod:`.tiny`, or SmolLM2 on real questions, :mod:`.smol`) supplies a base
model, how a user turn becomes a prompt, the probe set for ΔR, the adaptation data and the test items. Each
:class:`Method` is a combination of three switches — which FFNs to prune, which adaptation loss, which decoder —
so the paper's method and its ablations are rows of one list (:data:`METHODS`), and the pruning controls
(:data:`CONTROLS`) are rows of another.

Measures per method (:func:`evaluate`):

* ``ConR``, ``ParR``, ``MR``, ``EM`` on the conflict items (:mod:`.metrics`; the paper's table);
* ``closed_book``  accuracy on facts the base model knows, asked without context (parametric knowledge kept);
* ``agreeing``     accuracy when the context agrees with memory (general ability on questions without a conflict);
* ``perplexity``   on held-out text (general ability);
* ``poisoned``     the share of conflict items, among those whose parametric answer is the truth, answered with the
  context's planted answer: faithfulness seen from the other side — a defence that always follows the context follows
  a poisoned retrieval too (beyond the paper).
"""

from __future__ import annotations

import math
import random
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from tenfold.common.errors import UserError
from tenfold.lm.lora import LoraSpec
from tenfold.lm.trainer import OptimConfig
from tenfold.pipkag.data import ConflictItem, closed_book_prompt, rag_prompt
from tenfold.pipkag.layers import LayerScores, answer_tokens, layer_scores, prune_layers
from tenfold.pipkag.metrics import aggregate, normalize_answer, score_item

PRUNING = ("none", "top", "lowest", "random")
"""Which FFNs a method removes: none, the k with the largest ΔR (PIP-KAG), the k smallest or k random (controls)."""
ADAPTATION = ("none", "pip", "sft")
"""The adaptation loss: none, PIP-KAG's contrastive loss, or SFT (``L_ctx`` only)."""
DECODING = ("greedy", "cad")


@dataclass(frozen=True)
class Method:
    """One row of the method table."""

    name: str
    prune: str
    adapt: str
    decode: str
    description: str

    def __post_init__(self) -> None:
        if self.prune not in PRUNING or self.adapt not in ADAPTATION or self.decode not in DECODING:
            raise ValueError(f"method {self.name}: unknown switch in {self}")


METHODS: tuple[Method, ...] = (
    Method("base", "none", "none", "greedy", "no defence"),
    Method("cad", "none", "none", "cad", "context-aware decoding (Shi et al., 2023), α = 0.5"),
    Method("prune-only", "top", "none", "greedy", "the top-ΔR FFNs pruned, no adaptation"),
    Method("sft", "none", "sft", "greedy", "LoRA on the adaptation data with L_ctx only, no pruning"),
    Method("contrastive", "none", "pip", "greedy", "LoRA with PIP-KAG's loss, no pruning"),
    Method("pip-kag", "top", "pip", "greedy", "top-ΔR FFNs pruned, then LoRA with PIP-KAG's loss (the method)"),
)
"""The method table, in report order."""

CONTROLS: tuple[Method, ...] = (
    Method("prune-lowest", "lowest", "none", "greedy", "the k lowest-ΔR FFNs pruned (control)"),
    Method("prune-random", "random", "none", "greedy", "k random FFNs pruned (control)"),
)
"""Pruning controls (closed-book accuracy only)."""

METHOD_INDEX = {m.name: m for m in METHODS + CONTROLS}


def method(name: str) -> Method:
    try:
        return METHOD_INDEX[name]
    except KeyError:
        raise UserError(f"unknown method {name!r}; known: {', '.join(METHOD_INDEX)}") from None


@dataclass(frozen=True)
class Fact:
    """A question with its answer and, for the probe and adaptation sets, a context."""

    question: str
    answer: str
    context: str = ""


@dataclass
class Setting:
    """What a method table runs on.

    ``prompt`` turns a user turn (:func:`~tenfold.pipkag.data.rag_prompt` or
    :func:`~tenfold.pipkag.data.closed_book_prompt`) into the model's input (plain, or a chat template); answers are
    teacher-forced as ``answer + answer_end`` and decoded greedily until ``stop_id``.
    """

    name: str
    fresh_model: Callable[[], Any]
    """a new copy of the base model (pruning and adaptation change it in place)."""
    tokenizer: Any
    prompt: Callable[[str], str]
    answer_end: str
    stop_id: int
    """the token that ends an answer (decoding also stops at a newline)."""
    probe: list[Fact]
    """ΔR's probe set: facts with a context that supports the answer."""
    adapt_data: list[Fact]
    """adaptation examples: the answer is the one the context supports."""
    conflict: list[ConflictItem]
    """the test: contexts contradicting memory."""
    known: list[Fact]
    """closed-book facts the base model knows (retention)."""
    agreeing: list[Fact]
    """questions whose context agrees with memory (no conflict)."""
    heldout: list[tuple[str, str]]
    """``(prefix, text)`` pairs: the perplexity is over ``text``'s tokens after ``prefix`` (empty: after its first
    token)."""
    lora: LoraSpec = field(default_factory=LoraSpec)
    adapt_optim: OptimConfig = field(default_factory=OptimConfig)
    max_new_tokens: int = 12
    cad_alpha: float = 0.5
    probe_positions: str = "answer"
    """ΔR's positions: ``answer`` (the paper) or ``predicting`` (the positions that predict the answer's tokens)."""

    def ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def with_context(self, context: str, question: str) -> str:
        return self.prompt(rag_prompt(context, question))

    def without_context(self, question: str) -> str:
        return self.prompt(closed_book_prompt(question))


# -- layer scores and choices ---------------------------------------------------------------------------------------
def score_layers(model: Any, setting: Setting) -> LayerScores:
    """ΔR per layer over the setting's probe set (the paper's step 1a)."""
    examples = []
    for fact in setting.probe:
        answer = fact.answer + setting.answer_end
        w = answer_tokens(setting.tokenizer, setting.with_context(fact.context, fact.question), answer)
        wo = answer_tokens(setting.tokenizer, setting.without_context(fact.question), answer)
        examples.append((*_positions(*w, setting.probe_positions), *_positions(*wo, setting.probe_positions)))
    return layer_scores(model, examples)


def _positions(ids: torch.Tensor, mask: torch.Tensor, positions: str) -> tuple[torch.Tensor, torch.Tensor]:
    if positions == "answer":
        return ids, mask
    if positions == "predicting":  # position t predicts token t+1: shift the answer mask one to the left
        return ids, torch.cat([mask[1:], torch.zeros(1, dtype=torch.bool)])
    raise UserError(f"probe positions must be 'answer' or 'predicting', got {positions!r}")


def choose_layers(scores: LayerScores, k: int, how: str, seed: int = 0) -> list[int]:
    """The k layers a pruning rule picks: ``top`` (largest ΔR), ``lowest``, ``random`` (seeded), in layer order."""
    n = len(scores.delta)
    if not 0 < k < n:
        raise UserError(f"k must be in 1..{n - 1} for a model of {n} layers, got {k}")
    if how == "top":
        return scores.top(k)
    if how == "lowest":
        return sorted(sorted(range(n), key=lambda i: scores.delta[i])[:k])
    if how == "random":
        return sorted(random.Random(seed).sample(range(n), k))
    raise UserError(f"pruning rule must be one of {', '.join(PRUNING[1:])}, got {how!r}")


def auto_k(delta: Sequence[float], max_share: float = 0.5) -> int:
    """k from the ΔR curve (beyond the paper, which reads the cut off a plot): the layers split into a high and a low
    group at the cut that maximises the between-group variance of ΔR (Otsu's threshold, in one dimension), with at
    most ``max_share`` of the layers in the high group.

    On a curve shaped like the released LLaMA3-8B figure (ΔR ≈ 0.01 in most layers, 0.07–0.085 in six) it returns 6,
    the paper's 13 %.
    """
    values = sorted(delta, reverse=True)
    if len(values) < 2:
        raise UserError("ΔR needs at least two layers")
    limit = max(1, min(int(len(values) * max_share), len(values) - 1))

    def between(k: int) -> float:
        high, low = values[:k], values[k:]
        return k * len(low) * (sum(high) / k - sum(low) / len(low)) ** 2

    return max(range(1, limit + 1), key=between)


# -- adaptation -----------------------------------------------------------------------------------------------------
def adapt(model: Any, setting: Setting, loss: str, workdir: Path, granularity: str = "per_example") -> Any:
    """Train a LoRA module with ``loss`` (``pip`` or ``sft``) on the setting's adaptation data and merge it (step 2)."""
    from tenfold.lm.lora import add_lora, merge
    from tenfold.pipkag.adapt import AdaptExample, ContrastiveTrainer

    examples = [
        AdaptExample(
            tuple(setting.ids(setting.with_context(f.context, f.question))),
            tuple(setting.ids(setting.without_context(f.question))),
            tuple(setting.ids(f.answer + setting.answer_end)),
        )
        for f in setting.adapt_data
    ]
    peft_model = add_lora(model, setting.lora, seed=setting.adapt_optim.seed)
    ContrastiveTrainer(peft_model, examples, setting.adapt_optim, workdir, method=loss, granularity=granularity).train()
    merged = merge(peft_model).eval()
    # the checkpoints exist to resume an interrupted training; once it has finished they only weigh (550 MB for
    # SmolLM2): the training log stays
    shutil.rmtree(workdir / "checkpoints", ignore_errors=True)
    return merged


def build_method(
    setting: Setting, m: Method, scores: LayerScores, k: int, workdir: Path, granularity: str = "per_example"
) -> tuple[Any, list[int]]:
    """The model of method ``m``: a fresh base, pruned and adapted as the method says; with the pruned layers."""
    model = setting.fresh_model()
    pruned: list[int] = []
    if m.prune != "none":
        pruned = choose_layers(scores, k, m.prune, seed=setting.adapt_optim.seed)
        prune_layers(model, pruned)
    if m.adapt != "none":
        model = adapt(model, setting, m.adapt, workdir / m.name, granularity)
    return model.eval(), pruned


# -- evaluation -----------------------------------------------------------------------------------------------------
def greedy_answers(model: Any, setting: Setting, prompts: Sequence[str]) -> list[str]:
    """Greedy answers cut at the first newline."""
    from tenfold.lm.generation import DecodingConfig, generate

    cfg = DecodingConfig(max_new_tokens=setting.max_new_tokens, eos_token_id=setting.stop_id)
    outs = generate(model, [setting.ids(p) for p in prompts], cfg)
    return [_first_line(setting.tokenizer.decode(o.ids, skip_special_tokens=True)) for o in outs]


def cad_answers(model: Any, setting: Setting, items: Sequence[ConflictItem]) -> list[str]:
    from tenfold.pipkag.decoding import cad_generate

    outs = cad_generate(
        model,
        [setting.ids(setting.with_context(i.context, i.question)) for i in items],
        [setting.ids(setting.without_context(i.question)) for i in items],
        alpha=setting.cad_alpha,
        max_new_tokens=setting.max_new_tokens,
        eos_token_id=setting.stop_id,
    )
    return [_first_line(setting.tokenizer.decode(o, skip_special_tokens=True)) for o in outs]


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0].strip()


def accuracy(model: Any, setting: Setting, facts: Sequence[Fact], with_context: bool) -> float:
    """Share of ``facts`` whose answer appears (normalised) in the greedy reply."""
    if not facts:
        return float("nan")
    prompts = [
        setting.with_context(f.context, f.question) if with_context else setting.without_context(f.question)
        for f in facts
    ]
    got = greedy_answers(model, setting, prompts)
    return sum(_holds(g, f.answer) for g, f in zip(got, facts, strict=True)) / len(facts)


def _holds(reply: str, answer: str) -> bool:
    gold = normalize_answer(answer)
    return bool(gold) and gold in normalize_answer(reply)


@torch.no_grad()
def perplexity(model: Any, setting: Setting, pairs: Sequence[tuple[str, str]]) -> float:
    """Token-level perplexity of each pair's text after its prefix (pooled over tokens)."""
    from tenfold.lm.scoring import token_log_probs

    if not pairs:
        return float("nan")
    prompts, continuations = [], []
    for prefix, text in pairs:
        ids = setting.ids(text)
        head, tail = (setting.ids(prefix), ids) if prefix else (ids[:1], ids[1:])
        prompts.append(head)
        continuations.append(tail)
    logp, mask = token_log_probs(model, prompts, continuations)
    return math.exp(float(-(logp * mask).sum() / mask.sum()))


def known_facts(model: Any, setting: Setting, facts: Sequence[Fact]) -> list[Fact]:
    """The facts ``model`` answers right closed-book (what it knows: the retention set)."""
    got = greedy_answers(model, setting, [setting.without_context(f.question) for f in facts])
    return [f for g, f in zip(got, facts, strict=True) if _holds(g, f.answer)]


def evaluate(model: Any, setting: Setting, m: Method) -> dict[str, Any]:
    """Every measure of the module docstring for one method's model, with the predictions."""
    items = setting.conflict
    if m.decode == "cad":
        predictions = cad_answers(model, setting, items)
    else:
        predictions = greedy_answers(model, setting, [setting.with_context(i.context, i.question) for i in items])
    scores = aggregate([score_item(p, i.answers, i.parametric_answer) for p, i in zip(predictions, items, strict=True)])
    known = {normalize_answer(f.answer) for f in setting.known}
    truth = [(p, i) for p, i in zip(predictions, items, strict=True) if normalize_answer(i.parametric_answer) in known]
    poisoned = sum(any(_holds(p, a) for a in i.answers) for p, i in truth) / len(truth) if truth else float("nan")
    return {
        **{name: round(value, 2) for name, value in scores.items()},
        "closed_book": 100 * accuracy(model, setting, setting.known, with_context=False),
        "agreeing": 100 * accuracy(model, setting, setting.agreeing, with_context=True),
        "perplexity": perplexity(model, setting, setting.heldout),
        "poisoned": 100 * poisoned,
        "predictions": predictions,
    }


def parameters(model: Any) -> int:
    return sum(p.numel() for p in model.parameters())
