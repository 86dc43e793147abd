"""A character n-gram language model with interpolated Kneser–Ney smoothing (Chen & Goodman 1999).

The paper's v3 baseline is a 12-gram KenLM model; KenLM's trainer (``lmplz``) is not on PyPI, so this is a
self-contained Python implementation. Sentences are padded with ``order - 1`` start symbols; there is no end symbol
(the interface never predicts one). The lowest order interpolates with the uniform distribution over Σ, so no symbol
ever gets probability zero.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from tenfold.aac.symbols import DEFAULT_SYMBOLS, check_typed

START = "\x02"


class KneserNeyCharLM:
    """``order``-gram model over Σ with one absolute discount per order (D = n1 / (n1 + 2 n2))."""

    def __init__(self, order: int = 7, symbols: str = DEFAULT_SYMBOLS):
        self.order, self.symbols = order, symbols
        self.sym_index = {c: i for i, c in enumerate(symbols)}
        self.name = f"{order}-gram KN"

    def fit(self, sentences: list[str]) -> KneserNeyCharLM:
        n = self.order
        counts: list[Counter] = [Counter() for _ in range(n + 1)]  # counts[k][(history, char)], len(history) = k-1
        for s in sentences:
            text = START * (n - 1) + s
            for i in range(n - 1, len(text)):
                counts[n][(text[i - n + 1 : i], text[i])] += 1
        # lower orders use continuation counts: the number of distinct one-longer histories seen before (h, c)
        for k in range(n - 1, 0, -1):
            for (h, c), _ in counts[k + 1].items():
                counts[k][(h[1:], c)] += 1
        self.tables = []  # per order k: history -> (dense counts over Σ, total, distinct, discount)
        for k in range(1, n + 1):
            values = list(counts[k].values())
            n1, n2 = values.count(1), values.count(2)
            discount = n1 / (n1 + 2 * n2) if n1 + 2 * n2 > 0 else 0.5
            table: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(self.symbols)))
            for (h, c), value in counts[k].items():
                if c in self.sym_index:
                    table[h][self.sym_index[c]] += value
            self.tables.append((dict(table), discount))
        return self

    def predict_array(self, typed: str) -> np.ndarray:
        x = check_typed(typed, self.symbols)
        text = START * (self.order - 1) + x
        prob = np.full(len(self.symbols), 1.0 / len(self.symbols))
        for k in range(1, self.order + 1):
            table, discount = self.tables[k - 1]
            history = text[len(text) - (k - 1) :] if k > 1 else ""
            row = table.get(history)
            if row is None:
                continue  # unseen history: keep the lower-order estimate
            total = row.sum()
            distinct = np.count_nonzero(row)
            prob = np.maximum(row - discount, 0) / total + discount * distinct / total * prob
        return prob / prob.sum()

    def predict(self, typed: str) -> dict[str, float]:
        return dict(zip(self.symbols, self.predict_array(typed).tolist(), strict=True))
