"""Presets of the ProjectTest reproduction."""

from __future__ import annotations

from dataclasses import dataclass

from tenfold.common.config import check_fields, select_preset
from tenfold.projecttest.sweep import SCENARIOS


@dataclass(frozen=True)
class ReproConfig:
    """What ``tenfold reproduce projecttest`` runs."""

    dataset: str = "auto"
    """the official benchmark: ``auto`` = ``projecttest-official`` in the shared data folder when present
    (``$TENFOLD_SHARED_DATA``, else ``../shared/data``), a path, or empty for none (then only carved projects)."""
    projects: tuple[str, ...] = ("slugify",)
    """Python projects for the LLM sweep, taken from the official set when it is there (with the authors' prompt),
    else carved from PyPI (slugify and thefuzz are the smallest: their prompts fit SmolLM2's 8k context; generation
    is the cost, about 1 minute per project and generation on 2 cores)."""
    official_pynguin: tuple[str, ...] = ("stock",)
    """official Python projects for the Pynguin row (``*``: all 20); without the official set, ``projects`` (carved)."""
    official_lanes: tuple[str, ...] = ("python",)
    """lanes whose environment status over the official projects is reported (Python: an import check, 4 s for 20
    projects; JavaScript and Java run Jest or a JVM per project, about 50 and 60 s: the paper preset's)."""
    scenarios: tuple[str, ...] = ("vanilla", "manual")
    """scenarios of the Python projects (manual fixing reuses the vanilla reply; self-fix is a second generation)."""
    js_projects: tuple[str, ...] = ()
    """carved JavaScript projects for the LLM sweep, run where node and Jest are installed (the paper preset's two;
    the quick preset's JavaScript lane is checked on the toy projects)."""
    js_scenarios: tuple[str, ...] = ("vanilla", "manual")
    """scenarios of the JavaScript projects."""
    model: str = "smollm2"
    """the local model of the LLM sweep (``hf`` generator); empty skips the sweep."""
    max_new_tokens: int = 384
    """completion budget per generation (CPU decoding is ~10 tokens/s for SmolLM2)."""
    self_fix_rounds: int = 1
    """the paper's one round of self-fixing."""
    test_timeout_s: float = 5.0
    """per-test timeout of generated suites."""
    mutation: bool = True
    """mutation score of the toy suites (an extra column)."""
    max_mutants: int = 20
    """mutants per project."""
    workers: int = 1
    """projects at once."""
    pynguin_search_s: int = 5
    """Pynguin's search time per module (0 skips the Pynguin row; it runs only where Pynguin is installed)."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("max_new_tokens", "test_timeout_s", "max_mutants", "workers"),
            non_negative=("self_fix_rounds", "pynguin_search_s"),
            choices={
                "scenarios": SCENARIOS,
                "js_scenarios": SCENARIOS,
                "official_lanes": ("python", "javascript", "java"),
            },
        )


PRESETS = {
    "test": lambda: ReproConfig(
        dataset="", projects=(), js_projects=(), model="", mutation=False, pynguin_search_s=0, official_lanes=()
    ),
    "quick": ReproConfig,
    "paper": lambda: ReproConfig(
        projects=("slugify", "thefuzz", "blackjack", "limitholdem", "leducholdem"),
        scenarios=SCENARIOS,
        js_projects=("t_test", "ckmeans"),
        js_scenarios=("vanilla", "manual", "self_fix"),
        max_new_tokens=2048,
        max_mutants=40,
        test_timeout_s=10.0,
        pynguin_search_s=5,
        official_pynguin=("*",),
        official_lanes=("python", "javascript", "java"),
    ),
}


def repro_config(preset: str) -> ReproConfig:
    return select_preset(PRESETS, preset)
