"""Machine-generated-text detectors behind one interface: ``fit`` on labelled continuations, ``p_ai`` a calibrated
P(AI) per continuation (paper §3: the official detector is ModernBERT fine-tuned on MAGE with temperature scaling,
p_AI = softmax(z/T)[AI]; it is out of reach offline, so the trained detector here is a classifier of our own).

* ``classifier``     logistic regression on word 1–2-grams and character 3–5-grams (TF-IDF), temperature-scaled on
  a calibration split (Guo et al. 2017): p = σ(z/T), T fitted by likelihood; T > 0 keeps the sign of z, so accuracy
  at 0.5 and AUC are unchanged and only the calibration moves;
* ``fast-detectgpt`` the analytic criterion of Bao et al. (2024) with one model as sampler and scorer:
  (log p(x) − Σ_t E_{p_t}[log p_t]) / sqrt(Σ_t Var_{p_t}[log p_t]) over the continuation's tokens;
* ``binoculars``     Hans et al. (2024): log-perplexity under the observer divided by the cross-perplexity of the
  performer's next-token distributions under the observer (two models sharing one tokenizer); low means AI;
* ``oracle``         knows the labels and is right with probability ``accuracy`` per item, reporting P(AI) =
  accuracy when it says AI and 1 − accuracy otherwise (calibrated at balanced classes): the detector-quality knob.

The zero-shot scores become probabilities by a one-feature logistic regression (Platt scaling) fitted on the same
labelled data as the classifier, so every detector's output means the same thing to the resampler.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tenfold.common.errors import UserError

DETECTORS = ("classifier", "fast-detectgpt", "binoculars", "oracle")


def split_indices(n: int, seed: int, shares: tuple[float, float] = (0.6, 0.2)) -> tuple[np.ndarray, ...]:
    """(fit, calibration, test) index arrays of a seeded permutation of n items."""
    order = np.random.default_rng(seed).permutation(n)
    a, b = round(n * shares[0]), round(n * (shares[0] + shares[1]))
    return order[:a], order[a:b], order[b:]


def fit_temperature(z: np.ndarray, y: np.ndarray) -> float:
    """T > 0 minimising the NLL of σ(z/T) (a bounded 1-D search over log T)."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        s = z / math.exp(log_t)
        return float(np.mean(np.logaddexp(0, s) - y * s))

    return float(math.exp(minimize_scalar(nll, bounds=(-5, 5), method="bounded").x))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -700, 700)))


@dataclass
class Detector:
    """A fitted detector: ``p_ai(texts, ids, is_ai=None)`` → P(AI) per continuation."""

    name: str
    score: Callable[[list[str], list[list[int]], np.ndarray | None], np.ndarray]
    """raw score (larger: more likely AI)."""
    temperature: float = 1.0
    bias: float = 0.0
    scale: float = 1.0
    info: dict[str, Any] = field(default_factory=dict)

    def logit(self, texts: Sequence[str], ids: Sequence[Sequence[int]], is_ai: Sequence[bool] | None = None):
        labels = None if is_ai is None else np.asarray(is_ai, dtype=bool)
        return self.scale * self.score(list(texts), [list(s) for s in ids], labels) + self.bias

    def p_ai(
        self,
        texts: Sequence[str],
        ids: Sequence[Sequence[int]],
        is_ai: Sequence[bool] | None = None,
        calibrated: bool = True,
    ) -> np.ndarray:
        z = self.logit(texts, ids, is_ai)
        p = _sigmoid(z / (self.temperature if calibrated else 1.0))
        if not np.isfinite(p).all():
            raise UserError(f"detector {self.name} returned NaN for {int((~np.isfinite(p)).sum())} texts")
        return p


# -- zero-shot scores --------------------------------------------------------------------------------------------------
def _logits(model: Any, ids: list[list[int]], batch: int = 64) -> list[Any]:
    """Per sequence, the [L−1, V] logits predicting tokens 2..L (right padding, so no position correction)."""
    import torch

    out = []
    with torch.no_grad():
        for lo in range(0, len(ids), batch):
            chunk = ids[lo : lo + batch]
            width = max(map(len, chunk))
            x = torch.tensor([s + [0] * (width - len(s)) for s in chunk])
            mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in chunk])
            logits = model(input_ids=x, attention_mask=mask).logits.float()
            out += [logits[i, : len(s) - 1] for i, s in enumerate(chunk)]
    return out


def fast_detectgpt_scores(model: Any, ids: list[list[int]]) -> np.ndarray:
    """Analytic Fast-DetectGPT (sampling model = scoring model), per sequence; tokens 2..L are scored."""
    import torch

    scores = []
    for logits, seq in zip(_logits(model, ids), ids, strict=True):
        logp = torch.log_softmax(logits, -1)  # [L-1, V]
        target = torch.tensor(seq[1:])
        ll = logp.gather(-1, target[:, None])[:, 0].sum()
        p = logp.exp()
        mean = (p * logp).sum(-1)
        var = (p * logp**2).sum(-1) - mean**2
        scores.append(float((ll - mean.sum()) / var.sum().clamp(min=1e-12).sqrt()))
    return np.array(scores)


def binoculars_scores(observer: Any, performer: Any, ids: list[list[int]]) -> np.ndarray:
    """log PPL_observer(x) / X-PPL(observer, performer)(x); low means machine-written."""
    import torch

    scores = []
    for lo, hi, seq in zip(_logits(observer, ids), _logits(performer, ids), ids, strict=True):
        logp_o = torch.log_softmax(lo, -1)
        nll = -logp_o.gather(-1, torch.tensor(seq[1:])[:, None])[:, 0].mean()
        cross = -(torch.softmax(hi, -1) * logp_o).sum(-1).mean()
        scores.append(float(nll / cross))
    return np.array(scores)


# -- building detectors -----------------------------------------------------------------------------------------------
def _platt(raw: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e6).fit(raw[:, None], y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def train_detector(
    name: str,
    texts: Sequence[str],
    ids: Sequence[Sequence[int]],
    is_ai: Sequence[bool],
    seed: int = 0,
    models: Sequence[Any] = (),
    accuracy: float = 0.95,
) -> Detector:
    """Fit detector ``name`` on labelled continuations: fit / calibration / test splits (60/20/20, seeded); the test
    split's accuracy, AUC and ECE before and after temperature scaling go to ``info``.

    Args:
        models: the LMs of the zero-shot detectors (Fast-DetectGPT: one; Binoculars: observer, performer).
        accuracy: the oracle's per-item accuracy.
    """
    from tenfold.collapse.metrics import detector_metrics

    if name not in DETECTORS:
        raise UserError(f"unknown detector {name!r}; choose one of: {', '.join(DETECTORS)}")
    texts, ids, y = list(texts), [list(s) for s in ids], np.asarray(is_ai, dtype=bool)
    if len(set(y.tolist())) < 2 or len(y) < 10:
        raise UserError("a detector needs at least 10 labelled texts of both kinds")
    fit, cal, test = split_indices(len(y), seed)
    if name == "oracle":
        if not 0.5 <= accuracy <= 1:
            raise UserError(f"oracle accuracy must be in [0.5, 1], got {accuracy}")
        # the logit of `accuracy`, with the sign of the (possibly flipped) label; 1e-6 keeps it finite at 1.0
        margin = math.log(min(accuracy, 1 - 1e-6) / max(1 - accuracy, 1e-6))

        def oracle(texts_: list[str], ids_: list[list[int]], labels: np.ndarray | None) -> np.ndarray:
            if labels is None:
                raise UserError("the oracle detector needs the true labels")
            rng = np.random.default_rng([seed, len(labels)])
            right = rng.random(len(labels)) < accuracy
            says_ai = np.where(right, labels, ~labels)
            return np.where(says_ai, margin, -margin)

        det = Detector(name, oracle)
    elif name == "classifier":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, make_pipeline

        features = FeatureUnion(
            [
                ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True)),
            ]
        )
        clf = make_pipeline(features, LogisticRegression(C=10.0, max_iter=2000))
        clf.fit([texts[i] for i in fit], y[fit])
        det = Detector(name, lambda t, _i, _l: clf.decision_function(t))
    else:
        if name == "fast-detectgpt":
            if len(models) < 1:
                raise UserError("fast-detectgpt needs a scoring model")
            raw_fn: Callable = lambda _t, i, _l: fast_detectgpt_scores(models[0], i)  # noqa: E731
        else:
            if len(models) < 2:
                raise UserError("binoculars needs an observer and a performer model (one tokenizer)")
            raw_fn = lambda _t, i, _l: -binoculars_scores(models[0], models[1], i)  # noqa: E731
        raw = raw_fn(None, [ids[i] for i in fit], None)
        scale, bias = _platt(raw, y[fit])
        det = Detector(name, raw_fn, scale=scale, bias=bias)

    def pick(index: np.ndarray) -> tuple[list[str], list[list[int]], np.ndarray]:
        return [texts[i] for i in index], [ids[i] for i in index], y[index]

    if name != "oracle":
        t, i, labels = pick(cal)
        det.temperature = fit_temperature(det.logit(t, i, labels), labels.astype(float))
    t, i, labels = pick(test)
    det.info = {
        "fit": len(fit),
        "calibration": len(cal),
        "test": len(test),
        "temperature": det.temperature,
        "uncalibrated": detector_metrics(det.p_ai(t, i, labels, calibrated=False), labels),
        "calibrated": detector_metrics(det.p_ai(t, i, labels), labels),
    }
    return det
