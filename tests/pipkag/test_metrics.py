"""The CoConflictQA scorer: identities on hand-made items, then exact figures on all 6,714 shipped items (the
official last-gold-only behaviour beside the fixed one), and a damaged file read with its bad lines reported."""

from __future__ import annotations

import json
import logging

import pytest

from tenfold.pipkag.data import coconflictqa_dir, load_coconflictqa
from tenfold.pipkag.metrics import ItemScore, aggregate, normalize_answer, score_item
from tests.lanes import skip_unless


def test_normalisation_is_squads_with_optional_accent_folding():
    assert normalize_answer("The  Eiffel-Tower!") == "eiffeltower"
    assert normalize_answer("an apple a day") == "apple day"
    assert normalize_answer("Bogotá") == "bogotá" and normalize_answer("Bogotá", fold_accents=True) == "bogota"


def test_item_scores():
    # from context: gold inside, parametric absent
    assert score_item("It was Paris, of course", ["Paris"], "Lyon") == ItemScore(1, 0, 0)
    # both inside: counted as memory (ConR zeroed)
    assert score_item("Paris or Lyon", ["Paris"], "Lyon") == ItemScore(0, 1, 0)
    # exact match with the second gold; the official scorer sees only the last gold
    assert score_item("gold", ["golden anniversary", "gold", "gilded"], "denim") == ItemScore(1, 0, 1)
    assert score_item("gold", ["golden anniversary", "gold", "gilded"], "denim", legacy=True) == ItemScore(0, 0, 0)
    scores = [ItemScore(1, 0, 1), ItemScore(0, 1, 0), ItemScore(1, 0, 0), ItemScore(0, 0, 0)]
    assert aggregate(scores) == {"ConR": 50.0, "ParR": 25.0, "MR": 100 * 25 / 75, "EM": 25.0, "n": 4}
    assert aggregate(scores, legacy=True)["ConR"] == pytest.approx(100 * 2 / (4 + 1e-5))


@skip_unless(coconflictqa_dir() is not None, "coconflictqa", "CoConflictQA is not here (set TENFOLD_SHARED_DATA)")
def test_exact_figures_on_every_shipped_item():
    items = load_coconflictqa()
    assert len(items) == 6714

    def rounded(scores, legacy=False):
        agg = aggregate(scores, legacy)
        return tuple(round(agg[k], 2) for k in ("ConR", "ParR", "MR", "EM"))

    first_gold = [score_item(i.answers[0], i.answers, i.parametric_answer) for i in items]
    assert rounded(first_gold) == (95.20, 4.80, 4.80, 100.00)
    legacy = [score_item(i.answers[0], i.answers, i.parametric_answer, legacy=True) for i in items]
    assert rounded(legacy, legacy=True) == (86.98, 4.80, 5.23, 86.16)
    parametric = [score_item(i.parametric_answer, i.answers, i.parametric_answer) for i in items]
    assert rounded(parametric) == (0.0, 100.0, 100.0, 0.0)
    # 322 items always count as ParR: their parametric answer is inside a gold or normalises to empty
    assert sum(s.par for s in first_gold) == 322
    assert all(any(normalize_answer(a) in normalize_answer(i.context) for a in i.answers) for i in items)


def test_malformed_lines_are_reported_with_their_numbers_and_the_rest_is_read(tmp_path, caplog):
    good = {"question": "q?", "answers": ["a"], "context": "a b", "parametric_answer": "c"}
    lines = [json.dumps(good), "{not json", json.dumps({"question": "no answers"}), "[1, 2]", json.dumps(good)]
    path = tmp_path / "x_kc.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.WARNING):
        items = load_coconflictqa(path)
    assert [i.line for i in items] == [1, 5]
    skipped = [r.getMessage() for r in caplog.records]
    assert any(":2: not a JSON record" in m for m in skipped)
    assert any(":3: missing answers, context, parametric_answer" in m for m in skipped)
    assert any(":4: expected a JSON object" in m for m in skipped)
