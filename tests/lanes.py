"""Skipping a test only where an optional external tool or dataset is truly absent — and never where CI requires it.

``.ci/run`` sets ``TENFOLD_REQUIRE`` (comma-separated names: ``bwrap,java,javascript``; ``pynguin`` and the shared
datasets ``coconflictqa`` and ``projecttest-data`` may be added); a test marked ``skip_unless(available, "java",
...)`` then runs even when the tool is missing, and fails, instead of skipping.
"""

from __future__ import annotations

import os

import pytest

REQUIRE_ENV = "TENFOLD_REQUIRE"


def required(tool: str) -> bool:
    return tool in {t.strip() for t in os.environ.get(REQUIRE_ENV, "").split(",")}


def skip_unless(available: bool, tool: str, reason: str) -> pytest.MarkDecorator:
    """Skip where ``tool`` is unavailable, unless ``$TENFOLD_REQUIRE`` names it (then the test runs and fails)."""
    return pytest.mark.skipif(not available and not required(tool), reason=f"{reason} (required in CI: {tool})")
