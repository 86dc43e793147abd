"""The memorisation taxonomy of continuous training (official ``taxonomy.py``; paper §4).

Glossary, at checkpoint t (every 10 % of an epoch):

* ``M_t``     the PII extracted at t (a set);
* ``M_prev``  the PII extracted at the previous checkpoint (∅ at the first);
* ``N_t``     the PII in the examples seen since the previous checkpoint ("newly seen");
* ``S_t``     the PII seen so far, ∪ N_s for s ≤ t.

**Clean** classes (ours; a partition of M_t, precedence retained → immediate → assisted):

* retained  = M_t ∩ M_prev
* immediate = (M_t ∩ N_t) \\ M_prev
* assisted  = M_t \\ (M_prev ∪ N_t): extractable now, seen before the last interval, not extractable at the last
  checkpoint — what the paper calls assisted memorisation;
* forgotten = M_prev \\ M_t (not part of M_t).

Identities: retained ∪ immediate ∪ assisted = M_t, pairwise disjoint; retained ∪ forgotten = M_prev, disjoint.

**Faithful** mode (the official definitions): immediate = M_t ∩ N_t and retained = M_t ∩ M_prev may overlap (an
email re-seen in epochs 2–3 that was extracted before counts in both); assisted = M_t \\ (immediate ∪ retained);
percentages in epoch 1 over Σ_s≤t |N_s| (a sum of per-interval set sizes, counting a repeated email once per
interval), in later epochs over the epoch-1 total; M_t in epoch 1 is restricted to S_t (a no-op when M_t ⊆ S_t).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CLASSES = ("retained", "immediate", "assisted", "forgotten")


@dataclass(frozen=True)
class Checkpoint:
    """What the taxonomy needs at one checkpoint."""

    extracted: frozenset[str]
    newly_seen: frozenset[str]
    epoch: int = 1


@dataclass(frozen=True)
class Row:
    sets: dict[str, frozenset[str]]
    denominator: int

    def count(self, cls: str) -> int:
        return len(self.sets[cls])

    def percent(self, cls: str) -> float:
        return 100.0 * len(self.sets[cls]) / self.denominator if self.denominator else 0.0


def classify(checkpoints: Sequence[Checkpoint], faithful: bool = False) -> list[Row]:
    """One :class:`Row` per checkpoint, in order."""
    rows = []
    prev: frozenset[str] = frozenset()
    seen: set[str] = set()
    interval_sum = 0
    epoch1_total = 0
    for cp in checkpoints:
        seen |= cp.newly_seen
        m = cp.extracted
        if faithful:
            if cp.epoch == 1:
                m = m & frozenset(seen)
                interval_sum += len(cp.newly_seen)
                epoch1_total = interval_sum
            immediate, retained = m & cp.newly_seen, m & prev
            assisted = m - immediate - retained
            # an audit that starts after epoch 1 has no epoch-1 total: fall back to the PII seen so far
            denominator = interval_sum if cp.epoch == 1 else (epoch1_total or len(seen))
        else:
            retained = m & prev
            immediate = (m & cp.newly_seen) - prev
            assisted = m - prev - cp.newly_seen
            denominator = len(seen)
        sets = {"retained": retained, "immediate": immediate, "assisted": assisted, "forgotten": prev - m}
        rows.append(Row({k: frozenset(v) for k, v in sets.items()}, denominator))
        prev = m
    return rows


# -- checks the reproduction reports (the unit tests state the same identities with Hypothesis) -------------------
HAND_EXAMPLE = (
    Checkpoint(frozenset({"a"}), frozenset({"a", "b"}), epoch=1),  # a extracted right after being seen
    Checkpoint(frozenset({"a", "b"}), frozenset({"c"}), epoch=1),  # b seen at 1, not extracted then: assisted
    Checkpoint(frozenset({"b", "c"}), frozenset({"a", "b", "c", "d"}), epoch=2),  # epoch 2 re-sees everything
)
"""Three checkpoints on which the clean and the faithful modes differ exactly where the official code overlaps."""


def identity_violations(checkpoints: Sequence[Checkpoint]) -> list[str]:
    """The clean identities that fail on a sequence (empty when all hold)."""
    out = []
    prev: frozenset[str] = frozenset()
    for k, (cp, row) in enumerate(zip(checkpoints, classify(checkpoints), strict=True)):
        r, i, a, f = (row.sets[c] for c in CLASSES)
        if r | i | a != cp.extracted or r & i or r & a or i & a:
            out.append(f"checkpoint {k}: classes do not partition M_t")
        if r | f != prev or r & f:
            out.append(f"checkpoint {k}: retained + forgotten != M_prev")
        if not all(0 <= row.percent(c) <= 100 for c in ("retained", "immediate", "assisted")):
            out.append(f"checkpoint {k}: a percentage outside [0, 100]")
        prev = cp.extracted
    return out


def check_identities(n_sequences: int = 200, seed: int = 0) -> dict[str, int]:
    """:func:`identity_violations` on random sequences of checkpoints (extracted ⊆ seen so far, as in training)."""
    import random

    rng = random.Random(seed)
    pool = [f"e{i}" for i in range(12)]
    bad = 0
    for _ in range(n_sequences):
        seen: set[str] = set()
        seq = []
        for epoch in sorted(rng.randint(1, 3) for _ in range(rng.randint(1, 8))):
            newly = frozenset(rng.sample(pool, rng.randint(0, 6)))
            seen |= newly
            seq.append(Checkpoint(frozenset(x for x in seen if rng.random() < 0.4), newly, epoch))
        bad += bool(identity_violations(seq))
    return {"sequences": n_sequences, "violations": bad}


def hand_example() -> dict[str, object]:
    """Both modes on :data:`HAND_EXAMPLE`: clean totals and the official overlap (immediate ∩ retained)."""
    clean, faithful = classify(HAND_EXAMPLE), classify(HAND_EXAMPLE, faithful=True)
    overlap = [sorted(r.sets["immediate"] & r.sets["retained"]) for r in faithful]
    return {
        "clean_totals": {c: sum(r.count(c) for r in clean) for c in CLASSES},
        "faithful_overlap": overlap,
        "faithful_denominators": [r.denominator for r in faithful],
        "violations": identity_violations(HAND_EXAMPLE),
    }
