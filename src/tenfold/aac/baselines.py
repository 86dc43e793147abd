"""The predictors the paper compares against, plus two sanity baselines. All expose ``predict_array(typed)`` →
probabilities over Σ (and ``predict`` → dict), like :class:`~tenfold.aac.predictor.CharPredictor`.

* :class:`ClassifierHeadPredictor` — a linear layer over Σ on the last hidden state of the subword backbone, fed the
  canonical tokens of the whole typed text and fine-tuned (backbone and head) on next-character targets (the
  paper's OPT-350m classifier, ``classifier.py``).
* :class:`CharLMPredictor` — a character-level causal LM (the paper's byte LM, ByGPT5; for Σ's ASCII symbols a
  character vocabulary is the byte vocabulary restricted to them); its next-character distribution renormalised to Σ.
* :class:`NaiveSubwordPredictor` — canonical tokens of the whole typed text, then the first character of the next token
  (no marginalisation): exposes the token-boundary problem (not in the paper).
* :class:`MixturePredictor` — linear interpolation (the paper's 0.8 LLM + 0.2 n-gram); :class:`UniformPredictor`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import torch

from tenfold.aac.lmwrap import clip_left, context_limit
from tenfold.aac.symbols import DEFAULT_SYMBOLS, case_simple, check_typed
from tenfold.aac.vocab import TokenIndex, default_left_context, token_strings
from tenfold.common.seeding import derive_seed


class CharModel(Protocol):
    symbols: str

    def predict_array(self, typed: str) -> np.ndarray: ...


def as_dict(model: CharModel, typed: str) -> dict[str, float]:
    return dict(zip(model.symbols, model.predict_array(typed).tolist(), strict=True))


class UniformPredictor:
    def __init__(self, symbols: str = DEFAULT_SYMBOLS):
        self.symbols = symbols

    def predict_array(self, typed: str) -> np.ndarray:
        return np.full(len(self.symbols), 1.0 / len(self.symbols))


class MixturePredictor:
    """Σ_i w_i · P_i(c | x)."""

    def __init__(self, models: Sequence[CharModel], weights: Sequence[float]):
        if len(models) != len(weights) or abs(sum(weights) - 1) > 1e-9 or min(weights) < 0:
            raise ValueError("mixture weights must be non-negative, one per model, and sum to 1")
        self.models, self.weights = list(models), list(weights)
        self.symbols = models[0].symbols

    def predict_array(self, typed: str) -> np.ndarray:
        return sum(w * m.predict_array(typed) for m, w in zip(self.models, self.weights, strict=True))


class NaiveSubwordPredictor:
    """First character of the next token after the canonical tokens of the full typed text."""

    def __init__(self, model: Any, tokenizer: Any, symbols: str = DEFAULT_SYMBOLS, case_context: bool = True):
        self.model, self.tokenizer, self.symbols, self.case_context = model.eval(), tokenizer, symbols, case_context
        self.index = TokenIndex.build(token_strings(tokenizer), symbols)

    @torch.no_grad()
    def predict_array(self, typed: str) -> np.ndarray:
        x = check_typed(typed, self.symbols)
        text = case_simple(x) if self.case_context else x
        ids = (
            [*default_left_context(self.tokenizer), *self.tokenizer(text, add_special_tokens=False)["input_ids"]]
            if x
            else default_left_context(self.tokenizer)
        )
        ids = clip_left(ids, context_limit(self.model))
        probs = torch.softmax(self.model(input_ids=torch.tensor([ids])).logits[0, -1].double(), -1).numpy()
        first = self.index.first_symbol[: len(probs)]
        usable = first >= 0
        out = np.bincount(first[usable], weights=probs[: len(first)][usable], minlength=len(self.symbols))
        return out / out.sum()


class CharLMPredictor:
    """A character-level causal LM: P(c | x) ∝ P_LM(c | BOS + characters of x), c ∈ Σ."""

    def __init__(self, model: Any, tokenizer: Any, symbols: str = DEFAULT_SYMBOLS):
        self.model, self.tokenizer, self.symbols = model.eval(), tokenizer, symbols
        ids = [tokenizer.convert_tokens_to_ids(c) for c in symbols]
        if any(i is None or i == tokenizer.unk_token_id for i in ids):
            missing = [c for c, i in zip(symbols, ids, strict=True) if i is None or i == tokenizer.unk_token_id]
            from tenfold.common.errors import UserError

            raise UserError(f"the character model has no token for {''.join(missing)!r}")
        self.sym_ids = torch.tensor(ids)

    @torch.no_grad()
    def predict_array(self, typed: str) -> np.ndarray:
        x = check_typed(typed, self.symbols)
        ids = [*default_left_context(self.tokenizer), *self.tokenizer(x, add_special_tokens=False)["input_ids"]]
        ids = clip_left(ids, context_limit(self.model))
        logits = self.model(input_ids=torch.tensor([ids])).logits[0, -1].double()
        return torch.softmax(logits[self.sym_ids], -1).numpy()


class ClassifierHead(torch.nn.Module):
    """A causal LM backbone with a linear layer over Σ on the last real position's final hidden state."""

    def __init__(self, lm: Any, n_symbols: int):
        super().__init__()
        self.lm = lm
        self.head = torch.nn.Linear(
            lm.config.hidden_size if hasattr(lm.config, "hidden_size") else lm.config.n_embd, n_symbols
        )

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = self.lm(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states[-1]
        last = mask.sum(1) - 1
        return self.head(hidden[torch.arange(len(ids)), last])


def _batch(
    tokenizer, prefixes: list[str], case_context: bool, limit: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    left = default_left_context(tokenizer)
    seqs = [
        [*left, *(tokenizer(case_simple(p) if case_context else p, add_special_tokens=False)["input_ids"] if p else [])]
        for p in prefixes
    ]
    width = max(map(len, seqs))
    ids = torch.zeros((len(seqs), width), dtype=torch.long)  # padding ids are masked out
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return ids, mask


def train_classifier_head(
    lm: Any,
    tokenizer: Any,
    sentences: list[str],
    steps: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    symbols: str = DEFAULT_SYMBOLS,
    case_context: bool = False,
) -> ClassifierHead:
    """Fine-tune ``lm`` with a new head on random (prefix, next character) pairs of ``sentences``."""
    torch.manual_seed(derive_seed(seed, "head"))
    rng = np.random.default_rng(derive_seed(seed, "head-data"))
    model = ClassifierHead(lm, len(symbols))
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 20) * max(0.1, 1 - s / steps))
    index = {c: i for i, c in enumerate(symbols)}
    for _ in range(steps):
        prefixes, targets = [], []
        for k in rng.integers(len(sentences), size=batch_size):
            s = sentences[int(k)]
            cut = int(rng.integers(len(s)))
            prefixes.append(s[:cut])
            targets.append(index[s[cut]])
        ids, mask = _batch(tokenizer, prefixes, case_context, context_limit(lm))
        loss = torch.nn.functional.cross_entropy(model(ids, mask), torch.tensor(targets))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad()
        sched.step()
    return model.eval()


class ClassifierHeadPredictor:
    def __init__(
        self, model: ClassifierHead, tokenizer: Any, symbols: str = DEFAULT_SYMBOLS, case_context: bool = False
    ):
        self.model, self.tokenizer, self.symbols, self.case_context = model.eval(), tokenizer, symbols, case_context

    @torch.no_grad()
    def predict_array(self, typed: str) -> np.ndarray:
        x = check_typed(typed, self.symbols)
        ids, mask = _batch(self.tokenizer, [x], self.case_context, context_limit(self.model.lm))
        return torch.softmax(self.model(ids, mask)[0].double(), -1).numpy()
