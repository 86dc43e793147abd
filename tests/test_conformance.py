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
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

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


def test_flags_are_uniform():
    """One spelling per flag family across every command: a directory to write is ``--out-dir``; a command with a
    config (``--preset``) also takes ``--set`` and ``--show-config``; a seed is ``--seed``, a non-negative integer."""
    from tenfold.cli import build_parser
    from tenfold.common import cli as c

    for command, parser in _leaf_commands(build_parser()):
        where = f"tenfold {' '.join(command)}"
        flags = {o: a for a in parser._actions for o in a.option_strings}
        for action in parser._actions:
            if action.type is c.output_dir and action.option_strings:
                assert "--out-dir" in action.option_strings, f"{where}: {action.option_strings} should be --out-dir"
            if "seed" in action.dest and action.dest != "seed_file":
                assert action.option_strings == ["--seed"] and action.type is c.non_negative_int, where
        if "--preset" in flags:
            assert {"--set", "--show-config"} <= set(flags), f"{where} has --preset but not --set/--show-config"


def _bad_values(kind, tmp_path) -> list[str]:
    """What an option of each argument type must refuse."""
    from tenfold.common import cli as c

    a_file, a_dir = tmp_path / "a_file.txt", tmp_path / "a_dir"
    read_only = [str(tmp_path / "read_only"), str(tmp_path / "read_only" / "below")]
    if not (tmp_path / "read_only").exists():  # this machine cannot make a directory its user cannot write
        read_only = []
    return {
        c.positive_int: ["-3", "0", "2.5", "1e12", "x"],
        c.non_negative_int: ["-1", "1e12", "x"],
        c.positive_float: ["-1", "0", "nan", "inf", "x"],
        c.non_negative_float: ["-0.5", "nan", "x"],
        c.fraction: ["0", "1.5", "-0.1", "nan"],
        c.output_dir: [str(a_file), str(a_file / "below"), *read_only],
        c.output_file: [str(a_dir), str(a_file / "below.npz"), *[str(Path(d) / "out.npz") for d in read_only]],
        c.existing_file: [str(a_dir), str(tmp_path / "missing.txt")],
        c.existing_dir: [str(a_file), str(tmp_path / "missing")],
        c.existing_path: [str(tmp_path / "missing")],
    }[kind]


@pytest.fixture
def read_only_dir(tmp_path):
    """``tmp_path/read_only``, a directory this process cannot write into: mode 555, or for root (whom modes do not
    stop) the immutable flag; absent where the file system offers neither."""
    path = tmp_path / "read_only"
    path.mkdir()
    path.chmod(0o555)
    if os.access(path, os.W_OK) and shutil.which("chattr"):
        subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if os.access(path, os.W_OK):
        path.chmod(0o755)
        path.rmdir()
    yield path
    if path.exists():
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        path.chmod(0o755)


def test_cli_fuzz_every_typed_option_refuses_bad_values_in_one_line(tmp_path, monkeypatch, read_only_dir):
    """Every sub-command's numeric and path options (walked from the parser, so a system added later is covered):
    negative, zero, huge, non-finite and malformed numbers, a file where a directory goes and the reverse, a
    read-only output place, missing inputs — each refused with exit 2 and one line naming the option, nothing
    written anywhere."""
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
    print(f"{cases} typed-option cases")


def _leaf_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """Every runnable (leaf) command: its words after ``tenfold`` and its parser."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs and prefix:
        yield prefix, parser
    for action in subs:
        for name, sub in action.choices.items():
            yield from _leaf_commands(sub, (*prefix, name))


def _input_tokens(parser: argparse.ArgumentParser, argv: list[str]) -> dict[argparse.Action, int]:
    """Where in ``argv`` (a command's arguments) each file or directory input option has its value."""
    from tenfold.common import cli as c

    options = {o: a for a in parser._actions for o in a.option_strings}
    positionals = [a for a in parser._actions if not a.option_strings]
    out, i, k = {}, 0, 0
    while i < len(argv):
        action = options.get(argv[i].split("=")[0])
        if action is not None:
            if action.nargs == 0:
                i += 1
                continue
            out[action], i = i + 1, i + 2
        else:
            out.setdefault(positionals[min(k, len(positionals) - 1)], i)
            k, i = k + 1, i + 1
    return {a: j for a, j in out.items() if a.type in (c.existing_file, c.existing_dir, c.existing_path)}


def _materialise(parser: argparse.ArgumentParser, argv: list[str], stand_in_text: str) -> None:
    """Create (in the working directory) the inputs an example names: text files, empty directories."""
    from tenfold.common import cli as c

    for action, at in _input_tokens(parser, argv).items():
        path = Path(argv[at])
        if action.type is c.existing_file:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(stand_in_text)
        else:
            path.mkdir(parents=True, exist_ok=True)


STAND_IN_TEXT = "hello there\nhow are you today\ni would like a cup of tea\n"


def test_every_command_has_an_example_that_parses(tmp_path, monkeypatch):
    """Each command's ``--help`` ends with a complete example; it must parse (an example that drifted from the options
    fails here), and the damaged-input fuzz below runs through it."""
    from tenfold.cli import build_parser

    monkeypatch.chdir(tmp_path)
    for command, parser in _leaf_commands(build_parser()):
        example = getattr(parser, "example", "")
        assert example.startswith(f"tenfold {' '.join(command)}"), f"tenfold {' '.join(command)} has no example"
        argv = shlex.split(example)[1:]
        _materialise(parser, argv[len(command) :], STAND_IN_TEXT)
        build_parser().parse_args(argv)


def _damaged_inputs(root: Path) -> dict[str, Path]:
    """Inputs a user could hand a command by mistake or after a crash, by name: an empty file, bytes that are not
    text, a JSON-lines file with a broken line, an empty directory, and a run directory whose every file is damaged
    (the names tenfold's run and report directories use)."""
    root.mkdir()
    (root / "empty.txt").write_bytes(b"")
    (root / "garbage.bin").write_bytes(bytes(range(128, 256)) * 4)
    broken = b'{"project": "a", "reply": ""}\n{"project": \n{"project": "b"}\n'
    (root / "broken.jsonl").write_bytes(broken)
    (root / "empty_dir").mkdir()
    run = root / "damaged_run"
    for sub in (run, *(run / name / "run-1" for name in SYSTEMS)):
        sub.mkdir(parents=True)
        for name in ("config.json", "env.json", "summary.json", "reproduction.json"):
            (sub / name).write_bytes(b'{"config": ')
        for name in ("records.jsonl", "metrics.jsonl", "replies.jsonl"):
            (sub / name).write_bytes(broken)
        for name in ("policy.pt", "model.safetensors"):
            (sub / name).write_bytes(bytes(range(256)))
    return {p.name: p for p in root.iterdir()}


def _tree(*roots: Path, skip: Sequence[Path] = ()) -> dict[str, tuple[int, int]]:
    """Every file under ``roots`` (except under ``skip``) with its size and modification time."""
    out = {}
    for root in roots:
        for p in root.rglob("*"):
            if p.is_file() and not any(p.is_relative_to(s) for s in skip):
                out[str(p)] = (p.stat().st_size, p.stat().st_mtime_ns)
    return out


def test_cli_fuzz_every_input_refuses_damaged_content_in_one_line(tmp_path, monkeypatch):
    """Every command that reads a file or directory the user names (walked from the parser, run through its
    ``--help`` example): an empty, binary, broken-JSONL or damaged input is refused with exit 2 and one line naming
    it — never read as "no results" and never a traceback — and nothing outside the command's output place changes
    (the inputs, the working directory, the READMEs a command could write)."""
    from tenfold.cli import build_parser
    from tenfold.common import cli as c

    damaged = _damaged_inputs(tmp_path / "inputs")
    by_type = {
        c.existing_file: ["empty.txt", "garbage.bin"],
        c.existing_dir: ["empty_dir", "damaged_run"],
        c.existing_path: ["empty.txt", "garbage.bin", "broken.jsonl", "empty_dir", "damaged_run"],
    }
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    readmes = [spec.readme.parent for spec in built()]
    cases = 0
    for command, parser in _leaf_commands(build_parser()):
        inputs = [a for a in parser._actions if a.type in by_type]
        if not inputs:
            continue
        argv = shlex.split(parser.example)[1 + len(command) :]
        _materialise(parser, argv, STAND_IN_TEXT)
        example = parser.parse_args(argv)
        outputs = [
            work / getattr(example, a.dest)
            for a in parser._actions
            if a.type in (c.output_dir, c.output_file) and getattr(example, a.dest, None)
        ]
        where = _input_tokens(parser, argv)
        for fuzzed in inputs:
            for name in by_type[fuzzed.type]:
                args = list(argv)
                if fuzzed in where:
                    args[where[fuzzed]] = str(damaged[name])
                else:
                    args += [fuzzed.option_strings[0], str(damaged[name])]
                before = _tree(tmp_path, *readmes, skip=outputs)
                proc = run_cli(*command, *args)
                assert_one_line_error(proc, name)
                assert _tree(tmp_path, *readmes, skip=outputs) == before, args
                cases += 1
    assert cases >= 25
    print(f"{cases} damaged-input cases")


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
