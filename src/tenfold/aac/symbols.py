"""The symbol set Σ and text normalisation (Gaines & Vertanen: 26 letters, apostrophe and space, lower case)."""

from __future__ import annotations

import re

from tenfold.common.errors import UserError

DEFAULT_SYMBOLS = "abcdefghijklmnopqrstuvwxyz' "
"""Σ: the 28 symbols a letter-by-letter AAC interface offers."""

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})


def normalize(text: str, symbols: str = DEFAULT_SYMBOLS) -> str:
    """Lower-case ``text`` and keep only Σ: other characters become spaces, runs of spaces collapse, ends are trimmed
    (how the paper's evaluation text is filtered)."""
    keep = set(symbols)
    lowered = text.translate(_APOSTROPHES).lower()
    mapped = "".join(ch if ch in keep else " " for ch in lowered)
    return re.sub(r" {2,}", " ", mapped).strip()


def check_typed(text: str, symbols: str = DEFAULT_SYMBOLS) -> str:
    """``text`` lower-cased, or a :class:`UserError` naming the characters outside Σ."""
    lowered = text.lower()
    bad = sorted({ch for ch in lowered if ch not in symbols})
    if bad:
        raise UserError(f"typed text has characters outside the symbol set {symbols!r}: {''.join(bad)!r}")
    return lowered


_I_WORDS = re.compile(r"(?<![a-z'])i(?=('m|'ll|'ve|'d)?( |$))")


def case_simple(text: str) -> str:
    """The paper's context casing: capitalise the first letter and the pronoun "i" (i, i'm, i'll, i've, i'd)."""
    text = _I_WORDS.sub("I", text)
    return text[:1].upper() + text[1:]
