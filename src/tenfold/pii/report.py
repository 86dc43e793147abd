"""Figures of the PII study: the taxonomy as stacked bars per checkpoint (the paper's taxonomy figure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

COLOURS = {"retained": "#4c72b0", "immediate": "#55a868", "assisted": "#c44e52", "forgotten": "#bbbbbb"}


def taxonomy_figure(rows: Sequence[dict[str, Any]], mode: str = "clean") -> Any:
    """Stacked bars of retained / immediate / assisted per checkpoint (count of emails), forgotten below zero;
    one tick label per epoch start."""
    from tenfold.common.plots import new_figure

    fig, ax = new_figure()
    x = list(range(len(rows)))
    bottom = [0] * len(rows)
    for cls in ("retained", "immediate", "assisted"):
        h = [len(r[mode][cls]) for r in rows]
        ax.bar(x, h, bottom=bottom, color=COLOURS[cls], label=cls, width=0.9)
        bottom = [b + v for b, v in zip(bottom, h, strict=True)]
    ax.bar(x, [-len(r[mode]["forgotten"]) for r in rows], color=COLOURS["forgotten"], label="forgotten", width=0.9)
    starts = [i for i, r in enumerate(rows) if i == 0 or r["epoch"] != rows[i - 1]["epoch"]]
    ax.set_xticks(starts, [f"epoch {rows[i]['epoch']}" for i in starts])
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_ylabel("emails extracted (forgotten below 0)")
    ax.set_title(f"memorisation taxonomy per checkpoint ({mode})")
    ax.legend(loc="upper left", fontsize=8)
    return fig
