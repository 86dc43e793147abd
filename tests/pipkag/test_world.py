"""The synthetic world of the tiny setting: deterministic, disjoint roles, conflicts that name another city."""

from __future__ import annotations

from tenfold.pipkag.world import conflict_items, make_world, pretraining_pairs


def test_the_world_is_deterministic_with_disjoint_roles():
    world = make_world(30, 20, 10, seed=4)
    assert make_world(30, 20, 10, seed=4) == world
    assert len(set(world.capitals.values())) == 50  # one capital per entity
    assert set(world.memorised).isdisjoint(world.readers)
    assert set(world.test).isdisjoint(world.adapt) and set(world.test) | set(world.adapt) == set(world.memorised)


def test_pretraining_keeps_memorised_targets_under_contradicting_contexts():
    world = make_world(30, 20, 10, seed=4)
    pairs = pretraining_pairs(world, conflict_share=0.5)
    for prompt, answer in pairs:
        entity = prompt.rsplit("capital of ", 1)[1].split("?", 1)[0]
        assert answer == world.capitals[entity] + "\n"  # the target is always the true capital
    contradicted = [p for p, a in pairs if "The capital of" in p and a.strip() not in p]
    assert contradicted and all(p.rsplit("capital of ", 1)[1].split("?")[0] in world.memorised for p in contradicted)
    for item in conflict_items(world, world.test, seed=1):
        assert item.answers[0] in item.context and item.parametric_answer not in item.context
