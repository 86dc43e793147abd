"""matplotlib helpers (Agg backend: no display needed) and PNG embedding for the HTML report."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def new_figure(width: float = 5.0, height: float = 3.4) -> tuple[Any, Any]:
    """A figure and one axes with tenfold's defaults."""
    fig, ax = plt.subplots(figsize=(width, height), dpi=110)
    ax.grid(alpha=0.3)
    return fig, ax


def save_figure(fig: Any, path: Path) -> Path:
    """Save ``fig`` as PNG at ``path`` (tight layout) and close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def line_plot(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    xlabel: str,
    ylabel: str,
    title: str = "",
    logy: bool = False,
    hlines: Mapping[str, float] | None = None,
) -> Any:
    """A figure with one line per named ``(x, y)`` curve and optional labelled horizontal reference lines."""
    fig, ax = new_figure()
    for label, (x, y) in curves.items():
        ax.plot(x, y, label=label, marker="o" if len(x) < 12 else None, markersize=3)
    for i, (label, value) in enumerate((hlines or {}).items()):
        ax.axhline(value, linestyle="--", color=f"C{len(curves) + i}", label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def png_data_uri(path: Path) -> str:
    """A ``data:image/png;base64,...`` URI, so the report is one self-contained file."""
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode()
