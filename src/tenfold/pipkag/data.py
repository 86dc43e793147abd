"""CoConflictQA (the paper's benchmark) read where it lies, and the prompts PIP-KAG formats from it.

CoConflictQA items pair a question with a context that holds the gold answer and with the answer the original model
gave closed-book (``parametric_answer``, always wrong). The five released test files are in the shared data folder
(``$TENFOLD_SHARED_DATA/coconflictqa``, else ``../shared/data/coconflictqa``) or at a path the user gives; they are
never copied into the repository.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from tenfold.common.errors import UserError
from tenfold.common.readers import read_jsonl_skipping

log = logging.getLogger(__name__)

COCONFLICTQA = "coconflictqa"
"""The benchmark's folder name under the shared data."""
SUBSETS = ("NaturalQuestionsShort", "NewsQA", "SQuAD", "TriviaQA-web", "hotpotq")
"""The released test files, ``<subset>_kc.jsonl`` (SearchQA, the sixth, was never released)."""
FIELDS = ("question", "answers", "context", "parametric_answer")


@dataclass(frozen=True)
class ConflictItem:
    """One question whose context contradicts the model's memory."""

    question: str
    answers: tuple[str, ...]
    """gold answers (any counts)."""
    context: str
    parametric_answer: str
    """the model's closed-book answer (wrong by construction)."""
    subset: str = ""
    line: int = 0
    """the item's line in its file (for error messages)."""


def coconflictqa_dir() -> Path | None:
    """The shared copy of CoConflictQA, or None."""
    from tenfold.common.paths import shared_data

    return shared_data(COCONFLICTQA)


def load_coconflictqa(root: Path | str | None = None, subsets: tuple[str, ...] = SUBSETS) -> list[ConflictItem]:
    """The items of the given subsets, in file order; malformed lines are logged with their numbers and skipped.

    Args:
        root: a folder of ``<subset>_kc.jsonl`` files, or one such file (default: the shared copy).
    """
    root = Path(root) if root is not None else coconflictqa_dir()
    if root is None:
        raise UserError("CoConflictQA is not here: pass its folder (the five <subset>_kc.jsonl files)")
    files = [root] if root.is_file() else [root / f"{s}_kc.jsonl" for s in subsets]
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise UserError(f"CoConflictQA file {missing[0]} does not exist")
    items = []
    for path in files:
        rows, problems = read_jsonl_skipping(path, FIELDS, what="CoConflictQA file")
        for problem in problems:
            log.warning("skipped %s", problem)
        subset = path.name.removesuffix("_kc.jsonl")
        for number, row in rows:
            answers = row["answers"] if isinstance(row["answers"], list) else [row["answers"]]
            items.append(
                ConflictItem(
                    str(row["question"]),
                    tuple(str(a) for a in answers),
                    str(row["context"]),
                    str(row["parametric_answer"]),
                    subset,
                    number,
                )
            )
    return items


def rag_prompt(context: str, question: str) -> str:
    """The user turn with context, as the official code formats it."""
    return f"{context}\nQ: {question}\nA: "


def closed_book_prompt(question: str) -> str:
    """The user turn without context."""
    return f"Q: {question}\nA: "
