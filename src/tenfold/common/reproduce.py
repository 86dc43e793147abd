"""The reproduction runner: one opening (seed, run directory, timer, claim lookup) for every system.

A system's reproduction is a :class:`Reproducer`: its claims (:mod:`tenfold.common.claims`), its presets, and one
claim function per claim that measures it::

    REPRODUCER = Reproducer("zweistein", CLAIMS, PRESETS, code=("tenfold.zweistein",))

    @REPRODUCER.measures("beats_random")
    def beats_random(ctx: Context) -> Measured:
        match = ctx.once(strength_matches)["beats_random"]     # a step shared by several claims runs once
        return Measured(f"{match.rate:.3f}", values=match.to_dict())

The runner seeds, opens the run directory, calls the claim functions in the declared order, times each, judges
each with its claim's own judge, catches a claim that fails (reported as failed with its error; the others still
run) and records everything (``reproduction.json``, ``summary.json``, ``metrics.jsonl``).

:func:`reproduce_systems` runs several systems for ``tenfold reproduce``: it rewrites the report after each system,
shows overall progress with an estimate from the last run's timings, and keeps each finished reproduction in the
content-addressed cache (keyed by system, preset, seed, config and the code), so that a re-run after Ctrl-C or
``kill -9`` continues where it stopped and reports the same numbers.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tenfold.common.claims import Claim, ClaimResult, Measured, Skipped, claim_index
from tenfold.common.config import apply_overrides, select_preset
from tenfold.common.errors import UserError, path_error
from tenfold.common.rundir import RunDir
from tenfold.common.seeding import seed_everything

log = logging.getLogger(__name__)

T = TypeVar("T")
ClaimFunction = Callable[["Context"], Measured | Skipped]

SHARED_CODE = ("tenfold.common", "tenfold.lm")
"""Packages every reproduction's cached result depends on besides the system's own."""


@dataclass
class Reproduction:
    """A system's reproduction: one result per claim, in the declared order."""

    system: str
    preset: str
    seed: int
    results: list[ClaimResult]
    run_dirs: list[Path] = field(default_factory=list)
    plots: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    """time this reproduction took to compute (when read from the cache: the original computation's)."""
    notes: list[str] = field(default_factory=list)
    cached: bool = False
    """read back from the cache instead of computed in this run."""

    def result(self, claim_id: str) -> ClaimResult:
        """The result of claim ``claim_id`` (looked up by name, never by position)."""
        for r in self.results:
            if r.claim.id == claim_id:
                return r
        raise KeyError(f"{self.system} has no result for claim '{claim_id}'")

    def verdicts(self) -> dict[str, str]:
        """``claim id → yes/no/n/a/skipped/failed``."""
        return {r.claim.id: r.status for r in self.results}

    @property
    def failed(self) -> list[ClaimResult]:
        return [r for r in self.results if r.error is not None]

    def to_dict(self, base: Path) -> dict[str, Any]:
        """JSON-able, with paths inside ``base`` stored relative to it (so the record can move)."""

        def rel(p: Path) -> str:
            p = Path(p)
            return p.relative_to(base).as_posix() if p.is_relative_to(base) else str(p)

        return {
            "system": self.system,
            "preset": self.preset,
            "seed": self.seed,
            "seconds": self.seconds,
            "results": [r.to_dict() for r in self.results],
            "run_dirs": [rel(p) for p in self.run_dirs],
            "plots": [rel(p) for p in self.plots],
            "notes": self.notes,
        }

    @classmethod
    def from_dict(cls, row: Mapping[str, Any], claims: Sequence[Claim], base: Path) -> Reproduction:
        index = claim_index(tuple(claims))
        results = [ClaimResult.from_dict(index[r["claim"]], r) for r in row["results"] if r["claim"] in index]

        def path(p: str) -> Path:
            return Path(p) if Path(p).is_absolute() else base / p

        return cls(
            row["system"],
            row["preset"],
            row["seed"],
            results,
            [path(p) for p in row["run_dirs"]],
            [path(p) for p in row["plots"]],
            row["seconds"],
            list(row["notes"]),
        )


@dataclass
class Context:
    """What a claim function gets: the resolved config, the run directory, and a place for shared steps."""

    system: str
    preset: str
    seed: int
    config: Any
    run: RunDir
    plots: list[Path] = field(default_factory=list)
    run_dirs: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _steps: dict[Callable[..., Any], tuple[bool, Any]] = field(default_factory=dict, repr=False)

    def once(self, step: Callable[[Context], T]) -> T:
        """``step(self)``, computed on first use and shared by every claim that asks for it. A step that raised
        raises again for each claim that needs it (it is not retried), so that each of them is reported failed."""
        if step not in self._steps:
            try:
                self._steps[step] = (True, step(self))
            except Exception as exc:
                self._steps[step] = (False, exc)
        ok, value = self._steps[step]
        if not ok:
            raise value
        return value

    def save_figure(self, fig: Any, name: str) -> Path:
        """Save a matplotlib figure into the run directory and show it in the report."""
        path = self.run.save_figure(fig, name)
        self.add_plot(path)
        return path

    def add_plot(self, path: Path | None) -> None:
        if path is not None and Path(path) not in self.plots:
            self.plots.append(Path(path))

    def add_run_dir(self, path: Path) -> None:
        if Path(path) not in self.run_dirs:
            self.run_dirs.append(Path(path))


class Reproducer:
    """A system's reproduction: its claims, presets and claim functions.

    Args:
        system: the system's name.
        claims: the claims, in report order.
        presets: preset name → a function making the ``ReproConfig`` (``test``, ``quick``, ``paper``).
        code: the packages whose source a finished reproduction's cache entry depends on (besides
            :data:`SHARED_CODE`).
    """

    def __init__(
        self,
        system: str,
        claims: Sequence[Claim],
        presets: Mapping[str, Callable[[], Any]],
        code: Sequence[str] = (),
    ):
        self.system = system
        self.claims = tuple(claims)
        self.index = claim_index(self.claims)
        self.presets = presets
        self.code = (*code, *SHARED_CODE)
        self.functions: dict[str, ClaimFunction] = {}

    def measures(self, claim_id: str) -> Callable[[ClaimFunction], ClaimFunction]:
        """Register the function that measures claim ``claim_id``."""
        if claim_id not in self.index:
            raise ValueError(f"{self.system}: no claim '{claim_id}' is declared")

        def register(fn: ClaimFunction) -> ClaimFunction:
            if claim_id in self.functions:
                raise ValueError(f"{self.system}: claim '{claim_id}' already has a function")
            self.functions[claim_id] = fn
            return fn

        return register

    def missing(self) -> list[str]:
        """Declared claims without a function (the conformance suite requires none)."""
        return [c.id for c in self.claims if c.id not in self.functions]

    def config(self, preset: str, overrides: Sequence[str] = ()) -> Any:
        """The ``ReproConfig`` of ``preset`` with ``key=value`` overrides applied (validated)."""
        return apply_overrides(select_preset(self.presets, preset), overrides)

    def cache_key(self, preset: str, seed: int, overrides: Sequence[str] = ()) -> tuple[dict[str, Any], str]:
        """What a finished reproduction is cached under (system, preset, seed and the resolved config; the code is
        ``self.code``), and its entry's label."""
        key = {"system": self.system, "preset": preset, "seed": seed, "config": self.config(preset, overrides)}
        return key, f"{self.system}-{preset}-seed{seed}"

    def cached_entry(self, preset: str, seed: int, overrides: Sequence[str] = ()) -> Path | None:
        """The cache entry of this reproduction if it has been computed before with this config and code."""
        from tenfold.common import cache

        key, label = self.cache_key(preset, seed, overrides)
        return cache.lookup("reproductions", key, self.code, label)

    def run(
        self,
        preset: str,
        out_dir: Path,
        seed: int = 0,
        only: Sequence[str] | None = None,
        overrides: Sequence[str] = (),
    ) -> Reproduction:
        """Measure every claim (or the claims named in ``only``) at ``preset`` (with config ``overrides``) and write
        the records into a new run directory under ``out_dir``."""
        if self.missing():
            raise ValueError(f"{self.system}: claims without a function: {', '.join(self.missing())}")
        unknown = [c for c in only or () if c not in self.index]
        if unknown:
            raise UserError(
                f"{self.system} has no claim {', '.join(map(repr, unknown))}; its claims: {', '.join(self.index)}"
            )
        config = self.config(preset, overrides)
        seed_everything(seed)
        t0 = time.perf_counter()
        run = RunDir.create(out_dir, self.system, preset, seed, config)
        ctx = Context(self.system, preset, seed, config, run, run_dirs=[run.path])
        results = [self._measure(claim, ctx) for claim in self.claims if only is None or claim.id in only]
        rep = Reproduction(
            self.system, preset, seed, results, ctx.run_dirs, ctx.plots, time.perf_counter() - t0, ctx.notes
        )
        run.write_json("reproduction.json", rep.to_dict(run.path))
        run.write_summary({r.claim.id: {"ours": r.ours, "holds": r.holds, "status": r.status} for r in results})
        return rep

    def _measure(self, claim: Claim, ctx: Context) -> ClaimResult:
        log.debug("[%s] %s ...", self.system, claim.id)
        t0 = time.perf_counter()
        try:
            out = self.functions[claim.id](ctx)
            if isinstance(out, Skipped):
                result = ClaimResult(
                    claim, f"not measured at the {ctx.preset} preset: {out.reason}", None, skipped=out.reason
                )
            else:
                result = ClaimResult(claim, out.figure, claim.verdict(out.values), out.note, out.values)
        except Exception as exc:  # one failing claim must not hide the others' results
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            error = message if isinstance(exc, UserError) else f"{type(exc).__name__}: {message}"
            if not isinstance(exc, UserError):
                with open(ctx.run.path / "errors.log", "a") as fh:
                    fh.write(f"claim {claim.id}:\n{traceback.format_exc()}\n")
                traceback.print_exc()
            result = ClaimResult(claim, "failed", None, error=error)
        result.seconds = time.perf_counter() - t0
        ctx.run.log(None, claim=claim.id, status=result.status, ours=result.ours, seconds=round(result.seconds, 3))
        log.info("[%s] %s: %s (%.1f s)", self.system, claim.id, result.status, result.seconds)
        return result


# -- several systems: ``tenfold reproduce`` --------------------------------------------------------------------------


def reproduce_cached(
    reproducer: Reproducer,
    preset: str,
    out_dir: Path,
    seed: int,
    use_cache: bool = True,
    overrides: Sequence[str] = (),
) -> Reproduction:
    """The reproduction of ``reproducer`` at ``preset``: read back from the cache when the same system, preset, seed,
    config and code have been reproduced before (its run directory copied under ``out_dir``), otherwise computed and,
    if no claim failed, stored."""
    from tenfold.common import cache

    if use_cache:
        entry = reproducer.cached_entry(preset, seed, overrides)
        if entry is not None:
            return _restore(entry, reproducer, out_dir)
    rep = reproducer.run(preset, out_dir, seed, overrides=overrides)
    if not rep.failed:

        def store(out: Path) -> None:
            run = rep.run_dirs[0]
            shutil.copytree(run, out / "runs" / run.name)

        key, label = reproducer.cache_key(preset, seed, overrides)
        cache.cached_dir("reproductions", key, store, code=reproducer.code, label=label)
    return rep


def _restore(entry: Path, reproducer: Reproducer, out_dir: Path) -> Reproduction:
    """Copy a cached reproduction's run directory under ``out_dir`` (keeping its name) and read its results."""
    (run,) = (entry / "runs").iterdir()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / run.name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(run, target)
    rep = Reproduction.from_dict(json.loads((target / "reproduction.json").read_text()), reproducer.claims, target)
    rep.cached = True
    return rep


def _timings_path() -> Path:
    from tenfold.common.paths import cache_root

    return cache_root() / "reproduce-timings.json"


def _read_timings() -> dict[str, dict[str, float]]:
    try:
        return json.loads(_timings_path().read_text())
    except (OSError, ValueError):
        return {}


def _write_timing(preset: str, system: str, seconds: float) -> None:
    from tenfold.common.paths import atomic_write_text

    timings = _read_timings()
    timings.setdefault(preset, {})[system] = round(seconds, 1)
    _timings_path().parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(_timings_path(), json.dumps(timings, indent=1, sort_keys=True) + "\n")


def _fmt_duration(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


def reproduce_systems(
    specs: Sequence[Any],
    preset: str,
    out: Path,
    seed: int,
    use_cache: bool = True,
    overrides: Sequence[str] = (),
) -> int:
    """Run the reproductions of ``specs`` (``SystemSpec``) in order and write the report after each one (config
    ``overrides`` need exactly one system).

    Returns the number of systems whose reproduction (or one of its claims) failed.
    """
    from tenfold.common.paths import check_cache_writable

    check_cache_writable()  # every reproduction stores into it (inner caches too, with --recompute)
    from tenfold.common.report import ReportEntry, write_report

    if overrides and len(specs) != 1:
        raise UserError("--set overrides one system's config: name exactly one system")
    entries = [
        ReportEntry(spec, skipped="pending") if spec.reproducer else ReportEntry(spec, skipped="not built yet")
        for spec in specs
    ]
    runnable = [i for i, spec in enumerate(specs) if spec.reproducer]
    reproducers = {specs[i].name: specs[i].load_reproducer() for i in runnable}
    cached_at_start = {
        name: use_cache and r.cached_entry(preset, seed, overrides) is not None for name, r in reproducers.items()
    }
    # the estimate: each system still to run takes what it took the last time it was computed (~0 when cached)
    last = _read_timings().get(preset, {})
    t0 = time.perf_counter()
    failed = 0
    write_report(entries, out, preset, 0.0)
    for k, i in enumerate(runnable, 1):
        spec = specs[i]
        reproducer = reproducers[spec.name]
        left = [specs[j].name for j in runnable[k - 1 :]]
        estimate = sum(0.0 if cached_at_start[name] else last.get(name, math.nan) for name in left)
        eta = "" if math.isnan(estimate) else f", about {_fmt_duration(estimate)} left"
        print(
            f"[{k}/{len(runnable)}] {spec.name}: preset {preset}{' (cached)' if cached_at_start[spec.name] else ''}"
            f" — elapsed {_fmt_duration(time.perf_counter() - t0)}{eta}",
            file=sys.stderr,
        )
        try:
            rep = reproduce_cached(reproducer, preset, out / spec.name, seed, use_cache, overrides)
        except UserError as exc:
            entries[i] = ReportEntry(spec, error=str(exc))
            failed += 1
            print(f"[{spec.name}] failed: {exc}", file=sys.stderr)
        except Exception as exc:  # a bug in one system must not hide the others' results
            if isinstance(exc, OSError) and path_error(exc) is not None:
                raise  # an unusable cache or output place fails every system alike: the CLI's one line, once
            traceback.print_exc()
            entries[i] = ReportEntry(spec, error=f"{type(exc).__name__}: {exc}")
            failed += 1
        else:
            entries[i] = ReportEntry(spec, reproduction=rep)
            failed += bool(rep.failed)
            if not rep.cached:
                _write_timing(preset, spec.name, rep.seconds)
            v = list(rep.verdicts().values())
            print(
                f"[{spec.name}] {v.count('yes')}/{v.count('yes') + v.count('no')} judged claims hold"
                + (f", {v.count('failed')} failed" if "failed" in v else "")
                + (
                    f" (from the cache; computed in {_fmt_duration(rep.seconds)})"
                    if rep.cached
                    else f" ({_fmt_duration(rep.seconds)})"
                ),
                file=sys.stderr,
            )
        write_report(entries, out, preset, time.perf_counter() - t0)
    return failed


def load_reproduction(out: Path, system: str) -> Reproduction:
    """The newest reproduction of ``system`` in the report directory ``out`` (as ``tenfold reproduce`` wrote it)."""
    from tenfold.systems import get_system

    runs = sorted((out / system).glob("*/reproduction.json"), key=lambda p: p.stat().st_mtime)
    if not runs:
        raise UserError(f"no reproduction of {system} under '{out}'")
    claims = get_system(system).load_claims()
    from tenfold.common.readers import read_json

    return Reproduction.from_dict(read_json(runs[-1], "reproduction record"), claims, runs[-1].parent)
