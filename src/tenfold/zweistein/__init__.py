"""Zweistein (Hsueh & Hsu, arXiv 2502.15547): an EinStein würfelt nicht! engine, the Zweistein dynamic-programming
evaluation, search agents and paired-game tournaments. Pure Python + NumPy (no torch).

Modules: :mod:`.game` (rules, state, records, position strings), :mod:`.race` (the DP table and an exact race
solver), :mod:`.evaluation` (Zweistein and baseline evaluators), :mod:`.agents` (bots), :mod:`.tournament` (matches,
statistics), :mod:`.openspiel_bridge` (OpenSpiel cross-checks and bot wrapper), :mod:`.cli`, :mod:`.reproduce`.
"""

from tenfold.common.registry import Claim, Paper, SystemSpec

_RUN = "tenfold reproduce zweistein --preset quick"

SYSTEM = SystemSpec(
    name="zweistein",
    paper=Paper(
        "Zweistein: A Dynamic Programming Evaluation Function for Einstein Würfelt Nicht!",
        ("Wei-Lin Hsueh", "Tsan-sheng Hsu"),
        "2502.15547",
    ),
    summary="EinStein würfelt nicht! engine, Zweistein evaluation, search agents, tournaments",
    cli="tenfold.zweistein.cli:register",
    reproduce="tenfold.zweistein.reproduce:reproduce",
    claims=(
        Claim(
            "race_exact",
            "the race value from the DP table equals exact win rates of the no-capture game",
            "'aligns with exact win rates on simple boards'",
            _RUN,
        ),
        Claim(
            "rules_openspiel",
            "our rules equal OpenSpiel's einstein_wurfelt_nicht on random games",
            "— (engine check)",
            "pytest tests/zweistein/test_openspiel.py",
        ),
        Claim("first_mover", "random vs random: first-mover win rate", "not reported", _RUN),
        Claim(
            "beats_naive",
            "Zweistein-d2 beats a naive mean-distance evaluation at depth 2",
            "beats 'traditional evaluation functions' (figures not available)",
            "tenfold zweistein tournament --agents zweistein-d2,naive-d2 --games 2000",
        ),
        Claim(
            "beats_schwarz",
            "Zweistein-d2 beats a Schwarz-table-style evaluation at depth 2",
            "performs better than SchwarzTable (figures not available)",
            "tenfold zweistein tournament --agents zweistein-d2,schwarz-d2 --games 2000",
        ),
        Claim(
            "deeper_is_better",
            "Zweistein-d2 beats Zweistein-d1 (search adds to the evaluation)",
            "not reported",
            "tenfold zweistein tournament --agents zweistein-d2,zweistein-1ply --games 2000",
        ),
        Claim(
            "beats_random",
            "Zweistein-1ply beats random by more than 0.9",
            "not reported",
            "tenfold zweistein tournament --agents zweistein-1ply,random --games 2000",
        ),
        Claim(
            "d3_vs_d2",
            "Zweistein-d3 against Zweistein-d2 (paper preset only)",
            "not reported",
            "tenfold zweistein tournament --agents zweistein-d3,zweistein-d2 --games 10000",
        ),
    ),
)
