"""The PII corpus: byte-identical for a seed, unique emails, families as declared, the manifest true to the text."""

from __future__ import annotations

import pytest

from tenfold.common.errors import UserError
from tenfold.pii.corpus import PiiCorpus, build_corpus, make_records


@pytest.fixture(scope="module")
def corpus():
    return build_corpus(n_records=60, canaries_per_level=2, seed=3)


def test_same_seed_same_bytes(tmp_path, corpus):
    again = build_corpus(n_records=60, canaries_per_level=2, seed=3)
    corpus.save(tmp_path / "a")
    again.save(tmp_path / "b")
    for name in ("examples.jsonl", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert build_corpus(n_records=60, canaries_per_level=2, seed=4).examples != corpus.examples


def test_manifest_matches_the_text(corpus):
    emails = [r.email for r in corpus.records]
    assert len(set(emails)) == len(emails)
    for r in corpus.records:
        assert len(r.examples) == r.repetitions == len(set(r.examples))
        for i, prefix in zip(r.examples, r.prefixes, strict=True):
            assert prefix + r.email in corpus.examples[i]
        others = [i for i, text in enumerate(corpus.examples) if r.email in text]
        assert set(others) >= set(r.examples)
    for c in corpus.canaries:
        assert sum(c.text in corpus.examples[i] for i in c.examples) == c.repetitions


def test_families_look_alike():
    records = make_records(90, seed=1)
    by_family: dict[int, list] = {}
    for r in records:
        by_family.setdefault(r.family, []).append(r)
    kinds = {r.kind for r in records}
    assert kinds == {"name", "domain", "variant", "single"}
    for members in by_family.values():
        kind = members[0].kind
        if kind == "name" and len(members) == 2:
            assert members[0].name == members[1].name and members[0].email != members[1].email
        if kind == "domain" and len(members) > 1:
            assert len({m.email.split("@")[1] for m in members}) == 1
        if kind == "variant" and len(members) == 2:
            a, b = (m.email.split("@")[0] for m in members)
            assert len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def test_round_trip_and_bad_input(tmp_path, corpus):
    corpus.save(tmp_path / "c")
    back = PiiCorpus.load(tmp_path / "c")
    assert back.records == corpus.records and back.examples == corpus.examples
    with pytest.raises(UserError, match="at least one PII record"):
        make_records(0, seed=0)
    with pytest.raises(UserError, match="not a PII corpus"):
        PiiCorpus.load(tmp_path)


def test_without_deletes_only_those_records(corpus):
    gone = {corpus.records[0].email, corpus.records[1].email}
    smaller = corpus.without(gone)
    text = " ".join(smaller.examples)
    assert all(e not in text for e in gone)
    assert smaller.emails() == corpus.emails() - gone
    for r in smaller.records:  # the others are where they were
        for i, prefix in zip(r.examples, r.prefixes, strict=True):
            assert prefix + r.email in smaller.examples[i]
    untouched = set(range(len(corpus.examples))) - {i for r in corpus.records[:2] for i in r.examples}
    assert all(smaller.examples[i] == corpus.examples[i] for i in untouched)
