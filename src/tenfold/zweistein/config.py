"""Configs and presets of the Zweistein reproduction and tournaments."""

from __future__ import annotations

from dataclasses import dataclass

from tenfold.common.config import check_fields, select_preset


@dataclass(frozen=True)
class ReproConfig:
    """What ``tenfold reproduce zweistein`` measures."""

    strength_games: int = 2000
    """games per strength match (paired: same setup and dice, colours swapped); the issue asks for 2,000."""
    random_games: int = 20000
    """random-vs-random games for the first-mover win rate."""
    openspiel_games: int = 1000
    """random games replayed in OpenSpiel and our engine with legal-move sets compared at every decision."""
    exact_start: bool = True
    """solve the no-capture race from the symmetric start exactly (about 8 s) and compare with the table; False checks
    a smaller all-cubes position (distances 2,2,2,2,2,1) instead, in milliseconds."""
    deeper: bool = False
    """also play Zweistein-d3 against Zweistein-d2 (slower)."""
    placement: str = "random"
    """setup model: random (OpenSpiel's) or mirror (symmetric, the paper's "usually symmetrical")."""
    first_player: int = 0
    """who moves first in the strength matches: 0 Red (the paper's example) or 1 Blue (OpenSpiel)."""
    workers: int | None = None
    """worker processes for matches (default: all cores)."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("strength_games", "random_games", "openspiel_games", "workers"),
            choices={"placement": ("random", "mirror"), "first_player": (0, 1)},
        )


PRESETS = {
    "test": lambda: ReproConfig(strength_games=40, random_games=400, openspiel_games=20, exact_start=False),
    "quick": ReproConfig,
    "paper": lambda: ReproConfig(strength_games=10000, random_games=100000, openspiel_games=5000, deeper=True),
}


def repro_config(preset: str) -> ReproConfig:
    return select_preset(PRESETS, preset)
