"""Tables per language and scenario (the paper's CR / ER / LC / BC in %), and the error-taxonomy bar chart."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from tenfold.projecttest.metrics import aggregate
from tenfold.projecttest.records import ProjectRecord

PAPER_PYTHON = {
    # v5 / ACL 2026 Table 2 (Python, vanilla): CR / ER / LC / BC in %, as reported by the paper (theirs, not ours)
    "GPT-4 Turbo": (47, 65, 40, 36),
    "GPT-3.5 Turbo": (37, 60, 38, 34),
    "o1": (60, 65, 56, 54),
    "Claude 3.5 Sonnet": (64, 70, 51, 47),
    "Gemini 2.0 Flash": (46, 65, 42, 39),
    "DeepSeek-Coder-6.7B": (37, 70, 39, 35),
    "CodeLlama-7B": (16, 60, 41, 37),
}
PAPER_JAVASCRIPT = {
    # the same table, JavaScript column (theirs, not ours)
    "Claude 3.5 Sonnet": (65, 80, 59, 53),
    "o1": (87, 95, 87, 75),
    "CodeLlama-7B": (26, 85, 20, 14),
    "CodeQwen1.5-7B": (23, 35, 25, 20),
}
PAPER_FIXING = {
    # Claude 3.5 Sonnet, Python: vanilla → manual → self-fix (v5 Tables 3–4)
    "vanilla": (64, 70, 51, 47),
    "manual": (92, 100, 74, 70),
    "self_fix": (86, 90, 67, 63),
}


def group(records: Sequence[ProjectRecord]) -> dict[tuple[str, str, str], list[ProjectRecord]]:
    out: dict[tuple[str, str, str], list[ProjectRecord]] = defaultdict(list)
    for r in records:
        out[(r.language, r.generator, r.scenario)].append(r)
    return dict(out)


def score_rows(records: Sequence[ProjectRecord]) -> list[dict]:
    """One row per (language, generator, scenario): the four rates in %, with 95 % bootstrap intervals."""
    rows = []
    order = {"vanilla": 0, "manual": 1, "self_fix": 2}
    for (lang, gen, scen), recs in sorted(group(records).items(), key=lambda kv: (*kv[0][:2], order.get(kv[0][2], 9))):
        agg = aggregate(recs)
        asked = [r.prompt_tokens for r in recs if r.prompt_tokens]  # the manual scenario asks no model
        tokens = sum(asked) / len(asked) if asked else None
        rows.append({"language": lang, "generator": gen, "scenario": scen} | agg | {"prompt_tokens": tokens})
    return rows


LEGEND = (
    "CR correctness rate (share of a project's generated tests that pass, 0 where the suite does not run), "
    "ER executability rate (share of projects whose suite runs), LC / BC line / branch coverage; "
    "means over projects (Sec. 3.2), [95 % bootstrap interval over projects]; env. = projects the environment "
    "stopped (a missing dependency, an unavailable lane), left out of the rates"
)
"""What the columns of :func:`format_rows` mean (printed under every table of them)."""


def format_rows(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    head = ["language", "generator", "scenario", "projects", "env.", "CR %", "ER %", "LC %", "BC %", "tests/project"]
    head.append("prompt tokens")
    body = []
    for r in rows:
        cells = [r["language"], r["generator"], r["scenario"], str(r["projects"]), str(r.get("environment", 0))]
        if not r["projects"]:
            body.append([*cells, *["—"] * 5, "—" if r.get("prompt_tokens") is None else f"{r['prompt_tokens']:,.0f}"])
            continue
        for key in ("correctness", "executability", "line_coverage", "branch_coverage"):
            cells.append(f"{100 * r[key]:.0f} [{100 * r[key + '_lo']:.0f}, {100 * r[key + '_hi']:.0f}]")
        cells.append(f"{r['tests']:.1f}")
        cells.append("—" if r.get("prompt_tokens") is None else f"{r['prompt_tokens']:,.0f}")
        body.append(cells)
    return head, body


def taxonomy(records: Sequence[ProjectRecord]) -> dict[str, Counter]:
    """Failing tests per error category, per generator/scenario (projects whose suite did not run count once, under
    their reason's category)."""
    out: dict[str, Counter] = defaultdict(Counter)
    for r in records:
        key = f"{r.generator} {r.scenario}"
        if r.environment:
            out[key]["environment"] += 1
            continue
        out[key] += r.categories()
        if not r.tests and r.reason:
            out[key][_reason_category(r.reason)] += 1
    return dict(out)


def _reason_category(reason: str) -> str:
    if reason.startswith("generator"):
        return "generator error"
    if "code block" in reason:
        return "no code"
    if "ran past" in reason:
        return "timeout"
    return "collection"


def plot_taxonomy(records: Sequence[ProjectRecord], path: Path) -> Path:
    from tenfold.common.plots import new_figure, save_figure

    tax = taxonomy(records)
    cats = sorted({c for counter in tax.values() for c in counter})
    fig, ax = new_figure(7, 0.6 + 0.35 * max(1, len(cats)))
    width = 0.8 / max(1, len(tax))
    for i, (key, counter) in enumerate(sorted(tax.items())):
        ax.barh([j + i * width for j in range(len(cats))], [counter.get(c, 0) for c in cats], height=width, label=key)
    ax.set_yticks([j + 0.4 - width / 2 for j in range(len(cats))], cats)
    ax.set_xlabel("failing tests (or projects whose suite did not run)")
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def isolation_summary(records: Sequence[ProjectRecord]) -> str:
    """How the records' suites were isolated (``isolation: ...`` notes): bubblewrap, or the fallback guards."""
    kinds = Counter(
        n.split(": ", 1)[1].split(" (", 1)[0] for r in records for n in r.notes if n.startswith("isolation: ")
    )
    if not kinds:
        return "Isolation: not recorded (no suite ran)."
    parts = ", ".join(f"{kind} for {n} suite runs" for kind, n in kinds.most_common())
    warning = " The fallback guards do not stop child processes from writing outside." if "fallback" in kinds else ""
    return f"Isolation: {parts}.{warning}"


def environment_table(records: Sequence[ProjectRecord]) -> list[str]:
    """Markdown lines listing the projects the environment stopped (not counted against the model)."""
    rows = sorted({(r.language, r.project, r.environment) for r in records if r.environment})
    if not rows:
        return []
    return ["| language | project | environment unavailable |", "|---|---|---|"] + [
        f"| {lang} | {name} | {why} |" for lang, name, why in rows
    ]
