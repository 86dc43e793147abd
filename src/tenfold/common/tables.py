"""Result tables: mean ± std over seeds, rendered as Markdown, HTML or a rich terminal table."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np


def mean_std(values: Iterable[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof = 1; 0 for a single value)."""
    arr = np.asarray(list(values), dtype=float)
    if arr.size == 0:
        return math.nan, math.nan
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0


def fmt_num(x: Any, digits: int = 3) -> str:
    """A number with ``digits`` significant digits; integers and strings pass through."""
    if x is None:
        return "–"
    if isinstance(x, bool | str):
        return str(x)
    if isinstance(x, int | np.integer):
        return str(int(x))
    x = float(x)
    if math.isnan(x):
        return "nan"
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-3):
        return f"{x:.{digits - 1}e}"
    return f"{x:#.{digits}g}".rstrip(".")  # '#' keeps trailing zeros: 1.50, not 1.5


def fmt_mean_std(values: Iterable[float], digits: int = 3) -> str:
    """``"m ± s"`` over seeds (just ``"m"`` for a single value)."""
    vals = list(values)
    m, s = mean_std(vals)
    return fmt_num(m, digits) if len(vals) <= 1 else f"{fmt_num(m, digits)} ± {fmt_num(s, digits)}"


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table (cells are formatted with :func:`fmt_num`; ``|`` is escaped)."""

    def cell(v: Any) -> str:
        return (v if isinstance(v, str) else fmt_num(v)).replace("|", r"\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def html_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], raw_html_columns: Sequence[int] = ()) -> str:
    """An HTML table; columns listed in ``raw_html_columns`` are inserted unescaped (for links and badges)."""
    out = ["<table>", "<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr></thead>"]
    out.append("<tbody>")
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            text = v if isinstance(v, str) else fmt_num(v)
            cells.append(f"<td>{text if i in raw_html_columns else html.escape(text)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def print_table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None, caption: str | None = None
) -> None:
    """Print a table to the terminal with rich (up to 200 columns wide when piped, so logs keep whole cells);
    ``caption`` (under the table) spells out its abbreviations."""
    import sys

    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, caption=caption, show_lines=False)
    for h in headers:
        table.add_column(h)
    for row in rows:
        table.add_row(*[v if isinstance(v, str) else fmt_num(v) for v in row])
    Console(width=None if sys.stdout.isatty() else 200).print(table)
