"""The agent: a policy that scores each candidate action from (task, screen, candidate) features, and a critic
V(task, screen) — small MLPs over :class:`~tenfold.distrl.env.PhoneEnv`'s observation (the paper's agent is a
vision-language model; the learner treats both the same way: log π(a|s) of the taken action, the entropy of
π(·|s), V(s)).

Inputs of the actor, per candidate: the state (task, screen, last action), the candidate, their elementwise product
with the task, and four word-overlap shares (candidate ∩ task, candidate ∩ last action, last action ∩ task,
screen ∩ task, each over the first set's words; the second says "this repeats what I just did"). The shares are
what carries over to held-out parameter values: a hashed word the policy never trained on has no weight of its own,
but "the candidate types a word of the task" does.

Shapes: B observations, K candidate slots, D features. ``logits`` [B, K] with masked slots at −inf, so π puts exactly
0 on them and the entropy is over the real candidates only (the full-distribution entropy A-RIDE's regulariser
uses; the official code's −mean log π of the taken actions is :func:`taken_entropy`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn


def batch(observations: list[dict[str, np.ndarray]]) -> dict[str, torch.Tensor]:
    """Stack PhoneEnv observations: task/screen/last [B, D], candidates [B, K, D], mask [B, K] (bool)."""
    return {
        "task": torch.as_tensor(np.stack([o["task"] for o in observations])),
        "screen": torch.as_tensor(np.stack([o["screen"] for o in observations])),
        "last": torch.as_tensor(np.stack([o["last"] for o in observations])),
        "candidates": torch.as_tensor(np.stack([o["candidates"] for o in observations])),
        "mask": torch.as_tensor(np.stack([o["mask"] for o in observations])).bool(),
    }


class Agent(nn.Module):
    """Actor and critic.

    Args:
        features: D, the observation's feature size.
        hidden: width of both MLPs.
        seed: initialisation.
    """

    def __init__(self, features: int = 64, hidden: int = 64, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.features, self.hidden = features, hidden
        self.actor = nn.Sequential(nn.Linear(5 * features + 4, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        self.critic = nn.Sequential(nn.Linear(3 * features + 2, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    @staticmethod
    def _state(obs: dict[str, torch.Tensor]) -> torch.Tensor:
        """[B, 3D + 2]: task, screen, last action, and the last action's and the screen's overlap with the task."""
        return torch.cat(
            [
                obs["task"],
                obs["screen"],
                obs["last"],
                overlap(obs["last"], obs["task"]),
                overlap(obs["screen"], obs["task"]),
            ],
            dim=-1,
        )

    def logits(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        """[B, K] scores, −inf on masked slots."""
        cands = obs["candidates"]  # [B, K, D]
        k = cands.shape[1]
        task = obs["task"][:, None].expand(-1, k, -1)
        pairs = torch.cat(
            [
                self._state(obs)[:, None].expand(-1, k, -1),
                cands,
                task * cands,
                overlap(cands, task),
                overlap(cands, obs["last"][:, None].expand(-1, k, -1)),
            ],
            dim=-1,
        )  # [B, K, 5D + 4]
        scores = self.actor(pairs).squeeze(-1)
        return scores.masked_fill(~obs["mask"], float("-inf"))

    def value(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        """[B] V(s)."""
        return self.critic(self._state(obs)).squeeze(-1)

    def log_prob(self, obs: dict[str, torch.Tensor], actions: torch.Tensor) -> torch.Tensor:
        """[B] log π(a_b | s_b)."""
        return torch.log_softmax(self.logits(obs), dim=-1).gather(1, actions[:, None]).squeeze(1)

    def entropy(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        """[B] entropy of π(·|s) over the real candidates."""
        logp = torch.log_softmax(self.logits(obs), dim=-1)
        p = logp.exp()
        return -(p * logp.masked_fill(~obs["mask"], 0.0)).sum(-1)

    @torch.no_grad()
    def act(self, obs: dict[str, Any], generator: torch.Generator | None = None, greedy: bool = False) -> int:
        """One action for one PhoneEnv observation (sampled, or the argmax)."""
        logits = self.logits(batch([obs]))[0]
        if greedy:
            return int(logits.argmax())
        return int(torch.multinomial(torch.softmax(logits, -1), 1, generator=generator))


def overlap(words: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """[..., 1] share of the hashed words present in ``words`` that are also present in ``other`` (0 when empty)."""
    a, b = words > 0, other > 0
    return ((a & b).sum(-1, keepdim=True) / a.sum(-1, keepdim=True).clamp(min=1)).to(words.dtype)


def taken_entropy(log_probs: torch.Tensor) -> torch.Tensor:
    """The official code's "entropy": −mean log π of the taken actions (a one-sample estimate)."""
    return -log_probs.mean()
