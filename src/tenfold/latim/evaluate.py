"""Evaluation with ground truth (LaTIM Sec. 4): source-finding AUC and top-1, alignment error rate, faithfulness.

For each target row i of an example, a method's map row c_i· scores the candidate sources j ≤ i:

* **AUC** (copying, recall, retrieval): the probability that the gold source outscores a random other candidate
  (ties count half), averaged over rows, ×100;
* **top-1**: the share of rows whose highest-scoring source is the gold one;
* **AER** (translation): each target word is aligned to the argmax source word of its row, A is that set of links and
  S = P the gold links: AER = 1 − (|A∩S| + |A∩P|) / (|A| + |S|);
* **faithfulness**: the Spearman correlation (ties averaged), per row, between a layer's scores and the measured
  effect of ablating each source from that layer (:func:`ablation_effects`: its value path or the whole token; the
  change of the layer's output or of the predicted token's log-probability), averaged over rows; and **AOPC**-style
  deletion curves: the summed effect of the k highest-scoring sources, k = 1..K.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch

from tenfold.common.seeding import derive_seed
from tenfold.latim.api import explain_all
from tenfold.latim.tasks import Example, collate, dataset


def row_auc(scores: torch.Tensor, gold: int) -> float:
    """AUC of one row's candidates ``scores`` [i + 1] with ``gold`` the positive."""
    others = torch.cat([scores[:gold], scores[gold + 1 :]])
    if others.numel() == 0:
        return 1.0
    g = scores[gold]
    return float(((others < g).float() + 0.5 * (others == g).float()).mean())


@dataclass
class SourceScores:
    """AUC ×100 and top-1 ×100 over every target row of the examples."""

    auc: float
    top1: float
    rows: int


def maps_for(
    model: Any,
    examples: list[Example],
    method: str | tuple[str, ...],
    layer: int = -1,
    mode: str = "post-conv",
    batch_size: int = 32,
    only_rows: bool = False,
) -> Any:
    """Per example, the [L_e, L_e] map of ``layer`` (only the target row computed if ``only_rows`` and every example
    has one shared last row, as in retrieval). Several methods at once (a tuple) share the forward and the
    decomposition and come back as {method: maps}."""
    methods = (method,) if isinstance(method, str) else tuple(method)
    out: dict[str, list[torch.Tensor]] = {m: [] for m in methods}
    if only_rows and any(len(e.rows) != 1 for e in examples):
        raise ValueError("only_rows needs one target row per example")
    # one target row per example at varying positions: batches of one, so each computes its own row alone
    size = 1 if only_rows and len({e.rows[0] for e in examples}) > 1 else batch_size
    for k in range(0, len(examples), size):
        chunk = examples[k : k + size]
        b = collate(chunk)
        rows = None
        if only_rows and len({e.rows[0] for e in chunk}) == 1:
            rows = [chunk[0].rows[0]]
        maps = explain_all(model, b.ids, methods, layers=layer, mode=mode, rows=rows, attention_mask=b.mask)
        for m in methods:
            for n, e in enumerate(chunk):
                if rows is None:
                    out[m].append(maps[m][n, 0, : len(e.ids), : len(e.ids)].float())
                else:
                    full = torch.zeros(len(e.ids), len(e.ids))
                    full[rows[0]] = maps[m][n, 0, 0, : len(e.ids)]
                    out[m].append(full)
    return out[methods[0]] if isinstance(method, str) else out


def source_scores(maps: list[torch.Tensor], examples: list[Example]) -> SourceScores:
    aucs, hits = [], []
    for m, e in zip(maps, examples, strict=True):
        for i, j in zip(e.rows, e.sources, strict=True):
            row = m[i, : i + 1]
            aucs.append(row_auc(row, j))
            hits.append(float(int(row.argmax()) == j))
    return SourceScores(100 * sum(aucs) / len(aucs), 100 * sum(hits) / len(hits), len(aucs))


def alignment_error_rate(maps: list[torch.Tensor], examples: list[Example]) -> float:
    """AER ×100 with sure = possible = the gold links; each target word links to its row's best source word."""
    hit = total_a = total_s = 0
    for m, e in zip(maps, examples, strict=True):
        sep = e.ids.index(2)
        for i, j in zip(e.rows, e.sources, strict=True):
            src = m[i, 1:sep]  # source words only
            guess = 1 + int(src.argmax())
            hit += int(guess == j)
            total_a += 1
            total_s += 1
    return 100 * (1 - 2 * hit / (total_a + total_s))


ABLATIONS = ("value", "remove")
TARGETS = ("layer", "prediction")


def _value_ablated_output(it: Any, j: int | None) -> torch.Tensor:
    """The mixer output [B, L, d_model] with token j's own value input W_in,x u_j taken out of the conv's input; Δ,
    B, C (the selection) kept, the conv's SiLU and Mamba-2's gated-norm denominators recomputed (j None: nothing
    removed, the module's output)."""
    from tenfold.latim.mixers import _act, _conv, scan

    x_pre = it.x_pre.clone()
    if j is not None:
        x_pre[:, j] -= it.x_pre_lin[:, j]
    x = _act(_conv(x_pre, it.conv_w, it.conv_b), it.act, False) * it.mask[..., None]
    y = scan(it, x) * it.gate
    if it.kind == "mamba2":
        groups = y.unflatten(-1, (y.shape[-1] // it.norm_group, it.norm_group))
        y = (groups / torch.sqrt(groups.pow(2).mean(-1, keepdim=True) + it.norm_eps)).flatten(-2) * it.norm_w
    out = y @ it.W_out.T
    return out + it.b_out if it.b_out is not None else out


@torch.no_grad()
def ablation_effects(
    model: Any, example: Example, layer: int = -1, ablation: str = "value", target: str = "layer"
) -> torch.Tensor:
    """[rows, L] the measured effect on each target row of removing source j from layer ``layer``'s mixer.

    ``ablation``:

    * ``"value"`` — token j's value path is removed: its own input W_in,x u_j leaves the conv's input, the selection
      (Δ, B, C, the gate) is kept, the SiLU after the conv and Mamba-2's norm are recomputed. What a LaTIM
      contribution claims to measure (the analogue of ALTI holding attention weights fixed), yet not an identity: the
      conv spreads token j over the next K − 1 positions through a non-linearity, which the post-conv treatment
      assigns to them and the frozen-sigmoid one linearises;
    * ``"remove"`` — the whole token: its mixer input u_j is zeroed and the module recomputes everything, so its
      Δ_j, B_j, C_j change too (Δ_j sets how much of every earlier token's state survives past j).

    ``target``: ``"layer"`` — ‖o_i − o_i^(−j)‖₂, the change of the mixer output the map explains; ``"prediction"`` —
    the drop of the predicted token's log-probability at i.
    """
    from tenfold.latim.layers import blocks
    from tenfold.latim.mixers import internals

    if ablation not in ABLATIONS or target not in TARGETS:
        raise ValueError(f"ablation must be one of {ABLATIONS} and target one of {TARGETS}")
    ids = torch.tensor([example.ids])
    mixer = blocks(model)[layer].mixer
    rows = torch.tensor(example.rows)
    length = len(example.ids)
    captured: dict[str, torch.Tensor] = {}
    drop: list[int] = []

    def capture(_module, args, kwargs):
        captured["u"] = (args[0] if args else kwargs["hidden_states"]).clone()

    def remove(_module, args, kwargs):
        if not drop:
            return None
        hidden = (args[0] if args else kwargs["hidden_states"]).clone()
        hidden[:, drop[0]] = 0
        return ((hidden, *args[1:]), kwargs) if args else (args, {**kwargs, "hidden_states": hidden})

    def value(_module, args, kwargs, output):
        if not drop:
            return None
        it = internals(mixer, args[0] if args else kwargs["hidden_states"], None, torch.float32)
        return _value_ablated_output(it, drop[0]).to(output.dtype)

    effects = torch.zeros(len(example.rows), length)
    if target == "layer":
        handle = mixer.register_forward_pre_hook(capture, with_kwargs=True)
        try:
            model(input_ids=ids)
        finally:
            handle.remove()
        u = captured["u"]
        it = internals(mixer, u, None, torch.float32)
        base = mixer(u).float() if ablation == "remove" else _value_ablated_output(it, None)
        for j in range(length):
            if ablation == "remove":
                ablated = u.clone()
                ablated[:, j] = 0
                out = mixer(ablated).float()
            else:
                out = _value_ablated_output(it, j)
            effects[:, j] = (out - base)[0, rows].norm(dim=-1)
    else:
        handle = (
            mixer.register_forward_pre_hook(remove, with_kwargs=True)
            if ablation == "remove"
            else mixer.register_forward_hook(value, with_kwargs=True)
        )
        try:
            logp = torch.log_softmax(model(input_ids=ids).logits[0].float(), -1)
            picked = logp[rows].argmax(-1)
            base = logp[rows, picked]
            for j in range(length):
                drop[:] = [j]
                lp = torch.log_softmax(model(input_ids=ids).logits[0].float(), -1)[rows, picked]
                effects[:, j] = base - lp
        finally:
            handle.remove()
    causal = torch.arange(length)[None, :] <= rows[:, None]
    return effects * causal


def causal_source_scores(model: Any, examples: list[Example], layer: int = -1) -> SourceScores:
    """The model's own answer to "does this layer read the gold source?", with no attribution method in it: each
    token in turn is removed from the layer's input (``ablation_effects(..., "remove", "prediction")``) and the drops
    of the predicted tokens' log-probabilities are scored against the gold sources as if they were a map. Near 50:
    the layer does not read the gold source (it reads a copy that an earlier layer moved elsewhere); near 100: it does.
    A method's AUC on a model can only be judged beside this one."""
    maps = []
    for e in examples:
        m = torch.zeros(len(e.ids), len(e.ids))
        m[e.rows] = ablation_effects(model, e, layer=layer, ablation="remove", target="prediction")
        maps.append(m)
    return source_scores(maps, examples)


def off_length_accuracy(model: Any, task: Any, seed: int, lengths: tuple[int, ...] = (6, 8, 12)) -> float:
    """Mean copy accuracy of a fixed-length model on strings of other lengths: the control's premise test. A model
    that copies by position (a fixed lag from the start) fails off its training length; one that finds the source
    relative to the separator carries over."""
    from tenfold.latim.train import accuracy

    accs = []
    for n in lengths:
        if n != task.max_len:
            strings = dataset(replace(task, min_len=n, max_len=n), 200, derive_seed(seed, "off-length", n) % 2**31)
            accs.append(accuracy(model, collate(strings)))
    return sum(accs) / len(accs)


def _ranks(x: torch.Tensor) -> torch.Tensor:
    """Ranks with ties averaged (as Spearman's ρ needs: a map's many equal zeros must not be ranked at random)."""
    order = x.argsort()
    ranks = torch.empty_like(x, dtype=torch.float64)
    ranks[order] = torch.arange(x.numel(), dtype=torch.float64)
    for v in x.unique():
        tie = x == v
        if tie.sum() > 1:
            ranks[tie] = ranks[tie].mean()
    return ranks


def _spearman(a: torch.Tensor, b: torch.Tensor) -> float:
    if a.numel() < 3:
        return float("nan")
    ra, rb = _ranks(a), _ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denom = ra.norm() * rb.norm()
    return float((ra * rb).sum() / denom) if denom > 0 else float("nan")


@dataclass
class Faithfulness:
    spearman: float
    """mean per-row Spearman correlation between scores and ablation effects."""
    aopc: list[float]
    """mean effect of deleting the top-k sources, k = 1..K."""


def faithfulness(
    maps: list[torch.Tensor],
    effects: list[torch.Tensor],
    examples: list[Example],
    k: int = 5,
) -> Faithfulness:
    """Correlation of scores with single-source ablation effects, and AOPC-style curves of cumulative top-k effects
    (the sum of the top-k sources' single ablation effects: the deletion curve's first-order estimate)."""
    rhos, curves = [], []
    for m, eff, e in zip(maps, effects, examples, strict=True):
        for r, i in enumerate(e.rows):
            s, f = m[i, : i + 1], eff[r, : i + 1]
            rho = _spearman(s, f)
            if rho == rho:  # not nan
                rhos.append(rho)
            order = s.argsort(descending=True)
            curves.append([float(f[order[: q + 1]].sum()) for q in range(min(k, order.numel()))])
    width = max(len(c) for c in curves)
    aopc = [sum(c[q] for c in curves if len(c) > q) / sum(1 for c in curves if len(c) > q) for q in range(width)]
    return Faithfulness(sum(rhos) / max(len(rhos), 1), aopc)
