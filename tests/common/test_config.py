from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from tenfold.common.config import apply_overrides, describe, field_docs, select_preset, stable_hash, to_jsonable
from tenfold.common.errors import UserError


@dataclass(frozen=True)
class Inner:
    width: int = 4
    """how wide"""
    kind: Literal["a", "b"] = "a"
    """which kind"""


@dataclass(frozen=True)
class Outer:
    lr: float = 1e-3
    """learning rate"""
    flag: bool = False
    """a switch"""
    name: str | None = None
    """optional name"""
    sizes: tuple[int, ...] = (1, 2)
    """a tuple"""
    path: Path = Path("x")
    """a path"""
    inner: Inner = field(default_factory=Inner)
    """nested group"""


def test_overrides_parse_types_and_nesting():
    cfg = apply_overrides(
        Outer(), ["lr=3e-4", "flag=true", "name=none", "sizes=3,4,5", "path=/tmp/p", "inner.width=8", "--inner.kind=b"]
    )
    assert cfg == Outer(lr=3e-4, flag=True, name=None, sizes=(3, 4, 5), path=Path("/tmp/p"), inner=Inner(8, "b"))
    assert apply_overrides(Outer(), ["name=bob"]).name == "bob"
    assert apply_overrides(Outer(), ["inner.width=1000"]).inner.width == 1000


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("nope=1", "unknown config key 'nope'; valid keys: lr, flag"),
        ("lr", "not of the form key=value"),
        ("lr=fast", "lr must be a number"),
        ("inner.width=2.5", "inner.width must be an integer, got '2.5'"),
        ("inner.width=1e12", "inner.width must be an integer, got '1e12'"),
        ("flag=maybe", "flag must be true or false"),
        ("inner.kind=c", "inner.kind must be one of a, b"),
        ("inner=3", "is a group"),
        ("lr.x=3", "has no sub-fields"),
    ],
)
def test_bad_overrides_are_user_errors(override: str, fragment: str):
    with pytest.raises(UserError) as err:
        apply_overrides(Outer(), [override])
    assert fragment in str(err.value)


def test_field_docs_and_describe():
    assert field_docs(Outer)["lr"] == "learning rate"
    rows = {name: (value, doc) for name, value, doc in describe(Outer())}
    assert rows["inner.width"] == (4, "how wide")
    assert rows["sizes"] == ((1, 2), "a tuple")


def test_stable_hash_is_canonical():
    assert stable_hash({"a": 1, "b": [1, 2]}) == stable_hash({"b": [1, 2], "a": 1})
    assert stable_hash(Outer()) != stable_hash(Outer(lr=2e-3))
    assert stable_hash(Outer()) == stable_hash(to_jsonable(Outer()))  # a dataclass hashes as its JSON
    assert len(stable_hash(Outer(), 8)) == 8


def test_select_preset():
    presets = {"test": lambda: 1, "quick": lambda: 2}
    assert select_preset(presets, "quick") == 2
    with pytest.raises(UserError, match="unknown preset 'paper'; choose one of: test, quick"):
        select_preset(presets, "paper")
