"""The tiny setting: a world of made-up countries and capitals, a tiny Llama that memorises part of it, and the
knowledge-conflict test on it — parametric knowledge known exactly, because we wrote it.

* ``memorised``  entities whose capital the base model learns closed-book; a share of their training contexts
  *contradict* the capital while the target stays the memorised one (``conflict_share``), so the base model learns to
  trust its memory over a context, as the paper's backbones do;
* ``readers``    other entities seen only with a context, naming a different random city each time, which is the
  target: the answer can only be read, so the model learns to copy from a context;
* the test       memorised entities held out from adaptation, each with a counterfactual context naming another
  city: answering the context's city is ConR, the memorised one ParR (scored by :mod:`.metrics`).

Texts are plain (no chat template): ``"{context}\\nQ: What is the capital of {e}?\\nA: "`` and the question alone,
with the answer and a newline as the continuation; a character tokenizer built on the world's texts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from tenfold.pipkag.data import ConflictItem, closed_book_prompt, rag_prompt

_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z")
_VOWELS = ("a", "e", "i", "o", "u")


def _names(rng: random.Random, n: int, syllables: int, suffix: str = "") -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables))
        names.add(word.capitalize() + suffix)
    return sorted(names)


@dataclass(frozen=True)
class World:
    """Entities and their capitals; which ones the model memorises, reads, adapts on and is tested on."""

    capitals: dict[str, str]
    memorised: tuple[str, ...]
    readers: tuple[str, ...]
    adapt: tuple[str, ...]
    """memorised entities whose counterfactual contexts train the adaptation."""
    test: tuple[str, ...]
    """memorised entities held out from adaptation: the conflict test."""
    seed: int

    def question(self, entity: str) -> str:
        return f"What is the capital of {entity}?"

    def context(self, entity: str, city: str, rng: random.Random) -> str:
        """A short passage stating ``city`` as ``entity``'s capital, among a distractor sentence."""
        other = rng.choice([e for e in self.capitals if e != entity])
        facts = [f"The capital of {entity} is {city}.", f"{other} lies to the north."]
        rng.shuffle(facts)
        return " ".join(facts)

    def other_city(self, entity: str, rng: random.Random) -> str:
        return rng.choice([c for e, c in self.capitals.items() if e != entity])


def make_world(n_memorised: int = 120, n_readers: int = 120, n_test: int = 40, seed: int = 0) -> World:
    rng = random.Random(seed)
    n = n_memorised + n_readers
    entities = _names(rng, n, 3, "ia")
    cities = _names(rng, n, 2, "r")
    rng.shuffle(entities)
    rng.shuffle(cities)
    capitals = dict(zip(entities, cities, strict=True))
    memorised, readers = tuple(entities[:n_memorised]), tuple(entities[n_memorised:])
    return World(capitals, memorised, readers, memorised[n_test:], memorised[:n_test], seed)


@dataclass(frozen=True)
class PretrainText:
    """One text of the base model's training: ``prompt + answer``."""

    prompt: str
    answer: str
    """the target (ends with a newline); always the true capital."""
    honest: bool
    """no contradicting context: the loss covers the whole text (the template, the statements), not the answer
    alone, so the base model learns the format and the facts in far fewer steps; a contradicting context is never a
    target (the model would learn the false capital from it)."""


def pretraining_texts(
    world: World, closed_book_repeats: int = 4, statements: int = 2, conflict_share: float = 0.3
) -> list[PretrainText]:
    """What the base model is trained on, shuffled: per memorised entity ``closed_book_repeats`` closed-book
    questions, ``statements`` plain statements ("The capital of X is Y.") and two questions with a context (agreeing,
    or with probability ``conflict_share`` naming another city while the target stays the capital); per reader,
    three questions whose context names a random city, the target."""
    rng = random.Random(world.seed + 1)
    texts = []
    for e in world.memorised:
        capital = world.capitals[e]
        texts += [PretrainText(closed_book_prompt(world.question(e)), capital + "\n", True)] * closed_book_repeats
        texts += [PretrainText(f"The capital of {e} is", f" {capital}.\n", True)] * statements
        for _ in range(2):
            city = world.other_city(e, rng) if rng.random() < conflict_share else capital
            prompt = rag_prompt(world.context(e, city, rng), world.question(e))
            texts.append(PretrainText(prompt, capital + "\n", city == capital))
    cities = sorted(world.capitals.values())
    for e in world.readers:
        for _ in range(3):
            # a different city each time: the answer can only be read, never memorised, so the model learns to copy
            city = rng.choice(cities)
            prompt = rag_prompt(world.context(e, city, rng), world.question(e))
            texts.append(PretrainText(prompt, city + "\n", True))
    rng.shuffle(texts)
    return texts


def conflict_items(world: World, entities: tuple[str, ...], seed: int) -> list[ConflictItem]:
    """Counterfactual items: the context names another city (the gold for a faithful reader); memory says the
    capital."""
    rng = random.Random(seed)
    items = []
    for e in entities:
        city = world.other_city(e, rng)
        items.append(ConflictItem(world.question(e), (city,), world.context(e, city, rng), world.capitals[e], "tiny"))
    return items


def all_texts(world: World) -> list[str]:
    """Every string the tokenizer must cover."""
    rng = random.Random(0)
    texts = [t.prompt + t.answer for t in pretraining_texts(world)]
    texts += [rag_prompt(world.context(e, c, rng), world.question(e)) + c for e, c in world.capitals.items()]
    return texts
