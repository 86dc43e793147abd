"""Presets of the ProjectTest reproduction."""

from __future__ import annotations

from dataclasses import dataclass

from tenfold.common.config import check_fields, select_preset


@dataclass(frozen=True)
class ReproConfig:
    """What ``tenfold reproduce projecttest`` runs."""

    projects: tuple[str, ...] = ("slugify", "thefuzz")
    """carved Python projects for the LLM sweep (the smallest two: their prompts fit SmolLM2's 8k context)."""
    js_projects: tuple[str, ...] = ("t_test",)
    """carved JavaScript projects for the LLM sweep, run where node and Jest are installed (generation is the cost:
    about 1 minute per project and generation on 2 cores)."""
    js_scenarios: tuple[str, ...] = ("vanilla", "manual")
    """scenarios of the JavaScript projects (quick leaves out self-fix, a second generation of ~1.5 minutes)."""
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
            choices={"js_scenarios": ("vanilla", "manual", "self_fix")},
        )


PRESETS = {
    "test": lambda: ReproConfig(projects=(), js_projects=(), model="", mutation=False, pynguin_search_s=0),
    "quick": ReproConfig,
    "paper": lambda: ReproConfig(
        projects=("slugify", "thefuzz", "blackjack", "limitholdem", "leducholdem"),
        js_projects=("t_test", "ckmeans"),
        js_scenarios=("vanilla", "manual", "self_fix"),
        max_new_tokens=2048,
        max_mutants=40,
        test_timeout_s=10.0,
        pynguin_search_s=60,
    ),
}


def repro_config(preset: str) -> ReproConfig:
    return select_preset(PRESETS, preset)
