"""The communication ledger: every message that crosses a link, with its serialised size.

Bandwidth figures come from here and only from here: a byte count is the length of the bytes actually serialised
(ciphertexts, contexts, plaintext arrays), never a formula, so the ledger's totals are the sum of the serialised
messages by construction (tested), and formulas (:mod:`.bandwidth`) are checked against it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Entry:
    sender: str
    receiver: str
    kind: str
    """message type, e.g. ``representation``, ``aggregate``, ``raw``, ``context``."""
    nbytes: int


@dataclass
class Ledger:
    entries: list[Entry] = field(default_factory=list)

    def record(self, sender: str, receiver: str, kind: str, payload: bytes | int) -> None:
        """Log one message (its bytes, or their count)."""
        n = payload if isinstance(payload, int) else len(payload)
        self.entries.append(Entry(sender, receiver, kind, n))

    def forwarded(self, parties: list[str], sent: list[list[bytes | int]], kind: str) -> None:
        """Each party's messages go up to the server, which forwards them as they are to every other party (raw
        sharing: (N − 1) times each party's bytes come down to it)."""
        for i, msgs in enumerate(sent):
            for msg in msgs:
                self.record(parties[i], "server", kind, msg)
                for j, other in enumerate(parties):
                    if j != i:
                        self.record("server", other, kind, msg)

    def summed(
        self, parties: list[str], sent: list[list[bytes | int]], total: list[bytes | int], kinds: tuple[str, str]
    ) -> None:
        """Each party's messages go up (``kinds[0]``); the server's sum comes down to every party (``kinds[1]``)."""
        for i, msgs in enumerate(sent):
            for msg in msgs:
                self.record(parties[i], "server", kinds[0], msg)
        for party in parties:
            for msg in total:
                self.record("server", party, kinds[1], msg)

    @property
    def total(self) -> int:
        return sum(e.nbytes for e in self.entries)

    def by_kind(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for e in self.entries:
            out[e.kind] += e.nbytes
        return dict(out)

    def involving(self, party: str, kinds: tuple[str, ...] | None = None) -> dict[str, int]:
        """Bytes ``party`` sent (``up``) and received (``down``), optionally of some kinds only."""
        up = sum(e.nbytes for e in self.entries if e.sender == party and (kinds is None or e.kind in kinds))
        down = sum(e.nbytes for e in self.entries if e.receiver == party and (kinds is None or e.kind in kinds))
        return {"up": up, "down": down}

    def count(self, party: str, direction: str, kinds: tuple[str, ...] | None = None) -> int:
        """Messages ``party`` sent (``up``) or received (``down``)."""
        return sum(
            1
            for e in self.entries
            if (e.sender if direction == "up" else e.receiver) == party and (kinds is None or e.kind in kinds)
        )
