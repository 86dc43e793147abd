"""Per-generation curves of a collapse run or reproduction (``tenfold collapse report RUN``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tenfold.common.errors import UserError

PANELS = (("perplexity", "test perplexity (continuation)", True), ("diversity", "token diversity", False))


def curves_figure(runs: dict[str, list[dict[str, Any]]]):
    """Perplexity (log scale) and diversity by generation, one line per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(PANELS), figsize=(10, 3.8))
    for ax, (key, label, log) in zip(axes, PANELS, strict=True):
        for name, gens in runs.items():
            xs = [g["generation"] for g in gens if key in g]
            ax.plot(xs, [g[key] for g in gens if key in g], marker="o", label=name)
        ax.set_xlabel("generation")
        ax.set_ylabel(label)
        if log:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def load_runs(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The runs of a run directory: ``generations.json`` (a reproduction or ``tenfold collapse run``)."""
    path = Path(path)
    file = path / "generations.json" if path.is_dir() else path
    if not file.exists():
        raise UserError(f"{path} has no generations.json (not a collapse run directory)")
    from tenfold.common.readers import read_json

    data = read_json(file, "collapse generations file")
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise UserError(f"{file} is not a collapse generations file")
    return data
