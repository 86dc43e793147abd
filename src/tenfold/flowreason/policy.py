"""Forward policies P_F(a | s; x): score each *valid* action of a state, softmax over them (FoR Sec. 3.3, code).

The official code scores each valid action's text by its summed token log-probability under a LoRA-adapted LLM. Here:

* :class:`TransformerPolicy` — a small transformer reads ``[CLS] context(x, s) [SEP] action`` for every candidate and
  outputs one score per action (shape ``[K]``); a second head on ``[CLS] context [SEP]`` gives the state flow log F(s),
  and log Z(x) := log F(s_0) (TB with a learned, problem-conditioned log Z; also SubTB's flows). It is first trained on
  random valid steps (:func:`pretrain_prior`) as the stand-in for the base LLM, whose likelihoods also give the
  likelihood term of the reward.
* :class:`TabularPolicy` — one free logit per (problem, state, action) and one flow per (problem, state); exact, for
  small enumerable problems and the convergence checks.
* an LLM policy over a ``transformers`` causal LM with a LoRA adapter is in :mod:`.llm_policy`.

P_F(a | s) = softmax(scores / T)[a] with policy temperature T (1 for training targets; > 1 to explore).
"""

from __future__ import annotations

import random
from collections.abc import Hashable
from typing import Any

import torch
from torch import nn

from tenfold.flowreason.env import Environment

PAD, CLS, SEP, UNK = "<pad>", "<cls>", "<sep>", "<unk>"


class TransformerPolicy(nn.Module):
    """Scores the valid actions of a state: a transformer reads the state, each action attends to it.

    ``[CLS] context(x, s)`` is encoded once per state by a small transformer (tokens H ∈ R^{L×d}); each candidate
    action's tokens (at most ``max_action`` of them, with positions) are embedded and mixed by an MLP into a query q_a;
    q_a attends over H, and an MLP on [q_a; attention(q_a, H); H_CLS] gives the action's score. Encoding the state once
    instead of once per candidate makes a step with 36 candidates cost one short sequence, not 36 long ones. A linear
    head on H_CLS gives the state flow log F(s) (log Z(x) at s_0).

    Args:
        env: supplies the vocabulary and the token views of states and actions.
        d_model, n_layers, n_heads: encoder size (defaults: 64, 2, 4 — about 0.1 M parameters).
        max_len: longest context; max_action: longest action text.
    """

    def __init__(
        self,
        env: Environment,
        d_model: int = 64,
        n_layers: int = 2,
        n_heads: int = 4,
        max_len: int = 96,
        max_action: int = 24,
    ):
        super().__init__()
        self.env = env
        self.itos = [PAD, CLS, SEP, UNK, *env.vocab()]  # type: ignore[attr-defined]
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        self.max_len, self.max_action = max_len, max_action
        self.tok = nn.Embedding(len(self.itos), d_model)
        self.pos = nn.Embedding(max_len, d_model)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, 4 * d_model, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.act_tok = nn.Embedding(len(self.itos), d_model // 2)
        self.act_pos = nn.Parameter(torch.randn(max_action, d_model // 2) * 0.02)
        self.act_mlp = nn.Sequential(
            nn.Linear(max_action * (d_model // 2), d_model), nn.GELU(), nn.Linear(d_model, d_model)
        )
        self.attn = nn.MultiheadAttention(d_model, n_heads, batch_first=True)
        self.score_head = nn.Sequential(nn.Linear(3 * d_model, d_model), nn.GELU(), nn.Linear(d_model, 1))
        self.flow_head = nn.Linear(d_model, 1)
        self._ids: dict[Any, list[int]] = {}
        self._act_ids: dict[str, list[int]] = {}

    def _encode(self, words: list[str]) -> list[int]:
        return [self.stoi.get(w, self.stoi[UNK]) for w in words]

    def _context(self, problem: Any, state: Hashable) -> list[int]:
        key = (problem, state)
        ids = self._ids.get(key)
        if ids is None:
            if len(self._ids) > 200_000:  # a long run visits many states; the cache is only for speed
                self._ids.clear()
            ids = self._ids[key] = [1, *self._encode(self.env.context_tokens(problem, state))][: self.max_len]
        return ids

    def _action(self, action: str) -> list[int]:
        ids = self._act_ids.get(action)
        if ids is None:
            if len(self._act_ids) > 200_000:
                self._act_ids.clear()
            ids = self._act_ids[action] = self._encode(self.env.action_tokens(action))[: self.max_action]
        return ids

    def _states(self, seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """[S] token lists → hidden states [S, L, d] and the padding mask [S, L]."""
        length = max(len(q) for q in seqs)
        ids = torch.tensor([q + [0] * (length - len(q)) for q in seqs])
        pad = ids == 0
        h = self.tok(ids) + self.pos(torch.arange(length))[None]
        return self.norm(self.encoder(h, src_key_padding_mask=pad)), pad

    def logits_many(self, items: list[tuple[Any, Hashable, list[str]]]) -> list[torch.Tensor]:
        """Scores of the valid actions of many states in one pass: a [K_i] tensor per (problem, state, actions)."""
        states: dict[Any, int] = {}
        for problem, state, _ in items:
            states.setdefault((problem, state), len(states))
        h, pad = self._states([self._context(*key) for key in states])
        owner, acts = [], []
        for problem, state, actions in items:
            owner += [states[(problem, state)]] * len(actions)
            acts += [self._action(a) for a in actions]
        width = max(len(q) for q in acts)  # positions past the longest action are padding for every row
        ids = torch.tensor([q + [0] * (width - len(q)) for q in acts])
        e = (self.act_tok(ids) + self.act_pos[None, :width]) * (ids > 0)[..., None]
        e = torch.nn.functional.pad(e, (0, 0, 0, self.max_action - width))
        q = self.act_mlp(e.flatten(1))  # [A, d]
        idx = torch.tensor(owner)
        ctx, mask = h[idx], pad[idx]  # [A, L, d], [A, L]
        att, _ = self.attn(q[:, None], ctx, ctx, key_padding_mask=mask, need_weights=False)
        scores = self.score_head(torch.cat([q, att[:, 0], ctx[:, 0]], -1)).squeeze(-1)
        return list(torch.split(scores, [len(a) for _, _, a in items]))

    def logits(self, problem: Any, state: Hashable, actions: list[str]) -> torch.Tensor:
        """Scores of the valid ``actions`` of ``state``: shape [K]."""
        return self.logits_many([(problem, state, actions)])[0]

    def log_flow(self, problem: Any, state: Hashable) -> torch.Tensor:
        """log F(s) (log Z(x) at s_0): shape []."""
        h, _ = self._states([self._context(problem, state)])
        return self.flow_head(h[0, 0])[0]


class TabularPolicy(nn.Module):
    """One logit per (problem, state, action) and one log-flow per (problem, state), all starting at 0 (uniform).

    Args:
        capacity: how many (state, action) pairs and states can be stored (an embedding table each).
    """

    def __init__(self, env: Environment, capacity: int = 200_000):
        super().__init__()
        self.env = env
        self.table = nn.Embedding(capacity, 1)
        self.flows = nn.Embedding(capacity, 1)
        nn.init.zeros_(self.table.weight)
        nn.init.zeros_(self.flows.weight)
        self._index: dict[Any, int] = {}
        self._flow_index: dict[Any, int] = {}

    @staticmethod
    def _slot(index: dict, key: Any, capacity: int) -> int:
        if key not in index:
            if len(index) >= capacity:
                raise RuntimeError(f"TabularPolicy is full ({capacity} entries); raise its capacity")
            index[key] = len(index)
        return index[key]

    def logits(self, problem: Any, state: Hashable, actions: list[str]) -> torch.Tensor:
        cap = self.table.num_embeddings
        idx = torch.tensor([self._slot(self._index, (problem, state, a), cap) for a in actions])
        return self.table(idx).squeeze(-1)

    def logits_many(self, items: list[tuple[Any, Hashable, list[str]]]) -> list[torch.Tensor]:
        return [self.logits(*item) for item in items]

    def log_flow(self, problem: Any, state: Hashable) -> torch.Tensor:
        idx = torch.tensor([self._slot(self._flow_index, (problem, state), self.flows.num_embeddings)])
        return self.flows(idx)[0, 0]


def step_log_probs(
    policy: nn.Module, env: Environment, trajs: list, temperature: float = 1.0, raw: bool = False
) -> list[torch.Tensor]:
    """log P_F(a_t | s_{t−1}) of every step of every trajectory, in one batched pass: a [n_i] tensor per trajectory.

    ``raw``: the chosen actions' unnormalised scores instead (an LLM policy's sequence log-likelihoods)."""
    items, chosen, sizes = [], [], []
    for traj in trajs:
        state = traj.initial
        for step in traj.steps:
            acts = env.actions(traj.problem, state)
            items.append((traj.problem, state, acts))
            chosen.append(acts.index(step.action))
            state = step.state
        sizes.append(len(traj.steps))
    if not items:
        return [torch.zeros(0) for _ in trajs]
    per_state = policy.logits_many(items)
    if raw:
        lp = torch.stack([lg[c] for lg, c in zip(per_state, chosen, strict=True)])
    else:
        lp = torch.stack([torch.log_softmax(lg / temperature, -1)[c] for lg, c in zip(per_state, chosen, strict=True)])
    return list(torch.split(lp, sizes))


def pretrain_prior(
    policy: nn.Module,
    env: Environment,
    problems: list[Any],
    steps: int = 300,
    batch: int = 16,
    lr: float = 3e-3,
    natural_share: float = 0.9,
    seed: int = 0,
    progress: bool = False,
) -> list[float]:
    """Train the policy to imitate random valid steps: the stand-in for the base LLM's prior.

    A random walker picks, with probability ``natural_share``, uniformly among the steps a person would write
    (``env.natural``: for Game24, non-negative integer results — the official code's random fallback), else uniformly
    among all valid steps. The policy learns that distribution by maximum likelihood; its log-likelihoods are then the
    likelihood term of the reward (the official code's frozen base model). Returns the loss curve.
    """
    from tenfold.common.progress import track

    rng = random.Random(seed)
    opt = torch.optim.Adam(policy.parameters(), lr=lr)
    losses = []
    for _ in track(range(steps), desc="prior", total=steps) if progress else range(steps):
        # the walker does not depend on the policy: draw the whole batch, then score it in one pass
        items, targets = [], []
        for _ in range(batch):
            problem = rng.choice(problems)
            state, depth = env.initial(problem), 0
            stop = rng.randrange(env.max_steps)  # a random depth of a random walk: every depth is seen
            while not env.is_terminal(problem, state, depth):
                acts = env.actions(problem, state)
                nat = [a for a in acts if env.natural(a)]  # type: ignore[attr-defined]
                a = rng.choice(nat if nat and rng.random() < natural_share else acts)
                if depth == stop:
                    items.append((problem, state, acts))
                    targets.append(acts.index(a))
                    break
                state, depth = env.step(problem, state, a), depth + 1
        if not items:
            continue
        scores = policy.logits_many(items)
        loss = -torch.stack([torch.log_softmax(sc, -1)[t] for sc, t in zip(scores, targets, strict=True)]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses
