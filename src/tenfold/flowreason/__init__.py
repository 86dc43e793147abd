"""Flow of Reasoning (Yu et al., arXiv 2406.05673, revision of 2025-02-21): GFlowNet fine-tuning of a policy over
reasoning steps so that it samples complete solutions in proportion to their reward, finding many distinct ones.

Modules: :mod:`.env` (the task interface, enumeration), :mod:`.game24` and :mod:`.blocksworld` (tasks),
:mod:`.objectives` (TB, VarGrad, SubTB, backward policy), :mod:`.policy` (transformer and tabular action scorers, the
prior), :mod:`.reward`, :mod:`.replay`, :mod:`.sampling` (rollouts, local search, schedules, exact distributions),
:mod:`.trainer` (FoR and the baselines), :mod:`.metrics`, :mod:`.experiment`, :mod:`.cli`, :mod:`.reproduce`.
"""

from tenfold.common.registry import Claim, Paper, SystemSpec

_RUN = "tenfold reproduce flowreason --preset quick"

SYSTEM = SystemSpec(
    name="flowreason",
    paper=Paper(
        "Flow of Reasoning: Training LLMs for Divergent Problem Solving with Minimal Examples",
        ("Fangxu Yu", "Lai Jiang", "Haoqiang Kang", "Shibo Hao", "Lianhui Qin"),
        "2406.05673",
    ),
    summary="GFlowNet fine-tuning for diverse multi-step reasoning",
    status="built",
    cli="tenfold.flowreason.cli:register",
    reproduce="tenfold.flowreason.reproduce:reproduce",
    claims=(
        Claim(
            "identities",
            "loss identities: VarGrad = TB at the batch log Z; TB = 0 at the flow policy; β = 2 targets R²",
            "Sec. 3.2 (objective); official code's tb_loss(logpartition=True)",
            "pytest tests/flowreason/test_objectives.py",
        ),
        Claim("game24_solvable", "solvable Game24 multisets of 1..13", "1,362 (ToT's 24.csv)", _RUN),
        Claim(
            "diversity_game24",
            "Game24, held-out problems: FoR's distinct correct @20 ≥ 2× REINFORCE / PPO / SFT, accuracy within 5 pts",
            "FoR finds more distinct correct solutions than SFT, PPO and inference-time methods (Table 2)",
            _RUN,
        ),
        Claim(
            "diversity_blocksworld",
            "BlocksWorld, held-out problems: FoR's distinct correct plans @20 ≥ 2× REINFORCE / PPO / SFT, accuracy "
            "within 5 pts",
            "FoR finds more diverse plans (Table 1)",
            _RUN,
        ),
        Claim(
            "diversity_prontoqa",
            "ProntoQA-style logic, held-out problems: FoR's distinct correct proofs @20 ≥ 2× REINFORCE / PPO / SFT, "
            "accuracy within 5 pts",
            "FoR finds more diverse proofs (ProntoQA table)",
            _RUN,
        ),
        Claim(
            "exact_target",
            "FoR's exact trajectory distribution within L1 0.1 of the tempered target R^β / Z",
            "— (the paper cannot measure it; FoR's premise: sampling ∝ reward)",
            _RUN,
        ),
        Claim(
            "ablation",
            "trajectory balance without replay and local search",
            "ablation (Table 5)",
            "tenfold reproduce flowreason --preset paper",
        ),
        Claim(
            "large",
            "the same methods trained on 200 Game24 problems",
            "— (the paper trains on ~15)",
            _RUN,
        ),
    ),
)
