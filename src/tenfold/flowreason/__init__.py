"""Flow of Reasoning (Yu et al., arXiv 2406.05673, revision of 2025-02-21): GFlowNet fine-tuning of a policy over
reasoning steps so that it samples complete solutions in proportion to their reward, finding many distinct ones.

Modules: :mod:`.env` (the task interface, enumeration), :mod:`.game24` and :mod:`.blocksworld` (tasks),
:mod:`.objectives` (TB, VarGrad, SubTB, backward policy), :mod:`.policy` (transformer and tabular action scorers, the
prior), :mod:`.reward`, :mod:`.replay`, :mod:`.sampling` (rollouts, local search, schedules, exact distributions),
:mod:`.trainer` (FoR and the baselines), :mod:`.metrics`, :mod:`.experiment`,
:mod:`.cli`, :mod:`.claims`, :mod:`.reproduce`.
"""

from tenfold.common.registry import Paper, SystemSpec

SYSTEM = SystemSpec(
    name="flowreason",
    paper=Paper(
        "Flow of Reasoning: Training LLMs for Divergent Problem Solving with Minimal Examples",
        ("Fangxu Yu", "Lai Jiang", "Haoqiang Kang", "Shibo Hao", "Lianhui Qin"),
        "2406.05673",
    ),
    summary="GFlowNet fine-tuning for diverse multi-step reasoning",
    module="tenfold.flowreason",
)
