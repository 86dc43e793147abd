"""Taxonomy identities: property tests on random set sequences, and a hand-built example in both modes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tenfold.pii.taxonomy import Checkpoint, classify

EMAILS = st.frozensets(st.sampled_from([f"e{i}@x.org" for i in range(12)]))


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.tuples(EMAILS, EMAILS, st.integers(1, 3)), min_size=1, max_size=8))
def test_clean_classes_partition_and_conserve(seq):
    checkpoints = [Checkpoint(m, n, epoch) for m, n, epoch in sorted(seq, key=lambda x: x[2])]
    rows = classify(checkpoints)
    prev = frozenset()
    for cp, row in zip(checkpoints, rows, strict=True):
        r, i, a, f = (row.sets[c] for c in ("retained", "immediate", "assisted", "forgotten"))
        assert r | i | a == cp.extracted
        assert not (r & i) and not (r & a) and not (i & a)
        assert r | f == prev and not (r & f)
        assert all(row.percent(c) >= 0 for c in row.sets)
        prev = cp.extracted


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.tuples(EMAILS, EMAILS), min_size=1, max_size=8))
def test_percentages_within_0_and_100_when_extracted_were_seen(seq):
    seen: set[str] = set()
    checkpoints = []
    for m, n in seq:
        seen |= n
        checkpoints.append(Checkpoint(frozenset(m & seen), n))
    for row in classify(checkpoints):
        assert all(0 <= row.percent(c) <= 100 for c in ("retained", "immediate", "assisted"))


def test_hand_built_three_checkpoints_both_modes():
    a, b, c, d = "a@x.org", "b@x.org", "c@x.org", "d@x.org"
    checkpoints = [
        Checkpoint(frozenset({a}), frozenset({a, b}), epoch=1),  # a extracted right after being seen
        Checkpoint(frozenset({a, b}), frozenset({c}), epoch=1),  # b: seen at 1, not extracted then: assisted
        Checkpoint(frozenset({b, c}), frozenset({a, b, c, d}), epoch=2),  # epoch 2 re-sees everything
    ]
    clean = classify(checkpoints)
    assert clean[0].sets["immediate"] == {a} and clean[0].denominator == 2
    assert clean[1].sets["retained"] == {a} and clean[1].sets["assisted"] == {b}
    assert clean[2].sets["retained"] == {b} and clean[2].sets["immediate"] == {c} and clean[2].sets["forgotten"] == {a}
    faithful = classify(checkpoints, faithful=True)
    # the official overlap: b was extracted at the previous checkpoint and is re-seen: immediate *and* retained
    assert faithful[2].sets["immediate"] == {b, c} and faithful[2].sets["retained"] == {b}
    assert faithful[1].denominator == 3 and faithful[2].denominator == 3  # Σ|N_s| in epoch 1, then the epoch-1 total
    assert faithful[1].sets["assisted"] == {b}
