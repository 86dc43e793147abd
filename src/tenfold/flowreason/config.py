"""Typed configs of Flow of Reasoning training and of its reproduction; presets ``test``, ``quick``, ``paper``."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tenfold.common.config import select_preset
from tenfold.common.errors import UserError

TASKS = ("game24", "blocksworld")
METHODS = ("for", "tb", "reinforce", "ppo", "sft")
OBJECTIVES = ("tb", "vargrad", "subtb")


@dataclass(frozen=True)
class TrainConfig:
    """One training run: a method on a task's training problems."""

    task: str = "game24"
    """game24 or blocksworld."""
    method: str = "for"
    """for (GFlowNet + replay + local search), tb (trajectory balance without replay and local search), reinforce,
    ppo, sft."""
    objective: str = "tb"
    """GFlowNet loss of for/tb: tb (learned log Z(x); the official Game24 code, there with one shared scalar), vargrad
    (log-partition variance; the official code in its other five tasks), subtb (sub-trajectory balance with learned
    state flows). tb is the default: with batches drawn either from replay or on-policy (as in the official code),
    VarGrad only compares trajectories of one batch and learned far more slowly here (exact check, 4 7 8 8)."""
    backward: str = "tree"
    """backward policy: tree (P_B = 1: the sampled object is the step sequence, as in the official code) or uniform
    (uniform over each state's parents, −log #parents: for tasks whose states are reached along several paths)."""
    policy: str = "transformer"
    """transformer (small action scorer, pre-trained on random valid steps) or tabular (exact; small problems)."""
    epochs: int = 40
    """passes over the training problems (one update per problem per epoch)."""
    n_samples: int = 4
    """trajectories per update: the sample budget, equal for every method."""
    lr: float = 3e-3
    """Adam learning rate of the policy."""
    logz_lr: float = 3e-2
    """learning rate of the log Z(x) / flow head (TB and SubTB)."""
    beta_start: float = 1.0
    """reward temperature β at the start (target ∝ R^β)."""
    beta_end: float = 2.0
    """β after the first half of training (the official schedule: linear over the first half)."""
    replay_capacity: int = 50
    """distinct trajectories kept per problem."""
    p_buffer_start: float = 0.3
    """probability of training on replayed trajectories, at the start ..."""
    p_buffer_end: float = 0.5
    """... and after the first half of training."""
    epsilon_start: float = 0.3
    """ε of ε-uniform exploration at the start ..."""
    epsilon_end: float = 0.1
    """... and at the end (linear over the whole run; the official code's 0.01 let the policy stop exploring before
    the stand-in prior had found most solutions)."""
    temperature_start: float = 2.0
    """exploration temperature of the policy at the start ..."""
    temperature_end: float = 1.0
    """... and after the first half; applied with probability ``temper_prob`` per batch."""
    temper_prob: float = 0.5
    """probability that an on-policy batch is drawn at the exploration temperature."""
    ls_proposals: int = 16
    """local-search completions per on-policy batch (0 turns local search off)."""
    ls_keep: str = "random"
    """steps of the reference kept by local search: half (⌊T/2⌋, the official code) or random (0..⌊T/2⌋, which also
    re-explores first steps; our default, since the stand-in prior is much weaker than an LLM's)."""
    ls_completion: str = "random"
    """how local search completes the kept prefix: random (uniform valid actions, the official code) or policy
    (samples of the current policy with ε-uniform steps)."""
    ls_update_best: bool = True
    """accepted local-search trajectories become the new reference (False: the official code's fixed reference)."""
    ll_weight: float = -1.0
    """λ of the prior-likelihood reward term (-1: the task's default, 1.0 Game24 / 1.5 BlocksWorld; 0: off)."""
    prior_steps: int = 300
    """updates of the prior (random valid steps) before fine-tuning."""
    ppo_clip: float = 0.2
    """PPO ratio clip."""
    ppo_epochs: int = 4
    """PPO passes over each batch."""
    d_model: int = 32
    """transformer width."""
    n_layers: int = 1
    """transformer layers."""
    seed: int = 0
    """seeds the prior, the sampler and the initialisation."""
    checkpoint_every: int = 10
    """epochs between checkpoints (a run resumes from its last one)."""

    def validate(self) -> TrainConfig:
        for name, value, allowed in (
            ("task", self.task, TASKS),
            ("method", self.method, METHODS),
            ("objective", self.objective, OBJECTIVES),
            ("backward", self.backward, ("tree", "uniform")),
            ("policy", self.policy, ("transformer", "tabular")),
            ("ls_keep", self.ls_keep, ("half", "random")),
            ("ls_completion", self.ls_completion, ("random", "policy")),
        ):
            if value not in allowed:
                raise UserError(f"unknown {name} '{value}' (choose from {', '.join(allowed)})")
        return self

    @property
    def likelihood_weight(self) -> float:
        return self.ll_weight if self.ll_weight >= 0 else {"game24": 1.0, "blocksworld": 1.5}[self.task]


@dataclass(frozen=True)
class DataConfig:
    """Which problems: FoR's 15 training problems, and held-out problems."""

    n_train: int = 15
    """training problems (the paper's ~15)."""
    n_test: int = 30
    """held-out problems, reported separately."""
    blocks_optimal: int = 4
    """BlocksWorld split: optimal plan length 2, 4 or 6."""
    blocks_slack: int = 2
    """extra steps allowed beyond the optimal plan (so that several plans reach the goal)."""
    data_seed: int = 0
    """which problems are drawn."""


@dataclass(frozen=True)
class ReproConfig:
    """What ``tenfold reproduce flowreason`` runs."""

    train: TrainConfig = field(default_factory=TrainConfig)
    data: DataConfig = field(default_factory=DataConfig)
    tasks: tuple[str, ...] = TASKS
    methods: tuple[str, ...] = ("for", "tb", "reinforce", "ppo", "sft")
    seeds: tuple[int, ...] = (0, 1, 2)
    eval_k: int = 20
    """samples per problem at evaluation (temperature 1, no ε)."""
    rl_samples: int = 12
    """trajectories per REINFORCE / PPO update, so that the baselines sample as many trajectories as FoR does: FoR
    draws 4 on-policy + 16 local-search trajectories on the updates it does not replay (about 11.7 per update on
    average in the quick runs); SFT samples none."""
    n_large: int = 0
    """problems of the extra large-training-set run (the issue's 200-problem run; 0 skips it)."""
    exact_puzzles: tuple[str, ...] = ("4 7 8 8",)
    """Game24 puzzles of the exact-distribution check (FoR trained on each alone; 4 7 8 8 has 8 correct step
    sequences among its 2,060)."""
    exact_epochs: int = 1500
    """updates of the exact-distribution check."""
    exact_ls_completion: str = "policy"
    """local-search completions of the exact check: policy samples find the rarer correct step sequences of a lone
    puzzle within the budget (4 7 8 8, 1,500 updates: L1 0.095 with policy completions, 0.252 with random ones)."""
    workers: int | None = None
    """processes for the methods × seeds grid (default: all cores; 1 runs inline)."""


PRESETS = {
    "test": lambda: ReproConfig(
        train=TrainConfig(epochs=2, prior_steps=5, ls_proposals=2, d_model=32, n_layers=1),
        data=DataConfig(n_train=3, n_test=2),
        methods=("for", "reinforce", "sft"),
        seeds=(0,),
        eval_k=4,
        rl_samples=4,
        n_large=5,
        exact_puzzles=("3 3 8 8",),
        exact_epochs=20,
    ),
    "quick": lambda: ReproConfig(
        train=TrainConfig(epochs=25, ppo_epochs=2),
        methods=("for", "reinforce", "ppo", "sft"),
        exact_epochs=800,
    ),
    "paper": lambda: ReproConfig(
        train=TrainConfig(epochs=200, prior_steps=1000),
        data=DataConfig(n_test=100),
        eval_k=20,
        n_large=200,
        exact_puzzles=("4 7 8 8", "3 3 8 8", "1 5 5 5", "2 3 4 6", "1 2 3 4", "6 6 6 6", "2 5 7 9"),
        exact_epochs=3000,
    ),
}


def repro_config(preset: str) -> ReproConfig:
    return select_preset(PRESETS, preset)


def method_config(cfg: ReproConfig, task: str, method: str, seed: int) -> TrainConfig:
    """The training config of one method: reward-maximising baselines get FoR's sample budget per update."""
    n = cfg.rl_samples if method in ("reinforce", "ppo") else cfg.train.n_samples
    return replace(cfg.train, task=task, method=method, seed=seed, n_samples=n).validate()
