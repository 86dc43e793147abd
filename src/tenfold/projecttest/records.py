"""Per-test and per-project results, and the error taxonomy (ProjectTest, Sec. 4).

Categories of a failing test (the first that applies):

* ``collection``: the suite does not collect / compile (the paper's compilation errors); ``import`` when the cause is
  an import (wrong import path: the most common one in the paper);
* ``timeout``: a test hung and was stopped;
* ``blocked``: the sandbox refused what the test tried (reading stdin, the network, writing outside the sandbox,
  allocating past the memory limit);
* ``cascade``: two or more tests fail with the same root cause (exception type and message), e.g. a missing
  ``import numpy as np`` used in three tests;
* ``hallucinated_api``: the test uses an attribute, method or argument the project does not have;
* ``assertion``: a wrong expected value;
* ``other``: anything else (an exception raised by the code under test, a type error, ...).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field


@dataclass
class TestOutcome:
    name: str
    outcome: str
    """passed, failed, error or skipped."""
    message: str = ""
    """the exception line (``NameError: name 'np' is not defined``)."""
    category: str = ""


@dataclass
class ProjectRecord:
    """Everything measured for one project under one generator and scenario."""

    project: str
    language: str
    generator: str = ""
    scenario: str = "vanilla"
    executable: bool = False
    """the suite collected / compiled and ran (the paper's compilation rate, v5's executability)."""
    reason: str = ""
    """why the project has no result (no code block, generator error, collection error, timeout, ...)."""
    environment: str = ""
    """non-empty when the environment, not the model's tests, stopped the project (a dependency of the project that
    is not installed, a lane or framework unavailable here, the sandbox refused to start): such projects are listed
    apart and never counted against the model."""
    tests: list[TestOutcome] = field(default_factory=list)
    line_coverage: float = 0.0
    """covered statements / statements of the project's sources, in [0, 1]; 0 if not executable."""
    branch_coverage: float = 0.0
    mutation_score: float | None = None
    """killed / mutants (Python lane, when the sweep asks for it); None when not measured."""
    cascades: dict[str, int] = field(default_factory=dict)
    """root cause → number of tests it failed (only causes shared by two or more tests)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    run_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    output: str = ""
    """the tail of the runner's output (what self-fixing shows the model)."""

    @property
    def owner(self) -> str:
        """Whose failure this record shows: ``environment``, ``model`` (its suite did not run or a test failed), or
        "" (everything ran and passed)."""
        if self.environment:
            return "environment"
        failing = any(t.outcome in ("failed", "error") for t in self.tests)
        return "model" if not self.executable or failing else ""

    @property
    def n_tests(self) -> int:
        return sum(t.outcome != "skipped" for t in self.tests)

    @property
    def n_passed(self) -> int:
        return sum(t.outcome == "passed" for t in self.tests)

    @property
    def correctness(self) -> float:
        """Passed over executed tests of this project; 0 when the suite is not executable or has no tests."""
        return self.n_passed / self.n_tests if self.executable and self.n_tests else 0.0

    def categories(self) -> Counter:
        return Counter(t.category for t in self.tests if t.outcome in ("failed", "error"))

    def to_dict(self) -> dict:
        counts = {"n_tests": self.n_tests, "n_passed": self.n_passed, "correctness": self.correctness}
        return asdict(self) | counts | {"owner": self.owner}

    @classmethod
    def from_dict(cls, d: dict) -> ProjectRecord:
        d = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        d["tests"] = [TestOutcome(**t) for t in d.get("tests", [])]
        return cls(**d)


_HALLUCINATED = re.compile(
    r"^AttributeError: .*has no attribute|^TypeError: .*(unexpected keyword argument|takes \d+ positional|"
    r"missing \d+ required positional|got multiple values)|^ImportError: cannot import name"
)


_ASSERTION = re.compile(r"^AssertionError|^assert |^Error: expect\(|^expect\(|AssertionFailedError|ComparisonFailure")
_IMPORT = re.compile(r"^(ModuleNotFoundError|ImportError)|Cannot find module|package .* does not exist")
_BLOCKED = re.compile(
    r"^MemoryError|reading from stdin|^EOFError|in the ProjectTest sandbox|outside the sandbox is refused|"
    r"Network is unreachable|^PermissionError: .*sandbox"
)


def root_cause(message: str) -> str:
    """A failure's root-cause signature: the exception line with object addresses removed."""
    line = message.strip().splitlines()[0] if message.strip() else ""
    return re.sub(r" at 0x[0-9a-f]+", "", line)


def classify(tests: list[TestOutcome], collected: bool) -> dict[str, int]:
    """Set each failing test's category in place; return the cascades (root cause → tests failed by it)."""
    failing = [t for t in tests if t.outcome in ("failed", "error")]
    causes = Counter(root_cause(t.message) for t in failing)
    cascades = {}
    for t in failing:
        cause = root_cause(t.message)
        if not collected:
            t.category = "import" if _IMPORT.search(cause) else "collection"
        elif "Timeout" in cause or "timed out" in cause.lower():
            t.category = "timeout"
        elif _BLOCKED.search(cause):
            t.category = "blocked"
        elif _ASSERTION.search(cause):  # wrong expected values share a message shape, never a root cause
            t.category = "assertion"
        elif causes[cause] >= 2:
            t.category = "cascade"
            cascades[cause] = causes[cause]
        elif _HALLUCINATED.match(cause):
            t.category = "hallucinated_api"
        else:
            t.category = "other"
    return cascades
