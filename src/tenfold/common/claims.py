"""Claims as code: what a paper claims, how we judge it, and what we measured — each written once.

A :class:`Claim` holds the claim's text as a template whose numbers come from its ``thresholds``, the paper's
figure, the command that makes our row, and its ``judge``: a function of the measured values and the same
thresholds. The report, the README tables and the verdict are all rendered from that one declaration, so a
threshold cannot say one thing in the text and another in the code::

    Claim(
        "beats_random",
        "Zweistein-1ply beats random: win rate > {min_rate} with the Wilson lower bound > 0.5",
        paper="not reported",
        command="tenfold zweistein tournament --agents zweistein-1ply,random --games 2000",
        thresholds={"min_rate": 0.9},
        judge=lambda v, t: v["rate"] > t["min_rate"] and v["lo"] > 0.5,
    )

A claim without a judge is reported as measured, never as holding or failing. Every judged claim states how it
treats the spread between seeds (several seeds, or a margin the measured spread justifies) in its text, so that its
verdict survives another machine whose floating point steers training elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

Values = Mapping[str, Any]
Judge = Callable[[Values, Mapping[str, Any]], bool]


@dataclass(frozen=True, eq=False)
class Claim:
    """One headline claim of a paper that a reproduction checks."""

    id: str
    """short stable identifier, e.g. ``"ppl_below_unigram"``; results are looked up by it."""
    text: str
    """the claim in words, a ``str.format`` template over ``thresholds`` (``{min_auc}``)."""
    paper: str
    """the paper's figure as published (or "qualitative", or "—" where the paper has none)."""
    command: str
    """the command that produces our row."""
    thresholds: Mapping[str, Any] = field(default_factory=dict)
    """the numbers the text states and the judge uses."""
    judge: Judge | None = None
    """``judge(values, thresholds) -> holds``; None: measured and reported, not judged."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "thresholds", MappingProxyType(dict(self.thresholds)))
        try:
            self.statement  # noqa: B018 - a template naming an unknown threshold fails at import, not in a report
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"claim '{self.id}': its text names a threshold it does not define ({exc})") from None

    @property
    def statement(self) -> str:
        """The claim's text with its thresholds filled in (``{x}`` shows a float compactly: 1e-5, 0.5, 2)."""
        return self.text.format(**{k: _Shown(v) if isinstance(v, float) else v for k, v in self.thresholds.items()})

    @property
    def judged(self) -> bool:
        return self.judge is not None

    def verdict(self, values: Values) -> bool | None:
        """Whether the claim holds for ``values`` (None for a claim that is only measured)."""
        return None if self.judge is None else bool(self.judge(values, self.thresholds))


class _Shown(float):
    """A threshold as the claim's text shows it: ``{x}`` gives ``1e-5`` for 1e-05 and ``2`` for 2.0; a format spec
    (``{x:.0%}``) formats it as a float."""

    def __str__(self) -> str:
        mantissa, _, exponent = f"{float(self):g}".partition("e")
        return f"{mantissa}e{int(exponent)}" if exponent else mantissa

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else float.__format__(self, spec)


@dataclass
class Measured:
    """What a claim function returns: our figure in words and the numbers behind it (the judge reads these)."""

    figure: str
    values: dict[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass
class Skipped:
    """A claim that the chosen preset does not measure (the reason names the setting that turns it off)."""

    reason: str


@dataclass
class ClaimResult:
    """Our measurement of one claim."""

    claim: Claim
    ours: str
    """our figure, formatted."""
    holds: bool | None
    """whether the claim holds at this scale; None when it is only measured, not run at this preset, or failed."""
    note: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    """the raw numbers behind ``ours``."""
    error: str | None = None
    """why the claim's measurement failed (the other claims still run)."""
    skipped: str | None = None
    """why the preset does not measure the claim."""
    seconds: float = 0.0

    @property
    def status(self) -> str:
        """``yes`` / ``no`` / ``n/a`` (measured only) / ``skipped`` / ``failed``."""
        if self.error is not None:
            return "failed"
        if self.skipped is not None:
            return "skipped"
        return {True: "yes", False: "no", None: "n/a"}[self.holds]

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim.id,
            "ours": self.ours,
            "holds": self.holds,
            "note": self.note,
            "values": self.values,
            "error": self.error,
            "skipped": self.skipped,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, claim: Claim, row: Mapping[str, Any]) -> ClaimResult:
        keys = ("ours", "holds", "note", "values", "error", "skipped", "seconds")
        return cls(claim, **{k: row[k] for k in keys})


def claim_index(claims: tuple[Claim, ...]) -> dict[str, Claim]:
    """Claims by id; a repeated id is a bug in the declaration."""
    index: dict[str, Claim] = {}
    for c in claims:
        if c.id in index:
            raise ValueError(f"claim id '{c.id}' is declared twice")
        index[c.id] = c
    return index


def all_of(*conditions: Callable[[Values, Mapping[str, Any]], bool]) -> Judge:
    """A judge that holds when every condition does."""
    return lambda v, t: all(cond(v, t) for cond in conditions)
