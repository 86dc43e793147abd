"""Typed dataclass configs: presets, dotted ``key=value`` overrides, field documentation and stable hashes.

Configs are plain ``@dataclass`` objects with one docstring per field (cleanrl's convention)::

    @dataclass
    class TrainConfig:
        lr: float = 3e-4
        \"\"\"peak learning rate of AdamW\"\"\"

Every system exposes its presets (``test`` seconds, ``quick`` minutes, ``paper`` the paper's settings) through
:func:`select_preset`, and every CLI accepts ``--set key=value`` (or ``--key=value``) overrides through
:func:`apply_overrides`. Nested dataclasses are addressed with dots: ``model.d_model=128``.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import inspect
import itertools
import json
import math
import textwrap
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from tenfold.common.errors import UserError

C = TypeVar("C")

PRESETS = ("test", "quick", "paper")
"""The preset names every system offers: ``test`` (seconds, for the test suite), ``quick`` (minutes on 2 CPU cores,
used by ``make run``) and ``paper`` (the paper's settings, where a CPU can run them at all)."""


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, paths, tuples and NumPy scalars as plain JSON values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "ndim", 1) == 0:
        return obj.item()  # NumPy / torch scalars
    return obj


def finite_json(obj: Any) -> Any:
    """:func:`to_jsonable` with NaN and ±inf as ``null``: records are strict JSON that any parser reads."""
    value = to_jsonable(obj)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite_json(v) for v in value]
    return value


def stable_hash(obj: Any, length: int = 12) -> str:
    """A short hex digest of ``obj``'s canonical JSON (sorted keys), stable across processes and machines."""
    blob = json.dumps(to_jsonable(obj), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:length]


def check_fields(
    cfg: Any,
    *,
    positive: Sequence[str] = (),
    non_negative: Sequence[str] = (),
    fractions: Sequence[str] = (),
    choices: Mapping[str, Any] | None = None,
) -> None:
    """Validate fields of a config in its ``__post_init__``: ``positive`` (> 0), ``non_negative`` (≥ 0),
    ``fractions`` (in [0, 1]) and ``choices`` (field → allowed values). A field set to None is not checked.

    Raises:
        ValueError: naming the field, the rule and the value (:func:`apply_overrides` shows it as a one-line error).
    """
    rules = [
        (positive, lambda v: v > 0, "> 0"),
        (non_negative, lambda v: v >= 0, ">= 0"),
        (fractions, lambda v: 0 <= v <= 1, "in [0, 1]"),
    ]
    for names, ok, rule in rules:
        for name in names:
            value = getattr(cfg, name)
            values = value if isinstance(value, tuple | list) else (value,)
            if any(v is not None and not ok(v) for v in values):
                raise ValueError(f"{name} must be {rule}, got {value!r}")
    for name, allowed in (choices or {}).items():
        value = getattr(cfg, name)
        values = value if isinstance(value, tuple | list) else (value,)
        bad = [v for v in values if v not in allowed]
        if bad:
            raise ValueError(f"{name} must be one of {', '.join(map(str, allowed))}, got {bad[0]!r}")


def select_preset(presets: Mapping[str, Callable[[], C]], name: str) -> C:
    """Build the config of preset ``name`` or raise a one-line :class:`UserError` listing the valid names."""
    if name not in presets:
        raise UserError(f"unknown preset '{name}'; choose one of: {', '.join(presets)}")
    return presets[name]()


@functools.cache
def field_docs(cls: type) -> dict[str, str]:
    """The attribute docstrings of a dataclass (the string literal right after each field), by field name."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        try:
            source = textwrap.dedent(inspect.getsource(klass))
        except (OSError, TypeError):  # defined in a REPL or a frozen module
            continue
        body = ast.parse(source).body[0].body  # type: ignore[attr-defined]
        for node, nxt in itertools.pairwise(body):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(nxt, ast.Expr)
                and isinstance(nxt.value, ast.Constant)
                and isinstance(nxt.value.value, str)
            ):
                docs[node.target.id] = " ".join(nxt.value.value.split())
    return docs


def describe(cfg: Any, prefix: str = "") -> list[tuple[str, Any, str]]:
    """``(dotted name, value, docstring)`` for every leaf field of a (nested) dataclass config."""
    rows: list[tuple[str, Any, str]] = []
    docs = field_docs(type(cfg))
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value):
            rows.extend(describe(value, f"{prefix}{f.name}."))
        else:
            rows.append((f"{prefix}{f.name}", value, docs.get(f.name, "")))
    return rows


def _coerce(text: str, annotation: Any, key: str) -> Any:
    """Parse ``text`` as a value of type ``annotation`` (bool, int, float, str, Path, Literal, Optional, tuples)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if text.lower() in ("none", "null") and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(text, arg, key)
            except (ValueError, UserError) as exc:
                errors.append(str(exc))
        raise UserError(f"cannot parse '{text}' for {key}: {'; '.join(errors)}")
    if origin is typing.Literal:
        for choice in args:
            if str(choice) == text:
                return choice
        raise UserError(f"{key} must be one of {', '.join(map(str, args))}, got '{text}'")
    if origin in (tuple, list, Sequence):
        items = [t for t in (s.strip() for s in text.strip("()[]").split(",")) if t]
        inner = args[0] if args else str
        values = [_coerce(t, inner, key) for t in items]
        return tuple(values) if origin is tuple else values
    if annotation is bool:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise UserError(f"{key} must be true or false, got '{text}'")
    try:
        if annotation is int:  # digits only: '2.5' and '1e12' are refused alike
            return int(text, 10)
        if annotation is float:
            return float(text)
    except ValueError:
        raise UserError(f"{key} must be a{'n integer' if annotation is int else ' number'}, got '{text}'") from None
    if annotation is Path:
        return Path(text)
    return text


def apply_overrides(cfg: C, overrides: Sequence[str]) -> C:
    """A copy of ``cfg`` with ``key=value`` overrides applied (dotted keys reach nested dataclasses).

    Raises:
        UserError: for a malformed override, an unknown key (the message lists the valid ones) or a bad value.
    """
    for item in overrides:
        key, sep, text = item.lstrip("-").partition("=")
        if not sep:
            raise UserError(f"override '{item}' is not of the form key=value")
        cfg = _set_path(cfg, key.replace("-", "_").split("."), text, key)
    return cfg


def _set_path(cfg: Any, path: list[str], text: str, full_key: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cfg)}
    name = path[0]
    if name not in fields:
        valid = ", ".join(row[0] for row in describe(cfg))
        raise UserError(f"unknown config key '{full_key}'; valid keys: {valid}")
    hints = typing.get_type_hints(type(cfg))
    current = getattr(cfg, name)
    if len(path) > 1:
        if not dataclasses.is_dataclass(current):
            raise UserError(f"config key '{full_key}': '{name}' has no sub-fields")
        return dataclasses.replace(cfg, **{name: _set_path(current, path[1:], text, full_key)})
    if dataclasses.is_dataclass(current):
        raise UserError(f"config key '{full_key}' is a group; set one of its fields, e.g. {full_key}.<field>=...")
    try:
        return dataclasses.replace(cfg, **{name: _coerce(text, hints[name], full_key)})
    except (ValueError, TypeError) as exc:  # __post_init__ validation
        raise UserError(f"invalid value for {full_key}: {exc}") from None
