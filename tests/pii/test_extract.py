"""Detectors (the paper's regex and its quirk), prompts, exposure bounds, ranking."""

from __future__ import annotations

import pytest

from tenfold.common.errors import UserError
from tenfold.pii.extract import Extraction, find_pii, jaccard, make_prompts, ranking_precision


def test_paper_regex_quirk_and_clean_variant():
    text = "mail ann.lee@vega.com or bob@x.c|m, call (841)715-7815."
    assert find_pii(text, "paper") == {"ann.lee@vega.com", "bob@x.c|m"}
    assert find_pii(text, "clean") == {"ann.lee@vega.com"}
    assert find_pii(text, "phone") == {"(841)715-7815"}
    with pytest.raises(UserError, match="unknown detector"):
        find_pii(text, "ner")


def test_prompts_are_seeded_ten_word_windows():
    docs = [" ".join(f"w{i}" for i in range(30)), "too short"]
    a, b = make_prompts(docs, 5, seed=1), make_prompts(docs, 5, seed=1)
    assert a == b and all(len(p.split()) == 10 for p in a)
    with pytest.raises(UserError, match="budget"):
        make_prompts(docs, 0)


def test_ranking_and_jaccard():
    ex = Extraction({"a@x.org": [0]}, ["a@x.org a@x.org", "zzz qq", "hello"], [-0.1, -5.0, -3.0])
    assert ranking_precision(ex, 1, "likelihood") == 1.0
    assert ranking_precision(ex, 3, "zlib") == pytest.approx(1 / 3)
    assert jaccard({"a"}, {"a", "b"}) == 0.5 and jaccard(set(), set()) == 1.0
