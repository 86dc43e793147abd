"""The catalogue: the ten systems of tenfold in order, and the shared core.

A built system is its package's ``SYSTEM`` (:class:`~tenfold.common.registry.SystemSpec`), named here directly; a
system not built yet is a planned entry with its paper, so that ``tenfold systems`` and the report list it as such,
never as done. Building a system means replacing its planned entry by ``<package>.SYSTEM``: the CLI, the reproduction,
the report and the conformance tests find everything else from there.
"""

from __future__ import annotations

from tenfold import aac, collapse, distrl, flowreason, latim, lm, pii, pipkag, ppmarl, projecttest, zweistein
from tenfold.common.errors import UserError
from tenfold.common.registry import SystemSpec

CORE: tuple[SystemSpec, ...] = (lm.SYSTEM,)
"""Shared infrastructure with its own checks in the report (not a paper)."""

SYSTEMS: tuple[SystemSpec, ...] = (
    latim.SYSTEM,
    projecttest.SYSTEM,
    collapse.SYSTEM,
    aac.SYSTEM,
    pii.SYSTEM,
    pipkag.SYSTEM,
    zweistein.SYSTEM,
    flowreason.SYSTEM,
    ppmarl.SYSTEM,
    distrl.SYSTEM,
)
"""The ten systems, in the order of the arXiv listing."""


def systems(include_core: bool = True) -> list[SystemSpec]:
    """Every system in catalogue order, the shared core first when ``include_core``."""
    return [*(CORE if include_core else ()), *SYSTEMS]


def built(include_core: bool = True) -> list[SystemSpec]:
    """The systems that have a package (built or in progress), the core first when ``include_core``."""
    return [spec for spec in systems(include_core) if spec.module]


def get_system(name: str) -> SystemSpec:
    """The spec of system ``name`` (or ``lm``); a :class:`UserError` listing the names otherwise."""
    for spec in systems():
        if spec.name == name:
            return spec
    names = ", ".join(s.name for s in systems())
    raise UserError(f"unknown system '{name}'; known: {names}")
