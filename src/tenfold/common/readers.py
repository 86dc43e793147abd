"""Strict readers of the files tenfold writes and users hand it: a damaged file is an error naming the file and the
first bad record, never an empty result.

Records appended one line at a time (``metrics.jsonl``, a sweep's ``records.jsonl``) can end in a line cut by a kill
mid-write; with ``torn_tail_ok`` such a last line (no final newline) is dropped, as the resume that follows rewrites
it. Any other unreadable line is a :class:`~tenfold.common.errors.UserError`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tenfold.common.errors import UserError


def read_jsonl(path: Path | str, torn_tail_ok: bool = False, what: str = "JSON lines file") -> list[dict[str, Any]]:
    """The JSON objects of ``path``, one per non-empty line.

    Raises:
        UserError: ``path:line`` and the parser's message for the first line that is not a JSON object.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise UserError(f"{path} is not a text {what}") from None
    lines = text.split("\n")
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            if torn_tail_ok and number == len(lines):  # the last line has no newline: cut by a kill mid-write
                break
            raise UserError(f"{path}:{number}: not a JSON record ({exc.msg}); the {what} is damaged") from None
        if not isinstance(row, dict):
            raise UserError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
        rows.append(row)
    return rows


def read_text_lines(path: Path | str, what: str = "text file") -> list[str]:
    """The non-blank lines of a UTF-8 text file, stripped of their line ends.

    Raises:
        UserError: the file is not UTF-8 (naming the byte offset) or has no non-blank line — an empty input is an
            error, never "no results".
    """
    path = Path(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text (byte {exc.start}); the {what} must be plain text") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise UserError(f"{path}: no text; the {what} needs one line per item")
    return lines


def read_json(path: Path | str, what: str = "JSON file") -> Any:
    """The JSON value in ``path``; a :class:`UserError` naming the file and position if it does not parse."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f":{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise UserError(f"{path}{where}: not valid JSON; the {what} is damaged") from None


def load_torch(path: Path | str, what: str = "checkpoint") -> Any:
    """``torch.load`` of a file tenfold wrote (pickled objects allowed); a damaged or foreign file is a
    :class:`UserError`, not a pickle traceback."""
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # zip, pickle, EOF and attribute errors all mean the same thing to the user
        first = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
        raise UserError(f"corrupt {what} {path}: {first}") from None


def read_jsonl_skipping(
    path: Path | str, required: tuple[str, ...] = (), what: str = "JSON lines file"
) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """The JSON objects of a dataset file, skipping bad lines instead of stopping at the first.

    Args:
        required: keys every record must have (a record without one is reported and skipped).

    Returns:
        ``(rows, problems)``: ``(line number, record)`` pairs, and one ``path:line: why`` per skipped line.

    Raises:
        UserError: the file is not UTF-8 text.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path} is not a UTF-8 {what}") from None
    rows, problems = [], []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{number}: not a JSON record ({exc.msg})")
            continue
        if not isinstance(row, dict):
            problems.append(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
            continue
        missing = [k for k in required if k not in row]
        if missing:
            problems.append(f"{path}:{number}: missing {', '.join(missing)}")
            continue
        rows.append((number, row))
    return rows, problems
