"""Configs and presets of the PIP-KAG reproduction."""

from __future__ import annotations

from dataclasses import dataclass, field

from tenfold.common.config import check_fields, select_preset
from tenfold.pipkag.objectives import GRANULARITIES
from tenfold.pipkag.tiny import TinyConfig


@dataclass(frozen=True)
class SmolConfig:
    """Setting (b): SmolLM2-135M-Instruct on real questions (:mod:`tenfold.pipkag.smol`)."""

    enabled: bool = False
    """run it (the ``paper`` preset; SmolLM2 decodes about 10 tokens/s per sequence on 2 cores)."""
    countries: int = 60
    """counterfactual country-capital items in the test (ConFiQA-style, from ``countryinfo``)."""
    coconflictqa: int = 60
    """CoConflictQA items in the test (a seeded sample of the shipped files; 0: none)."""
    probe: int = 40
    """ΔR probe facts (country questions with a true context)."""
    adapt_examples: int = 80
    """adaptation examples (counterfactual country contexts, disjoint from the test countries)."""
    adapt_steps: int = 60
    """LoRA steps."""
    k: int = 4
    """FFN layers pruned of 30 (4 removes 8.7 % of SmolLM2's parameters)."""
    lora_r: int = 16
    """LoRA rank."""
    methods: tuple[str, ...] = ("base", "cad", "prune-only", "pip-kag")
    """rows of the method table run in this setting (names of :data:`tenfold.pipkag.pipeline.METHODS`)."""

    def __post_init__(self) -> None:
        from tenfold.pipkag.pipeline import METHOD_INDEX

        check_fields(
            self,
            positive=("countries", "probe", "adapt_examples", "adapt_steps", "k", "lora_r"),
            non_negative=("coconflictqa",),
        )
        unknown = [m for m in self.methods if m not in METHOD_INDEX]
        if unknown:
            raise ValueError(f"unknown method {unknown[0]!r}; known: {', '.join(METHOD_INDEX)}")


@dataclass(frozen=True)
class ReproConfig:
    """What ``tenfold reproduce pipkag`` measures."""

    tiny: TinyConfig = field(default_factory=TinyConfig)
    """setting (a): the tiny Llama on the synthetic world."""
    k: int = 2
    """FFN layers pruned in the tiny setting (of ``tiny.n_layer``)."""
    pair_table: bool = True
    """prune every set of k layers and rank the score's choice by closed-book drop (28 sets for 8 layers, k = 2)."""
    granularity: str = "per_example"
    """PIP-KAG's hinge per example (the paper) or on batch means with margin × B (``official``)."""
    smol: SmolConfig = field(default_factory=SmolConfig)
    """setting (b): SmolLM2-135M-Instruct."""

    def __post_init__(self) -> None:
        check_fields(self, positive=("k",), choices={"granularity": GRANULARITIES})
        if self.k >= self.tiny.n_layer:
            raise ValueError(f"k ({self.k}) must be below tiny.n_layer ({self.tiny.n_layer})")


PRESETS = {
    "test": lambda: ReproConfig(
        tiny=TinyConfig(n_layer=4, d_model=32, n_memorised=12, n_readers=8, n_test=4, pretrain_steps=20, adapt_steps=4),
        k=1,
        pair_table=True,
    ),
    "quick": ReproConfig,
    "paper": lambda: ReproConfig(smol=SmolConfig(enabled=True)),
}


def repro_config(preset: str) -> ReproConfig:
    return select_preset(PRESETS, preset)
