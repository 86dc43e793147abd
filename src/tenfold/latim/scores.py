"""From contribution vectors to scalar interaction maps (LaTIM Sec. 3.3): norms, ALTI, rollout.

For one target i with contributions T_i(j) (j ≤ i) and output y_i = Σ_j T_i(j) + bias_i:

* ``l1`` / ``l2``:  c_ij = ‖T_i(j)‖_p;
* ``alti``:         c_ij = max(0, ‖y_i‖₁ − ‖y_i − T_i(j)‖₁) (Ferrando et al., EMNLP 2022: a source matters as much as
                    removing it moves the output), on the mixer output y_i = o_i;
* ``alti-res``:     the same with the residual stream: y_i = h_in,i + o_i and T_i(i) + h_in,i (as ALTI counts a
                    transformer block's residual as the token's own contribution);
* rollout:          R^(ℓ) = C^(ℓ) R^(ℓ−1), R^(0) = I, on residual-inclusive ALTI maps (rows stay stochastic).

Every map is row-normalised to sum 1 over j ≤ i (a row with no positive score puts its mass on j = i), so rows are
non-negative, lower-triangular and stochastic (the tests check it).
"""

from __future__ import annotations

import torch

SCORES = ("l1", "l2", "alti", "alti-res")


def raw_scores(
    vectors: torch.Tensor,
    bias: torch.Tensor,
    kind: str,
    residual: torch.Tensor | None = None,
    rows: torch.Tensor | None = None,
) -> torch.Tensor:
    """Unnormalised scores [B, r, J] of a block: ``vectors`` [B, r, J, d], ``bias`` [B, r, d]; for ``alti-res`` also
    the residual h_in of the block's targets [B, r, d] and their positions ``rows`` [r]."""
    if kind == "l1":
        return vectors.abs().sum(-1)
    if kind == "l2":
        return vectors.norm(dim=-1)
    if kind not in ("alti", "alti-res"):
        raise ValueError(f"unknown score '{kind}'")
    if kind == "alti-res":
        assert residual is not None and rows is not None
        vectors = vectors.clone()
        vectors[:, torch.arange(rows.numel()), rows] += residual
    y = vectors.sum(2) + bias  # [B, r, d]
    return (y.abs().sum(-1)[..., None] - (y[:, :, None] - vectors).abs().sum(-1)).clamp(min=0)


def normalise_rows(scores: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """Rows of [B, r, J] scores to sum 1 over j ≤ i (causal part only); an all-zero row puts its mass on j = i."""
    width = scores.shape[-1]
    causal = (torch.arange(width)[None, :] <= rows[:, None]).to(scores.dtype)  # [r, J]
    scores = scores.clamp(min=0) * causal
    total = scores.sum(-1, keepdim=True)
    diag = torch.zeros_like(scores)
    diag[:, torch.arange(rows.numel()), rows] = 1.0
    return torch.where(total > 0, scores / total.clamp(min=torch.finfo(scores.dtype).tiny), diag)


def rollout(maps: torch.Tensor) -> torch.Tensor:
    """Attention rollout across layers: ``maps`` [B, layers, L, L] (row-stochastic, residual-inclusive) →
    R^(ℓ) = C^(ℓ) R^(ℓ−1) for every ℓ, [B, layers, L, L]."""
    out = []
    acc = torch.eye(maps.shape[-1], dtype=maps.dtype).expand(maps.shape[0], -1, -1)
    for layer in range(maps.shape[1]):
        acc = maps[:, layer] @ acc
        out.append(acc)
    return torch.stack(out, 1)
