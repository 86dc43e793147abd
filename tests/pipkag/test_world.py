"""The synthetic world of the tiny setting: deterministic, disjoint roles, conflicts that name another city."""

from __future__ import annotations

from tenfold.pipkag.world import conflict_items, make_world, pretraining_texts


def test_the_world_is_deterministic_with_disjoint_roles():
    world = make_world(30, 20, 10, seed=4)
    assert make_world(30, 20, 10, seed=4) == world
    assert len(set(world.capitals.values())) == 50  # one capital per entity
    assert set(world.memorised).isdisjoint(world.readers)
    assert set(world.test).isdisjoint(world.adapt) and set(world.test) | set(world.adapt) == set(world.memorised)


def test_pretraining_keeps_memorised_targets_under_contradicting_contexts():
    world = make_world(30, 20, 10, seed=4)
    texts = pretraining_texts(world, statements=1, conflict_share=0.5)
    for t in texts:
        entity = t.prompt.rsplit("capital of ", 1)[1].split("?", 1)[0].removesuffix(" is")
        if entity in world.readers:  # a reader's target is whatever city its context names
            assert f"is {t.answer.strip()}." in t.prompt and t.honest
            continue
        capital = world.capitals[entity]
        assert t.answer.strip(" .\n") == capital  # a memorised entity's target is always its capital
        # only a text whose context names another city is kept out of the full-text loss
        contradicting = "\nQ:" in t.prompt and f"is {capital}." not in t.prompt
        assert t.honest != contradicting
    contradicted = [t.prompt for t in texts if not t.honest]
    assert contradicted and all(p.rsplit("capital of ", 1)[1].split("?")[0] in world.memorised for p in contradicted)
    assert sum(t.prompt == f"The capital of {world.memorised[0]} is" for t in texts) == 1
    for item in conflict_items(world, world.test, seed=1):
        assert item.answers[0] in item.context and item.parametric_answer not in item.context
