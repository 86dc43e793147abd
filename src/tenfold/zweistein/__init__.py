"""Zweistein (Hsueh & Hsu, arXiv 2502.15547): an EinStein würfelt nicht! engine, the Zweistein dynamic-programming
evaluation, search agents and paired-game tournaments. Pure Python + NumPy (no torch).

Modules: :mod:`.game` (rules, state, records, position strings), :mod:`.race` (the DP table and an exact race
solver), :mod:`.evaluation` (Zweistein and baseline evaluators), :mod:`.agents` (bots), :mod:`.tournament` (matches,
statistics), :mod:`.openspiel_bridge` (OpenSpiel cross-checks and bot wrapper),
:mod:`.cli`, :mod:`.claims`, :mod:`.reproduce`.
"""

from tenfold.common.registry import Paper, SystemSpec

SYSTEM = SystemSpec(
    name="zweistein",
    paper=Paper(
        "Zweistein: A Dynamic Programming Evaluation Function for Einstein Würfelt Nicht!",
        ("Wei-Lin Hsueh", "Tsan-sheng Hsu"),
        "2502.15547",
    ),
    summary="EinStein würfelt nicht! engine, Zweistein evaluation, search agents, tournaments",
    module="tenfold.zweistein",
)
