"""The projecttest command handlers (run with replay, score, report, bad input), in process."""

from __future__ import annotations

import argparse
import json

import pytest

from tenfold.common.errors import UserError
from tenfold.projecttest.cli import register
from tenfold.projecttest.toy import REPLIES, write_toy_project


def call(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["projecttest", *map(str, argv)])
    return args.func(args)


def test_run_score_report_with_replay(tmp_path, capsys):
    toy = write_toy_project(tmp_path / "projects")
    src = tmp_path / "replies.jsonl"
    src.write_text(json.dumps({"project": "calc", "reply": REPLIES["D"]}) + "\n")
    out = tmp_path / "run"
    assert (
        call(
            "run",
            "--generator",
            "replay",
            "--source",
            src,
            "--project-dir",
            toy.root,
            "--scenarios",
            "vanilla,manual",
            "--out-dir",
            out,
        )
        == 0
    )
    assert (out / "config.json").exists() and len((out / "records.jsonl").read_text().splitlines()) == 2
    capsys.readouterr()
    assert call("score", out, "--json") == 0
    rows = {r["scenario"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["vanilla"]["correctness"] == 0.25 and rows["manual"]["correctness"] == 1.0
    assert call("report", out) == 0
    md = (out / "report.md").read_text()
    assert "cascade" in md and (out / "taxonomy.png").stat().st_size > 1000
    records = out / "records.jsonl"
    good, second = records.read_text().splitlines()
    records.write_text(good[:40] + "\n" + second + "\n")  # a damaged first record: an error, never an empty table
    with pytest.raises(UserError, match=r"records\.jsonl:1: not a JSON record"):
        call("score", out)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"project": "calc", "reply": "x"}\n{"project": \n')
    with pytest.raises(UserError, match=r"broken\.jsonl:2"):
        call(
            "run", "--generator", "replay", "--source", broken, "--project-dir", toy.root, "--out-dir", tmp_path / "r2"
        )


def test_bad_input(tmp_path):
    with pytest.raises(SystemExit):  # argparse's choices: one line from the command, see test_cli_subprocess
        call("run", "--generator", "replay", "--source", tmp_path, "--lang", "cobol", "--out-dir", tmp_path / "r")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="has no python source files"):  # a directory the user named: refused
        call("run", "--generator", "replay", "--source", tmp_path, "--project-dir", empty, "--out-dir", tmp_path / "e")
    assert not (tmp_path / "e").exists()  # refused before the run directory was made
    with pytest.raises(UserError, match="unknown generator"):
        toy = write_toy_project(tmp_path / "p")
        call("run", "--generator", "gpt", "--project-dir", toy.root, "--out-dir", tmp_path / "r")
    (tmp_path / "nothing").mkdir()
    with pytest.raises(UserError, match="no records"):
        call("score", tmp_path / "nothing")
    with pytest.raises(UserError, match="unknown scenario"):
        call("run", "--generator", "replay", "--scenarios", "magic", "--out-dir", tmp_path / "r")


@pytest.mark.smoke
def test_cli_subprocess(cli, tmp_path):
    from tests.conftest import assert_one_line_error

    assert "blackjack" in cli("projecttest", "projects", "list", check=True).stdout
    toy = write_toy_project(tmp_path / "projects")
    src = tmp_path / "replies.jsonl"
    src.write_text(json.dumps({"project": "calc", "reply": REPLIES["C"]}) + "\n")
    out = cli(
        "projecttest",
        "run",
        "--generator",
        "replay",
        "--source",
        src,
        "--project-dir",
        toy.root,
        "--scenarios",
        "vanilla",
        "--out-dir",
        tmp_path / "run",
        check=True,
    ).stdout
    assert "replay:replies.jsonl on 1 projects" in out
    (row,) = json.loads(cli("projecttest", "score", tmp_path / "run", "--json", check=True).stdout)
    assert row["correctness"] == 0.5 and row["executability"] == 1.0
    assert_one_line_error(
        cli("projecttest", "run", "--generator", "replay", "--lang", "cobol", "--out-dir", tmp_path),
        "argument --lang: invalid choice: 'cobol'",
    )


@pytest.mark.smoke
def test_reproduce_test_preset(test_reproductions):
    from tenfold.common.reproduce import load_reproduction
    from tests.conftest import report_row

    rep = load_reproduction(test_reproductions, "projecttest")
    assert all(rep.result(k).holds is True for k in ("metrics", "cascade", "manual_fix", "isolation"))
    assert "(in progress)" not in report_row((test_reproductions / "report.md").read_text(), "projecttest")
