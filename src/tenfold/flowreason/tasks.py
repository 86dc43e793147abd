"""The task registry: ``tenfold flowreason train --task NAME``."""

from __future__ import annotations

from tenfold.common.registry import Registry
from tenfold.flowreason.blocksworld import BlocksWorld
from tenfold.flowreason.game24 import Game24
from tenfold.flowreason.prontoqa import ProntoQA

TASKS: Registry = Registry("task")
TASKS.register("game24", Game24, "Game24: four numbers 1..13, + − × ÷, exactly 24 (exact Fraction arithmetic)")
TASKS.register("blocksworld", BlocksWorld, "BlocksWorld: STRIPS with pick-up, put-down, stack, unstack")
TASKS.register("prontoqa", ProntoQA, "ProntoQA-style logic: chain rules of a fictional ontology to answer a query")
