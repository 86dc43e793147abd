"""The reproduction runner and claims as code, on a toy system: one opening, judged from the declared thresholds,
a failing claim reported beside the others, shared steps computed once, results cached by config and code."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tenfold.common.claims import Claim, Measured, Skipped
from tenfold.common.config import check_fields
from tenfold.common.errors import UserError
from tenfold.common.reproduce import Context, Reproducer, reproduce_cached


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TENFOLD_CACHE", str(tmp_path / "cache"))


@dataclass(frozen=True)
class ToyConfig:
    n: int = 4
    """how many numbers."""

    def __post_init__(self) -> None:
        check_fields(self, positive=("n",))


CLAIMS = (
    Claim(
        "mean_above",
        "the mean of the first {count} numbers exceeds {bar}",
        "qualitative",
        "tenfold reproduce toy",
        thresholds={"count": 4, "bar": 1.5},
        judge=lambda v, t: v["mean"] > t["bar"],
    ),
    Claim("sum", "their sum", "—", "tenfold reproduce toy"),
    Claim("broken", "a claim whose measurement fails", "—", "tenfold reproduce toy", judge=lambda v, t: True),
    Claim("later", "a claim the test preset leaves out", "—", "tenfold reproduce toy", judge=lambda v, t: True),
)
calls: list[str] = []


def _make() -> Reproducer:
    toy = Reproducer("toy", CLAIMS, {"test": ToyConfig, "quick": lambda: ToyConfig(n=8), "paper": ToyConfig})

    def numbers(ctx: Context) -> list[int]:
        calls.append("numbers")
        return list(range(ctx.seed, ctx.seed + ctx.config.n))

    @toy.measures("mean_above")
    def mean_above(ctx: Context) -> Measured:
        xs = ctx.once(numbers)
        return Measured(f"{sum(xs) / len(xs):.2f}", {"mean": sum(xs) / len(xs)})

    @toy.measures("sum")
    def total(ctx: Context) -> Measured:
        return Measured(str(sum(ctx.once(numbers))), {"sum": sum(ctx.once(numbers))})

    @toy.measures("broken")
    def broken(ctx: Context) -> Measured:
        raise ZeroDivisionError("division by zero")

    @toy.measures("later")
    def later(ctx: Context) -> Measured | Skipped:
        return Skipped("n < 8") if ctx.config.n < 8 else Measured("done")

    return toy


def test_statement_renders_the_thresholds_the_judge_uses():
    claim = CLAIMS[0]
    assert claim.statement == "the mean of the first 4 numbers exceeds 1.5"
    assert claim.verdict({"mean": 1.6}) is True and claim.verdict({"mean": 1.5}) is False
    assert CLAIMS[1].verdict({}) is None  # measured only
    with pytest.raises(ValueError, match="names a threshold it does not define"):
        Claim("bad", "above {bar}", "—", "x")
    tiny = Claim("t", "error ≤ {tol}, share ≥ {share:.0%}", "—", "x", thresholds={"tol": 1e-5, "share": 0.95})
    assert tiny.statement == "error ≤ 1e-5, share ≥ 95%"


def test_runner_records_every_claim_and_survives_a_failing_one(tmp_path):
    calls.clear()
    rep = _make().run("test", tmp_path, seed=0)
    assert rep.verdicts() == {"mean_above": "no", "sum": "n/a", "broken": "failed", "later": "skipped"}
    assert rep.result("mean_above").ours == "1.50"  # 0..3: mean 1.5, not above 1.5
    assert rep.result("broken").error == "ZeroDivisionError: division by zero"
    assert "n < 8" in rep.result("later").ours
    assert calls == ["numbers"]  # the shared step ran once for two claims
    run = rep.run_dirs[0]
    saved = json.loads((run / "reproduction.json").read_text())
    assert [r["claim"] for r in saved["results"]] == [c.id for c in CLAIMS]
    assert "ZeroDivisionError" in (run / "errors.log").read_text()
    assert json.loads((run / "summary.json").read_text())["sum"]["ours"] == "6"
    assert _make().run("test", tmp_path, seed=1).result("mean_above").holds is True  # 1..4: mean 2.5


def test_overrides_are_validated_and_unknown_claims_refused(tmp_path):
    toy = _make()
    assert toy.config("test", ["n=8"]).n == 8
    with pytest.raises(UserError, match="n must be > 0"):
        toy.config("test", ["n=0"])
    with pytest.raises(UserError, match="no claim 'nope'"):
        toy.run("test", tmp_path, only=["nope"])


def test_finished_reproductions_are_read_back_and_failed_ones_recomputed(tmp_path):
    toy = _make()
    toy.functions.pop("broken")
    toy.measures("broken")(lambda ctx: Measured("fine"))
    calls.clear()
    first = reproduce_cached(toy, "quick", tmp_path / "a", seed=0)
    again = reproduce_cached(toy, "quick", tmp_path / "b", seed=0)
    assert not first.cached and again.cached and calls == ["numbers"]
    assert [r.ours for r in again.results] == [r.ours for r in first.results]
    assert (tmp_path / "b" / first.run_dirs[0].name / "reproduction.json").exists()
    assert reproduce_cached(toy, "quick", tmp_path / "c", seed=0, use_cache=False).cached is False
    failing = _make()
    reproduce_cached(failing, "test", tmp_path / "d", seed=0)
    assert not reproduce_cached(failing, "test", tmp_path / "e", seed=0).cached  # a failed claim is never cached
