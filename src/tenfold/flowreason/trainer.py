"""Training: FoR (GFlowNet fine-tuning, FoR Alg. 1) and the baselines on the same sampler and sample budget.

Every method makes one update per training problem per epoch from ``n_samples`` trajectories:

* ``for`` — with probability p_buffer the batch is replayed from the reward-ranked buffer (∝ R), else it is sampled
  on-policy (at the exploration temperature with probability ``temper_prob``, ε-uniform steps), extended by local
  search, and added to the buffer; the loss is the configured GFlowNet objective on log R tempered by β.
* ``tb`` — the same objective on on-policy batches only (no replay, no local search).
* ``reinforce`` — REINFORCE with the batch-mean baseline on R / 100 (on-policy, temperature 1).
* ``ppo`` — clipped surrogate on per-step ratios, trajectory-level advantages (R / 100 minus the batch mean, divided
  by the batch std), ``ppo_epochs`` passes per batch.
* ``sft`` — maximum likelihood of one reference solution per problem (no sampling).

All start from the same prior (pre-trained on random valid steps, or the base LM of an LLM policy) and share the
learning-rate schedule (cosine from ``lr`` to ``lr_min_ratio`` × ``lr``; the official code anneals with
CosineAnnealingLR). A run checkpoints every ``checkpoint_every`` epochs into its run directory and resumes from the
last checkpoint.
"""

from __future__ import annotations

import copy
import math
import random
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tenfold.common.errors import UserError
from tenfold.common.seeding import derive_seed
from tenfold.flowreason.config import PolicyTrainConfig
from tenfold.flowreason.env import Environment, Trajectory
from tenfold.flowreason.objectives import subtb_loss, tb_loss, uniform_log_pb, vargrad_loss
from tenfold.flowreason.policy import TabularPolicy, TransformerPolicy, pretrain_prior, step_log_probs
from tenfold.flowreason.replay import ReplayBuffer
from tenfold.flowreason.reward import Reward
from tenfold.flowreason.sampling import Schedule, local_search, rollouts


def make_env(task: str) -> Environment:
    from tenfold.flowreason.tasks import TASKS

    return TASKS.get(task)()


def build_policy(env: Environment, cfg: PolicyTrainConfig) -> nn.Module:
    torch.manual_seed(derive_seed(cfg.seed, "policy-init", cfg.task))
    if cfg.policy == "tabular":
        return TabularPolicy(env)
    if cfg.policy == "llm":
        from tenfold.flowreason.llm_policy import OFFICIAL_LORA, load_llm_policy
        from tenfold.lm.lora import LoraSpec

        lora = LoraSpec(r=cfg.lora_r, alpha=cfg.lora_alpha, dropout=cfg.lora_dropout, targets=OFFICIAL_LORA.targets)
        return load_llm_policy(env, cfg.llm, lora, seed=derive_seed(cfg.seed, "lora-init", cfg.task))
    return TransformerPolicy(env, d_model=cfg.d_model, n_layers=cfg.n_layers)


def train_prior(env: Environment, problems: list[Any], cfg: PolicyTrainConfig, progress: bool = False) -> nn.Module:
    """The prior: the policy network trained on random valid steps (the stand-in for the base LLM); tabular: left
    uniform; llm: the pretrained LM itself, with a fresh adapter (its B matrices are 0, so it equals the base LM)."""
    policy = build_policy(env, cfg)
    if cfg.policy == "transformer" and cfg.prior_steps:
        pretrain_prior(
            policy, env, problems, steps=cfg.prior_steps, seed=derive_seed(cfg.seed, "prior"), progress=progress
        )
    return policy


@dataclass
class Schedules:
    """The exploration and tempering schedules of a run (see :class:`~.config.PolicyTrainConfig`)."""

    beta: Schedule
    p_buffer: Schedule
    epsilon: Schedule
    temperature: Schedule

    @classmethod
    def of(cls, cfg: PolicyTrainConfig) -> Schedules:
        return cls(
            Schedule(cfg.beta_start, cfg.beta_end, 0.5),
            Schedule(cfg.p_buffer_start, cfg.p_buffer_end, 0.5),
            Schedule(cfg.epsilon_start, cfg.epsilon_end, 1.0),
            Schedule(cfg.temperature_start, cfg.temperature_end, 0.5),
        )


@dataclass
class TrainState:
    """Everything a resumed run needs."""

    policy: nn.Module
    optimizer: torch.optim.Optimizer
    buffer: ReplayBuffer
    rng_state: Any
    epoch: int = 0
    samples: int = 0
    """trajectories sampled from the environment so far (the sample budget actually spent)."""
    history: list[dict] = field(default_factory=list)
    reward_cache: dict = field(default_factory=dict)
    """log R of the trajectories seen so far: the prior scores a trajectory inside whatever batch it first appears
    in, and batch shapes change float rounding, so a resumed run must reuse the values, not recompute them."""


class PolicyTrainer:
    """Fits one method on ``problems`` (see the module docstring)."""

    def __init__(self, env: Environment, problems: list[Any], cfg: PolicyTrainConfig, prior: nn.Module):
        self.env, self.problems, self.cfg = env, list(problems), cfg.validate()
        self.reward = Reward(env, prior, cfg.likelihood_weight, form=cfg.task)
        policy = copy.deepcopy(prior)
        opt = self._optimizer(policy)
        rng = random.Random(derive_seed(cfg.seed, "sampler", cfg.method, cfg.task))
        self.state = TrainState(policy, opt, ReplayBuffer(cfg.replay_capacity), rng.getstate())
        self.schedules = Schedules.of(cfg)
        self._references: dict[Any, Trajectory] = {}

    def _optimizer(self, policy: nn.Module) -> torch.optim.Optimizer:
        # only what trains: an LLM policy's base weights are frozen (its adapter and flow head are not)
        named = [(n, p) for n, p in policy.named_parameters() if p.requires_grad]
        flow = [p for n, p in named if n.startswith(("flow", "flows"))]
        rest = [p for n, p in named if not n.startswith(("flow", "flows"))]
        return torch.optim.Adam([{"params": rest, "lr": self.cfg.lr}, {"params": flow, "lr": self.cfg.logz_lr}])

    def save(self, path: Path) -> None:
        """Write a checkpoint atomically (an interrupted save never leaves a broken one). The optimiser is stored as
        its state dict, so that it binds to the policy's parameters again on load whatever way the policy pickles."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.state.reward_cache = self.reward._cache
        payload = {"state": replace(self.state, optimizer=None), "optimizer": self.state.optimizer.state_dict()}
        tmp = path.with_suffix(".tmp")
        torch.save(payload, tmp)
        tmp.replace(path)

    def load(self, path: Path) -> None:
        """Resume from a checkpoint written by :meth:`save`."""
        try:
            payload = torch.load(path, weights_only=False)
            state = payload["state"]
        except Exception as exc:  # truncated file, another format, an older layout
            raise UserError(f"cannot resume from '{path}' ({type(exc).__name__}); delete it to start over") from None
        state.optimizer = self._optimizer(state.policy)
        state.optimizer.load_state_dict(payload["optimizer"])
        self.state = state
        self.reward._cache = state.reward_cache

    @property
    def policy(self) -> nn.Module:
        return self.state.policy

    # -- one update ---------------------------------------------------------------------------------------------
    def _on_policy(self, x: Any, rng: random.Random, progress: float, explore: bool) -> list[Trajectory]:
        n = self.cfg.n_samples
        t, eps = 1.0, 0.0
        if explore:
            t = self.schedules.temperature(progress) if rng.random() < self.cfg.temper_prob else 1.0
            eps = self.schedules.epsilon(progress)
        self.state.samples += n
        return rollouts(self.env, self.policy, x, n, rng, self.reward, t, eps)

    def _gflownet_batch(self, x: Any, rng: random.Random, progress: float) -> tuple[list[Trajectory], str]:
        cfg = self.cfg
        if cfg.method == "for" and self.state.buffer.size(x) and rng.random() < self.schedules.p_buffer(progress):
            return self.state.buffer.sample(x, cfg.n_samples, rng), "replay"
        batch = self._on_policy(x, rng, progress, explore=True)
        if cfg.method == "for":
            if cfg.ls_proposals:
                best = max(batch, key=lambda t: t.log_reward)
                batch += local_search(
                    self.env,
                    best,
                    rng,
                    self.reward,
                    cfg.ls_proposals,
                    policy=self.policy if cfg.ls_completion == "policy" else None,
                    update_best=cfg.ls_update_best,
                    keep=cfg.ls_keep,
                    epsilon=self.schedules.epsilon(progress),
                )
                self.state.samples += cfg.ls_proposals
            for t in batch:
                self.state.buffer.add(t)
        return batch, "policy"

    def _log_pb(self, batch: list[Trajectory]) -> torch.Tensor:
        if self.cfg.backward == "tree":
            return torch.zeros(len(batch))
        return torch.tensor(
            [uniform_log_pb([self.env.n_parents(t.problem, s) for s in t.states[1:]]) for t in batch],
            dtype=torch.float32,
        )

    def gflownet_loss(self, batch: list[Trajectory], beta: float) -> torch.Tensor:
        steps = step_log_probs(self.policy, self.env, batch)
        log_pf = torch.stack([s.sum() for s in steps])
        log_r = torch.tensor([beta * t.log_reward for t in batch], dtype=torch.float32)
        log_pb = self._log_pb(batch)
        if self.cfg.objective == "vargrad":
            return vargrad_loss(log_pf, log_r, log_pb)
        if self.cfg.objective == "tb":
            x = batch[0].problem
            return tb_loss(log_pf, log_r, self.policy.log_flow(x, self.env.initial(x)), log_pb)
        losses = []
        for t, lp in zip(batch, steps, strict=True):
            pb = torch.zeros_like(lp)
            if self.cfg.backward == "uniform":
                pb = torch.tensor([-math.log(self.env.n_parents(t.problem, s)) for s in t.states[1:]])
            flows = torch.stack([self.policy.log_flow(t.problem, s) for s in t.states[:-1]])
            losses.append(subtb_loss(lp, pb, flows, torch.tensor(beta * t.log_reward)))
        return torch.stack(losses).mean()

    def _advantages(self, batch: list[Trajectory]) -> torch.Tensor:
        r = torch.tensor([math.exp(t.log_reward) / 100.0 for t in batch])
        adv = r - r.mean()
        return adv / adv.std() if self.cfg.method == "ppo" and len(batch) > 1 and adv.std() > 0 else adv

    def reference(self, x: Any) -> Trajectory:
        if x not in self._references:
            from tenfold.flowreason.env import Step

            traj, state = Trajectory(x, self.env.initial(x)), self.env.initial(x)
            for a in self.env.reference_solution(x):  # type: ignore[attr-defined]
                state = self.env.step(x, state, a)
                traj.steps.append(Step(a, state))
            self._references[x] = traj
        return self._references[x]

    def lr_factor(self, progress: float) -> float:
        """The learning-rate multiplier at ``progress`` ∈ [0, 1] (cosine annealing to ``lr_min_ratio``)."""
        if self.cfg.lr_schedule == "constant":
            return 1.0
        low = self.cfg.lr_min_ratio
        return low + (1 - low) * 0.5 * (1 + math.cos(math.pi * min(max(progress, 0.0), 1.0)))

    def update(self, x: Any, rng: random.Random, progress: float) -> dict:
        """One update on problem ``x``; returns what it logged."""
        cfg = self.cfg
        info: dict[str, Any] = {}
        factor = self.lr_factor(progress)
        for group, base in zip(self.state.optimizer.param_groups, (cfg.lr, cfg.logz_lr), strict=True):
            group["lr"] = base * factor
        if cfg.method in ("for", "tb"):
            beta = self.schedules.beta(progress)
            batch, info["source"] = self._gflownet_batch(x, rng, progress)
            loss = self.gflownet_loss(batch, beta)
            info["beta"] = beta
        elif cfg.method == "reinforce":
            batch = self._on_policy(x, rng, progress, explore=False)
            log_pf = torch.stack([s.sum() for s in step_log_probs(self.policy, self.env, batch)])
            loss = -(self._advantages(batch) * log_pf).mean()
        elif cfg.method == "ppo":
            batch = self._on_policy(x, rng, progress, explore=False)
            with torch.no_grad():
                old = step_log_probs(self.policy, self.env, batch)
            adv = self._advantages(batch)
            for _ in range(cfg.ppo_epochs - 1):  # the last pass is the shared step below
                self._step(self._ppo_loss(batch, old, adv))
            loss = self._ppo_loss(batch, old, adv)
        else:  # sft
            batch = [self.reference(x)]
            loss = -step_log_probs(self.policy, self.env, batch)[0].sum()
        self._step(loss)
        info.update(
            loss=float(loss.detach()),
            correct=sum(t.correct for t in batch) / len(batch),
            log_r=sum(t.log_reward for t in batch) / len(batch),
        )
        return info

    def _ppo_loss(self, batch: list[Trajectory], old: list[torch.Tensor], adv: torch.Tensor) -> torch.Tensor:
        new = step_log_probs(self.policy, self.env, batch)
        terms = []
        for lp_new, lp_old, a in zip(new, old, adv, strict=True):
            ratio = torch.exp(lp_new - lp_old)
            clipped = torch.clamp(ratio, 1 - self.cfg.ppo_clip, 1 + self.cfg.ppo_clip)
            terms.append(-torch.minimum(ratio * a, clipped * a))
        return torch.cat(terms).mean()

    def _step(self, loss: torch.Tensor) -> None:
        opt = self.state.optimizer
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in self.policy.parameters() if p.requires_grad], 10.0)
        opt.step()

    # -- the loop -----------------------------------------------------------------------------------------------
    def fit(self, checkpoint: Path | None = None, progress: bool = False, log=None) -> TrainState:
        """Train for ``cfg.epochs`` epochs (resuming from ``checkpoint`` if it exists); returns the final state."""
        from tenfold.common.progress import track

        if checkpoint is not None and checkpoint.exists() and self.state.epoch == 0:
            self.load(checkpoint)
        rng = random.Random()
        rng.setstate(self.state.rng_state)
        torch.manual_seed(derive_seed(self.cfg.seed, "torch", self.cfg.method, self.state.epoch))
        epochs = range(self.state.epoch, self.cfg.epochs)
        it = track(epochs, desc=f"{self.cfg.task}/{self.cfg.method}", total=len(epochs)) if progress else epochs
        for epoch in it:
            t0, infos = time.perf_counter(), []
            for x in self.problems:
                infos.append(self.update(x, rng, epoch / max(self.cfg.epochs, 1)))
            row = {
                "epoch": epoch + 1,
                "loss": sum(i["loss"] for i in infos) / len(infos),
                "train_sample_correct": sum(i["correct"] for i in infos) / len(infos),
                "samples": self.state.samples,
                "seconds": time.perf_counter() - t0,
            }
            self.state.history.append(row)
            if log is not None:
                log(step=epoch + 1, **row)
            self.state.epoch = epoch + 1
            self.state.rng_state = rng.getstate()
            if checkpoint is not None and (
                self.state.epoch % self.cfg.checkpoint_every == 0 or self.state.epoch == self.cfg.epochs
            ):
                self.save(checkpoint)
        return self.state
