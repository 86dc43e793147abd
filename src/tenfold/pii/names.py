"""The names the CLI offers, in a module without torch (``tenfold pii --help`` must not import it)."""

PIPELINES = ("continuous", "adding", "removal")
"""The study's training pipelines (:mod:`tenfold.pii.pipelines`)."""

DEFENCES = ("none", "dedup", "scrub", "dp-sgd")
"""Defences a run can train under (:mod:`tenfold.pii.defences`)."""
