"""The reproduction report: one self-contained HTML page (plots embedded) and the same content as Markdown.

One section per system: the paper, its claims beside our measured figures, whether each claim holds at this
scale, the command that reproduces each row, the plots and links to the run directories. Systems that are not built
are listed as such; a system whose reproduction failed shows the error, never numbers.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tenfold.common.paths import atomic_write_text
from tenfold.common.plots import png_data_uri
from tenfold.common.registry import SystemSpec
from tenfold.common.tables import html_table, markdown_table

if TYPE_CHECKING:
    from tenfold.common.reproduce import Reproduction


@dataclass
class ReportEntry:
    """One system's line in the report."""

    spec: SystemSpec
    reproduction: Reproduction | None = None
    error: str | None = None
    skipped: str | None = None
    """why the system was not run (not built, or not selected)."""


def _status(entry: ReportEntry) -> str:
    if entry.error:
        return "failed"
    if entry.reproduction is not None:
        verdicts = list(entry.reproduction.verdicts().values())
        held, judged = verdicts.count("yes"), verdicts.count("yes") + verdicts.count("no")
        progress = " (in progress)" if entry.spec.status == "in progress" else ""
        failed = f", {verdicts.count('failed')} failed" if "failed" in verdicts else ""
        cached = " (cached)" if entry.reproduction.cached else ""
        return f"{held}/{judged} claims hold{failed}{progress}{cached}"
    return entry.skipped or entry.spec.status


def _link(path: Path, base: Path) -> str:
    try:
        return os.path.relpath(path, base)
    except ValueError:  # different drive
        return path.as_uri()


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.92em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3} code{background:#f6f6f6;padding:0 .2em;font-size:.9em}
.yes{color:#0a7d20;font-weight:600}.no{color:#b00020;font-weight:600}.na,.skipped{color:#777}
.planned{color:#777}.failed{color:#b00020} img{max-width:48%;margin:.3em;border:1px solid #eee}
section{border-top:2px solid #ddd;margin-top:2em} .meta{color:#555;font-size:.9em}
"""


def render_html(entries: Sequence[ReportEntry], out_dir: Path, preset: str, seconds: float) -> str:
    """The report as one HTML page."""
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>tenfold reproduction report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>tenfold reproduction report</h1>",
        f"<p class='meta'>preset <b>{html.escape(preset)}</b> · generated {when} · total {seconds:.0f} s</p>",
    ]
    overview = []
    for e in entries:
        paper = e.spec.paper
        title = f"<a href='{paper.url}'>{html.escape(paper.title)}</a>" if paper else "shared infrastructure"
        overview.append(
            [
                f"<a href='#{e.spec.name}'>{e.spec.name}</a>",
                title,
                html.escape(_status(e)),
                f"{e.reproduction.seconds:.0f} s" if e.reproduction else "–",
            ]
        )
    parts.append(html_table(["system", "paper", "status", "time"], overview, raw_html_columns=(0, 1)))
    for e in entries:
        parts.append(_html_section(e, out_dir))
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_section(e: ReportEntry, out_dir: Path) -> str:
    spec, paper = e.spec, e.spec.paper
    out = [f"<section id='{spec.name}'><h2>{spec.name}</h2>"]
    if paper:
        out.append(
            f"<p><a href='{paper.url}'>{html.escape(paper.title)}</a> — {html.escape(', '.join(paper.authors))} "
            f"(arXiv {paper.arxiv})</p>"
        )
    out.append(f"<p>{html.escape(spec.summary)}</p>")
    if e.error:
        out.append(f"<p class='failed'>Reproduction failed: <code>{html.escape(e.error)}</code></p>")
    if e.reproduction is None:
        if not e.error:
            reason = e.skipped or spec.status
            out.append(f"<p class='planned'>{html.escape(reason.capitalize())}: no numbers are reported.</p>")
            claims = spec.load_claims()
            if claims:
                rows = [
                    [html.escape(c.statement), html.escape(c.paper), f"<code>{html.escape(c.command)}</code>"]
                    for c in claims
                ]
                out.append(html_table(["claim", "paper", "command"], rows, raw_html_columns=(0, 1, 2)))
        out.append("</section>")
        return "\n".join(out)
    rep = e.reproduction
    rows = []
    for r in rep.results:
        cls = {"yes": "yes", "no": "no", "failed": "no", "skipped": "skipped"}.get(r.status, "na")
        detail = r.error or r.note
        rows.append(
            [
                html.escape(r.claim.statement),
                html.escape(r.claim.paper),
                html.escape(r.ours),
                f"<span class='{cls}'>{r.status}</span>"
                + (f"<br><small>{html.escape(detail)}</small>" if detail else ""),
                f"<code>{html.escape(r.claim.command)}</code>",
            ]
        )
    out.append(html_table(["claim", "paper", "ours", "holds here", "command"], rows, raw_html_columns=(0, 1, 2, 3, 4)))
    for note in rep.notes:
        out.append(f"<p class='meta'>{html.escape(note)}</p>")
    for plot in rep.plots:
        if Path(plot).exists():
            out.append(f"<img alt='{html.escape(Path(plot).stem)}' src='{png_data_uri(Path(plot))}'>")
    if rep.run_dirs:
        links = ", ".join(
            f"<a href='{html.escape(_link(Path(p), out_dir))}'>{html.escape(Path(p).name)}</a>" for p in rep.run_dirs
        )
        when = "read from the cache; computed in" if rep.cached else "computed in"
        out.append(f"<p class='meta'>run directories: {links} · seed {rep.seed} · {when} {rep.seconds:.0f} s</p>")
    out.append("</section>")
    return "\n".join(out)


def render_markdown(entries: Sequence[ReportEntry], out_dir: Path, preset: str, seconds: float) -> str:
    """The report as Markdown (plots linked, not embedded)."""
    lines = ["# tenfold reproduction report", "", f"preset `{preset}`, total {seconds:.0f} s", ""]
    lines.append(
        markdown_table(
            ["system", "paper", "status"],
            [
                [e.spec.name, e.spec.paper.title if e.spec.paper else "shared infrastructure", _status(e)]
                for e in entries
            ],
        )
    )
    for e in entries:
        lines += ["", f"## {e.spec.name}", ""]
        if e.spec.paper:
            lines += [f"[{e.spec.paper.title}]({e.spec.paper.url}), {e.spec.paper.short_authors()}", ""]
        if e.error:
            lines += [f"Reproduction failed: `{e.error}`"]
            continue
        if e.reproduction is None:
            lines += [f"{(e.skipped or e.spec.status).capitalize()}: no numbers are reported."]
            continue
        lines += [f"Status: {_status(e)}", ""]
        rep = e.reproduction
        lines.append(
            markdown_table(
                ["claim", "paper", "ours", "holds here", "command"],
                [
                    [
                        r.claim.statement,
                        r.claim.paper,
                        r.ours,
                        r.status + (f" ({r.error or r.note})" if r.error or r.note else ""),
                        f"`{r.claim.command}`",
                    ]
                    for r in rep.results
                ],
            )
        )
        lines += ["", *[f"- {n}" for n in rep.notes]]
        lines += [f"![{Path(p).stem}]({_link(Path(p), out_dir)})" for p in rep.plots]
        lines += ["", "Run directories: " + ", ".join(f"`{_link(Path(p), out_dir)}`" for p in rep.run_dirs)]
    return "\n".join(lines) + "\n"


def write_report(entries: Sequence[ReportEntry], out_dir: Path, preset: str, seconds: float) -> tuple[Path, Path]:
    """Write ``index.html`` and ``report.md`` into ``out_dir``; returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / "index.html"
    md_path = out_dir / "report.md"
    # atomically: the report is rewritten after every system, and a kill must leave the previous one readable
    atomic_write_text(html_path, render_html(entries, out_dir, preset, seconds))
    atomic_write_text(md_path, render_markdown(entries, out_dir, preset, seconds))
    return html_path, md_path
