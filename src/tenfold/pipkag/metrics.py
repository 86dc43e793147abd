"""Context-faithfulness scores of CoConflictQA (PIP-KAG's evaluation; its ``evaluation_confiqa_vllm_acc.py``, after
Context-DPO / ConFiQA).

Glossary (per item: prediction p, gold answers G, the model's parametric answer a; ``norm`` is SQuAD's answer
normalisation — lower case, punctuation and articles removed, white space collapsed):

* ``ConR``  the answer comes from the context: some ``norm(g) ⊂ norm(p)``, and **not** ``norm(a) ⊂ norm(p)`` (a
  prediction holding both the gold and the parametric answer counts as parametric);
* ``ParR``  the answer comes from memory: ``norm(a) ⊂ norm(p)``;
* ``MR``    memorisation ratio ``ParR / (ParR + ConR)``;
* ``EM``    some ``norm(g) == norm(p)``.

Rates are percentages over items. Two behaviours of the official scorer are offered behind ``legacy=True``: it
resets its running maxima inside the loop over gold answers, so only the **last** gold counts, and it divides by
``n + 1e-5``. The fixed scorer lets any gold count (SQuAD_kc has several golds in 2,224 of 2,225 items).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)


def normalize_answer(text: str, fold_accents: bool = False) -> str:
    """SQuAD's normalisation: lower case, drop punctuation, drop articles, collapse white space (in that order).

    Args:
        fold_accents: also strip diacritics (``Bogotá`` → ``bogota``), which SQuAD's rule keeps.
    """
    text = text.lower()
    if fold_accents:
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = "".join(c for c in text if c not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


@dataclass(frozen=True)
class ItemScore:
    """One item's indicators (each 0 or 1)."""

    con: int
    par: int
    em: int


def score_item(
    prediction: str, golds: Sequence[str], parametric: str, legacy: bool = False, fold_accents: bool = False
) -> ItemScore:
    """ConR / ParR / EM indicators of one prediction (see the module glossary)."""
    pred = normalize_answer(prediction, fold_accents)
    par = int(normalize_answer(parametric, fold_accents) in pred)
    con = em = 0
    for gold in golds:
        g = normalize_answer(gold, fold_accents)
        hit, exact = int(g in pred), int(g == pred)
        if legacy:  # the official loop overwrites its maxima for every gold: the last one decides
            con, em = hit, exact
        else:
            con, em = max(con, hit), max(em, exact)
    return ItemScore(0 if par else con, par, em)


def aggregate(scores: Sequence[ItemScore], legacy: bool = False) -> dict[str, float]:
    """``{"ConR", "ParR", "MR", "EM"}`` in percent, and ``n`` (legacy: the official ``n + 1e-5`` denominator)."""
    n = len(scores)
    denominator = n + 1e-5 if legacy else max(n, 1)
    con = 100 * sum(s.con for s in scores) / denominator
    par = 100 * sum(s.par for s in scores) / denominator
    em = 100 * sum(s.em for s in scores) / denominator
    mr = 100 * par / (par + con) if par + con else 0.0
    return {"ConR": con, "ParR": par, "MR": mr, "EM": em, "n": n}
