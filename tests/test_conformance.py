"""One conformance suite that every built system passes (OpenSpiel's one-test-for-every-game idea).

The systems come from the catalogue (``tenfold.systems``): a system added there is covered without editing this
file. Each must keep the skeleton — a ``ReproConfig`` in ``config.py`` with the ``test``/``quick``/``paper`` presets,
validated in ``__post_init__``; ``claims.py`` with a function for every claim; a CLI whose every sub-command has
``--help``; a README whose paper-vs-ours table matches the claims — and its ``test`` reproduction must give every
claim a figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import subprocess
import sys

import pytest

from tenfold.common.config import PRESETS, apply_overrides
from tenfold.common.errors import UserError
from tenfold.common.readme import check_readme
from tenfold.common.reproduce import load_reproduction
from tenfold.systems import built
from tests.conftest import assert_one_line_error, run_cli

SYSTEMS = [spec.name for spec in built()]
SPECS = {spec.name: spec for spec in built()}


@pytest.mark.parametrize("system", SYSTEMS)
def test_skeleton(system):
    spec = SPECS[system]
    config = importlib.import_module(f"{spec.module}.config")
    assert config.ReproConfig.__name__ == "ReproConfig" and "__post_init__" in vars(config.ReproConfig)
    reproducer = spec.load_reproducer()
    assert set(reproducer.presets) == set(PRESETS), f"{system}: presets {set(reproducer.presets)}"
    for preset in PRESETS:
        cfg = reproducer.config(preset)
        assert isinstance(cfg, config.ReproConfig)
    assert reproducer.missing() == [], f"{system}: claims without a function"
    assert [c.id for c in spec.load_claims()] == [c.id for c in reproducer.claims]
    for claim in reproducer.claims:  # every judged claim says how it is judged: a statement with its numbers
        assert claim.statement and claim.paper and claim.command


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_numeric_config_field_refuses_a_negative_value(system):
    """``__post_init__`` validates: a negative size, count or budget is a one-line UserError, never a silent run."""
    cfg = SPECS[system].load_reproducer().config("test")
    numeric = [
        f.name
        for f in dataclasses.fields(cfg)
        if isinstance(getattr(cfg, f.name), int | float) and not isinstance(getattr(cfg, f.name), bool)
    ]
    assert numeric, f"{system}'s ReproConfig has no numeric field to validate"
    for name in numeric:
        with pytest.raises(UserError, match=name):
            apply_overrides(cfg, [f"{name}=-1"])


@pytest.mark.parametrize("system", SYSTEMS)
def test_readme_table_matches_the_claims(system):
    assert check_readme(SPECS[system]) == []


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path under ``parser``, read from the parser itself (not a hand-kept list)."""
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.append((*prefix, name))
                out.extend(_commands(sub, (*prefix, name)))
    return out


@pytest.mark.smoke
@pytest.mark.parametrize("system", SYSTEMS)
def test_every_command_has_help(system):
    from tenfold.cli import build_parser

    commands = [c for c in _commands(build_parser()) if c[0] == system or (system == "lm" and c[0] == "corpora")]
    assert len(commands) > 1, f"{system} registers no sub-commands"
    for command in commands:
        proc = run_cli(*command, "--help")
        assert proc.returncode == 0 and "usage: tenfold" in proc.stdout, (command, proc.stderr)


def _options(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, (*prefix, name))
        elif not isinstance(action, argparse._HelpAction | argparse._VersionAction):
            yield prefix, parser, action


def test_every_option_says_what_it_is_and_its_default():
    """Every option of every command has help text; ``--help`` shows its default (and argparse its choices)."""
    from tenfold.cli import build_parser

    for command, parser, action in _options(build_parser()):
        where = f"tenfold {' '.join(command)} {'/'.join(action.option_strings) or action.dest}"
        assert action.help, f"{where} has no help text"
        shown = action.default not in (None, False, [], argparse.SUPPRESS) and action.option_strings
        if shown:
            assert "default" in parser.formatter_class("x")._get_help_string(action).lower(), where


def _bad_values(kind, tmp_path) -> list[str]:
    """What an option of each argument type must refuse."""
    from tenfold.common import cli as c

    a_file, a_dir = tmp_path / "a_file.txt", tmp_path / "a_dir"
    return {
        c.positive_int: ["-3", "0", "2.5", "1e12", "x"],
        c.non_negative_int: ["-1", "1e12", "x"],
        c.positive_float: ["-1", "0", "nan", "inf", "x"],
        c.non_negative_float: ["-0.5", "nan", "x"],
        c.fraction: ["0", "1.5", "-0.1", "nan"],
        c.output_dir: [str(a_file), str(a_file / "below")],
        c.output_file: [str(a_dir)],
        c.existing_file: [str(a_dir), str(tmp_path / "missing.txt")],
        c.existing_dir: [str(a_file), str(tmp_path / "missing")],
        c.existing_path: [str(tmp_path / "missing")],
    }[kind]


def test_cli_fuzz_every_typed_option_refuses_bad_values_in_one_line(tmp_path, monkeypatch):
    """Every sub-command's numeric and path options (walked from the parser, so a system added later is covered):
    negative, zero, huge, non-finite and malformed numbers, a file where a directory goes and the reverse, missing
    inputs — each refused with exit 2 and one line naming the option, nothing written anywhere."""
    from tenfold.cli import build_parser
    from tenfold.common.cli import ARGUMENT_TYPES

    (tmp_path / "a_file.txt").write_text("x")
    (tmp_path / "a_dir").mkdir()
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    cases = 0
    for command, _, action in _options(build_parser()):
        if action.type in (int, float) or getattr(action.type, "__name__", "") == "Path":
            pytest.fail(f"tenfold {' '.join(command)} {action.option_strings}: a bare {action.type.__name__}")
        if action.type not in ARGUMENT_TYPES:
            continue
        for value in _bad_values(action.type, tmp_path):
            argv = [*command, *(action.option_strings[:1] or []), value]
            proc = run_cli(*argv)
            assert_one_line_error(proc)
            name = action.option_strings[0] if action.option_strings else action.dest
            assert name in proc.stderr, (argv, proc.stderr)
            cases += 1
    assert cases > 100
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


@pytest.mark.smoke
@pytest.mark.parametrize("system", SYSTEMS)
def test_reproduce_bad_input_is_one_line(system):
    assert_one_line_error(
        run_cli("reproduce", system, "--preset", "test", "--set", "no_such_field=1"),
        "unknown config key 'no_such_field'",
    )


@pytest.mark.smoke
@pytest.mark.parametrize("system", SYSTEMS)
def test_test_preset_gives_every_claim_a_figure(system, test_reproductions):
    rep = load_reproduction(test_reproductions, system)
    assert [r.claim.id for r in rep.results] == [c.id for c in SPECS[system].load_claims()]
    for r in rep.results:
        assert r.error is None, f"{system}.{r.claim.id} failed: {r.error}"
        assert r.ours.strip(), f"{system}.{r.claim.id} has no figure"
        if r.skipped is not None:  # a claim the test preset leaves out says which setting does so
            assert r.skipped.strip()
    run = rep.run_dirs[0]
    for name in ("config.json", "env.json", "metrics.jsonl", "summary.json", "reproduction.json"):
        assert (run / name).exists(), name
    json.loads((run / "summary.json").read_text(), parse_constant=lambda c: pytest.fail(f"{c} in summary.json"))
    assert all(p.exists() for p in rep.plots)
    assert f"| {system} |" in (test_reproductions / "report.md").read_text()


@pytest.mark.smoke
def test_cli_start_imports_no_torch():
    """`tenfold --help`, `tenfold systems` and every `tenfold <system> --help` build the whole parser without torch."""
    code = (
        "import sys, contextlib, io\n"
        "from tenfold.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['systems'])\n"
        "    for argv in (['--help'], *[[s, '--help'] for s in sys.argv[1:]]):\n"
        "        try:\n"
        "            main(argv)\n"
        "        except SystemExit:\n"
        "            pass\n"
        "print(sorted(m for m in ('torch', 'transformers', 'matplotlib') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, *SYSTEMS], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize("system", SYSTEMS)
def test_quick_preset_judged_claims_hold(system, quick_reproduction):
    """The acceptance test every system shares: at the quick preset each judged claim holds (measured-only claims
    have a figure)."""
    rep = quick_reproduction(system)
    for r in rep.results:
        assert r.error is None, f"{system}.{r.claim.id}: {r.error}"
        if r.claim.judged and r.skipped is None:
            assert r.holds, f"{system}.{r.claim.id}: {r.ours}"
