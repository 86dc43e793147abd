"""The paper's averaging rules (ProjectTest, Sec. 3.2) and bootstrap intervals over projects.

Per language over the projects of a run: executability (compilation) rate = share of projects whose suite ran;
correctness rate = mean over projects of passed / executed tests, 0 for a project whose suite did not run (a mean of
per-project rates, not Σ passed / Σ tests); line and branch coverage = mean over projects, 0 for non-executable ones.
Projects that the environment stopped (``ProjectRecord.environment``: a missing dependency, an unavailable lane) are
left out of every rate and counted apart, so that the tables hold only what the model's tests did.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tenfold.projecttest.records import ProjectRecord

METRICS = ("correctness", "executability", "line_coverage", "branch_coverage")


def per_project(r: ProjectRecord) -> dict[str, float]:
    return {
        "correctness": r.correctness,
        "executability": float(r.executable),
        "line_coverage": r.line_coverage if r.executable else 0.0,
        "branch_coverage": r.branch_coverage if r.executable else 0.0,
        "tests": float(r.n_tests),
        "passed": float(r.n_passed),
    }


def aggregate(records: Sequence[ProjectRecord], n_boot: int = 2000, seed: int = 0) -> dict[str, float]:
    """The four rates (in [0, 1]), mean tests and correct tests per project, and 95 % bootstrap intervals, over the
    projects the environment did not stop (``environment``: how many it did)."""
    scored = [r for r in records if not r.environment]
    if not scored:
        return {"projects": 0, "environment": len(records)}
    rows = [per_project(r) for r in scored]
    out: dict[str, float] = {"projects": len(rows), "environment": len(records) - len(scored)}
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(rows), size=(n_boot, len(rows)))
    for key in (*METRICS, "tests", "passed"):
        values = np.array([row[key] for row in rows])
        out[key] = float(values.mean())
        if key in METRICS:
            boot = values[idx].mean(1)
            out[f"{key}_lo"], out[f"{key}_hi"] = (float(x) for x in np.percentile(boot, [2.5, 97.5]))
    return out
