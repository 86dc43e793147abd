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
            denominator = interval_sum if cp.epoch == 1 else epoch1_total
        else:
            retained = m & prev
            immediate = (m & cp.newly_seen) - prev
            assisted = m - prev - cp.newly_seen
            denominator = len(seen)
        sets = {"retained": retained, "immediate": immediate, "assisted": assisted, "forgotten": prev - m}
        rows.append(Row({k: frozenset(v) for k, v in sets.items()}, denominator))
        prev = m
    return rows
