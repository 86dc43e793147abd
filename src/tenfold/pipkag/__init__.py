"""PIP-KAG (Huang et al., arXiv 2502.15543): knowledge-conflict layer scoring, FFN pruning, adaptation, CoConflictQA.

Modules: :mod:`.layers` (ΔR layer scores by hooks, FFN pruning with the λ dial, parameter accounting),
:mod:`.objectives` (the adaptation loss, both granularities), :mod:`.adapt` (the LoRA trainer), :mod:`.decoding`
(context-aware decoding), :mod:`.metrics` (the CoConflictQA scorer, fixed and official), :mod:`.data` (the benchmark
read where it lies), :mod:`.counterfactual` (country contexts, CoConflictQA's filter), :mod:`.pipeline` (the
method table), :mod:`.world` and :mod:`.tiny` (setting a), :mod:`.smol` (setting b), :mod:`.checkpoint`,
:mod:`.cli`, :mod:`.claims`, :mod:`.reproduce`.
"""

from tenfold.common.registry import Paper, SystemSpec

SYSTEM = SystemSpec(
    name="pipkag",
    paper=Paper(
        "PIP-KAG: Mitigating Knowledge Conflicts in Knowledge-Augmented Generation via Parametric Pruning",
        (
            "Pengcheng Huang",
            "Zhenghao Liu",
            "Yukun Yan",
            "Xiaoyuan Yi",
            "Hao Chen",
            "Zhiyuan Liu",
            "Maosong Sun",
            "Tong Xiao",
            "Ge Yu",
            "Chenyan Xiong",
        ),
        "2502.15543",
    ),
    summary="knowledge-conflict layer scoring, FFN pruning, adaptation, CoConflictQA scoring",
    status="in progress",
    module="tenfold.pipkag",
)
