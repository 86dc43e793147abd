"""The paper's six decoding strategies (official ``config/decoding/*.yaml``), as :class:`~tenfold.lm.generation.
DecodingConfig` through ``lm``'s tested decoder — one table, everything else (CLI choices, presets, plots) derived
from it.

The official code always generates exactly ``max_new_tokens`` (``min_new_tokens = max_new_tokens``), so every
continuation has the same length whatever the strategy; we do the same. Its ``beam_search`` run is greedy in every
commit (``main.py`` never passes the beam count on, bug 1 of the paper note); here beam search really uses 5 beams,
and ``greedy`` is what the official beam runs produced.
"""

from __future__ import annotations

from typing import Any

from tenfold.common.errors import UserError

STRATEGIES: dict[str, dict[str, Any]] = {
    "greedy": {"do_sample": False},
    "beam": {"do_sample": False, "num_beams": 5},
    "sampling": {"do_sample": True, "temperature": 1.0},
    "temperature": {"do_sample": True, "temperature": 0.9},
    "top_k": {"do_sample": True, "top_k": 50},
    "nucleus": {"do_sample": True, "top_p": 0.95},
}
"""Strategy name → :class:`~tenfold.lm.generation.DecodingConfig` fields (the paper's parameters: 5 beams, T = 0.9,
k = 50, p = 0.95). Plain values, so that the CLI lists them without importing torch."""

DETERMINISTIC = tuple(name for name, fields in STRATEGIES.items() if not fields["do_sample"])
"""Strategies without randomness (greedy, beam): the ones the paper sees collapse fastest."""


def decoding(name: str, new_tokens: int, seed: int, eos_token_id: int | None = None, batch_size: int = 64):
    """The strategy ``name`` generating exactly ``new_tokens`` tokens (min = max, as the official code)."""
    from tenfold.lm.generation import DecodingConfig

    if name not in STRATEGIES:
        raise UserError(f"unknown decoding strategy {name!r}; choose one of: {', '.join(STRATEGIES)}")
    return DecodingConfig(
        **STRATEGIES[name],
        max_new_tokens=new_tokens,
        min_new_tokens=new_tokens,
        seed=seed,
        eos_token_id=eos_token_id,
        batch_size=batch_size,
    )
