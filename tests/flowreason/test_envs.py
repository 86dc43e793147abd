"""Rule conformance of the tasks: Game24 counts and exactness, BlocksWorld plan lengths and valid actions."""

from __future__ import annotations

import ast
import itertools
import operator
from fractions import Fraction

import pytest

from tenfold.common.errors import UserError
from tenfold.flowreason.blocksworld import BLOCKS, BlocksWorld, apply, generate_instances, optimal_length
from tenfold.flowreason.env import enumerate_trajectories
from tenfold.flowreason.game24 import Game24, all_puzzles, parse_puzzle, solvable, solvable_puzzles

OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def evaluate_exactly(expr: str) -> Fraction:
    """Evaluate an arithmetic expression with Fractions (independent of the environment's own arithmetic)."""

    def ev(node):
        if isinstance(node, ast.BinOp):
            return OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        assert isinstance(node, ast.Constant)
        return Fraction(node.value)

    return ev(ast.parse(expr, mode="eval").body)


def test_exactly_1362_of_1820_multisets_are_solvable():
    assert len(all_puzzles()) == 1820
    assert len(solvable_puzzles()) == 1362
    assert solvable((3, 3, 8, 8)) and not solvable((1, 1, 1, 1))


@pytest.mark.parametrize("puzzle", [(3, 3, 8, 8), (4, 7, 8, 8), (1, 5, 5, 5), (2, 3, 4, 6)])
def test_every_trajectory_counted_correct_evaluates_to_24_exactly(puzzle):
    env = Game24()
    trajs = enumerate_trajectories(env, puzzle)
    assert len(trajs) <= 3888 and all(len(t.steps) == 3 for t in trajs)
    correct = [t for t in trajs if t.correct]
    assert correct, "a solvable puzzle has correct trajectories"
    for t in trajs:
        expr = env.expression(t).rsplit(" = ", 1)[0]
        assert (evaluate_exactly(expr) == 24) == t.correct, expr
        # the expression uses each number of the puzzle exactly once
        nums = sorted(int(n) for n in expr.replace("(", " ").replace(")", " ").split() if n.isdigit())
        assert nums == sorted(puzzle)
    if puzzle == (3, 3, 8, 8):
        assert {env.expression(t) for t in correct} == {"8 / (3 - (8 / 3)) = 24"}  # needs fractions


def test_bad_puzzles_give_one_line_errors():
    for bad in ("4 7 8", "4 7 8 x", "0 1 2 3", "4 7 8 8 8"):
        with pytest.raises(UserError, match="malformed Game24 puzzle"):
            parse_puzzle(bad)
    with pytest.raises(UserError, match="has no solution"):
        Game24().reference_solution((1, 1, 1, 1))
    assert parse_puzzle("8, 4, 7, 8") == (4, 7, 8, 8)


def _applicable(state, action: str) -> bool:
    """STRIPS preconditions, written out independently of the environment's generator."""
    op, *a = action.split()
    hand = ("handempty",) in state
    if op == "pick-up":
        return hand and ("clear", a[0]) in state and ("ontable", a[0]) in state
    if op == "put-down":
        return ("holding", a[0]) in state
    if op == "stack":
        return ("holding", a[0]) in state and ("clear", a[1]) in state and a[0] != a[1]
    return hand and ("on", a[0], a[1]) in state and ("clear", a[0]) in state


def _ground(blocks: str) -> list[str]:
    out = [f"{op} {x}" for op in ("pick-up", "put-down") for x in blocks]
    return out + [f"{op} {x} {y}" for op in ("stack", "unstack") for x, y in itertools.permutations(blocks, 2)]


@pytest.mark.parametrize("optimal", [2, 4, 6])
def test_blocksworld_instances_have_the_intended_optimal_plan_length(optimal):
    env = BlocksWorld()
    for inst in generate_instances(optimal, 5, seed=3, slack=1):
        plan = env.reference_solution(inst)
        assert len(plan) == optimal == inst.optimal and inst.limit == optimal + 1
        state = inst.init
        for a in plan:
            assert _applicable(state, a)
            state = apply(state, a)
        assert inst.goal <= state
        assert optimal_length(inst.init, inst.goal, inst.blocks, cap=optimal - 1) is None  # nothing shorter


def test_the_policy_is_offered_exactly_the_valid_actions():
    env = BlocksWorld()
    for inst in generate_instances(4, 3, seed=1, slack=2):
        for t in enumerate_trajectories(env, inst)[:200]:
            for s in t.states[:-1]:
                offered = env.actions(inst, s)
                assert sorted(offered) == sorted(a for a in _ground(inst.blocks) if _applicable(s, a))
    with pytest.raises(ValueError, match="not valid"):
        env.step(inst, inst.init, "stack a a")
    assert BLOCKS.startswith("abc")


def test_blocksworld_reward_and_termination():
    env = BlocksWorld()
    inst = generate_instances(2, 1, seed=0, slack=2)[0]
    trajs = enumerate_trajectories(env, inst)
    for t in trajs:
        assert len(t.steps) <= inst.limit
        assert t.correct == (inst.goal <= t.final)
        assert (t.log_reward == pytest.approx(4.60517, abs=1e-5)) == t.correct  # log 100
    with pytest.raises(UserError):
        generate_instances(3, 1)


def _entails(problem, prop: str) -> bool | None:
    """What the ontology says about "E is prop", by forward chaining over all rules (independent of the env)."""
    known, frontier, props = {problem.start}, [problem.start], {}
    while frontier:
        cat = frontier.pop()
        for subj, rel, obj in problem.rules:
            if subj != cat:
                continue
            if rel == "isa" and obj not in known:
                known.add(obj)
                frontier.append(obj)
            elif rel != "isa":
                assert props.setdefault(obj, rel) == rel, "a consistent ontology gives each property one polarity"
    return None if prop not in props else props[prop] == "is"


@pytest.mark.parametrize("hops", [3, 4, 5])
def test_prontoqa_proofs_are_valid_and_correct_ones_answer_the_query(hops):
    from tenfold.flowreason.prontoqa import ProntoQA, generate, rule_text

    env = ProntoQA()
    problems = generate(hops, 6, seed=2)
    assert len({(p.start, p.rules) for p in problems}) == 6
    n_proofs: list[int] = []
    for p in problems:
        assert _entails(p, p.prop) == p.answer  # the query follows from the rules, with the stated answer
        gold = env.reference_solution(p)
        assert len(gold) == hops + 1 and gold[-1].endswith(f"{p.prop}.")
        trajs = enumerate_trajectories(env, p)
        correct = [t for t in trajs if t.correct]
        assert gold in [list(t.key) for t in correct]
        n_proofs.append(len(correct))
        for t in trajs:
            assert len(t.steps) <= p.limit
            cat = p.start
            for step in t.steps:  # every step applies a rule to the entity's current category
                rule = next(r for r in p.rules if rule_text(r) == step.action)
                assert rule[0] == cat
                cat = rule[2]
            got = env.conclusion(t)
            assert t.correct == (got is not None and got[0] == p.prop)
            if t.correct:
                assert got[1] == p.answer  # a correct proof gives the right answer
            assert (t.log_reward == pytest.approx(4.60517, abs=1e-5)) == t.correct
    assert max(n_proofs) >= 2  # bypass routes give problems several distinct correct proofs
    with pytest.raises(UserError, match="hops"):
        generate(0, 1)
    with pytest.raises(ValueError, match="does not apply"):
        env.step(problems[0], env.initial(problems[0]), "Every gorp is a florp.")


def test_prontoqa_has_no_likelihood_term_and_text_forms():
    from tenfold.flowreason.config import PolicyTrainConfig
    from tenfold.flowreason.prontoqa import ProntoQA, generate
    from tenfold.flowreason.reward import Reward

    env = ProntoQA()
    p = generate(3, 1)[0]
    assert PolicyTrainConfig(task="prontoqa").likelihood_weight == 0.0
    assert Reward(env, object(), 1.0, "prontoqa").prior is None  # no prior is consulted
    prompt = env.prompt(p, env.initial(p))
    assert f"True or false: {p.entity} is {p.prop}." in prompt and prompt.endswith("Next:")
    assert env.action_text("Every wumpus is a yumpus.") == " Every wumpus is a yumpus.\n"
    assert env.action_tokens("Every wumpus is not bright.") == ["wumpus", "not", "bright"]
    assert env.action_tokens("Every wumpus is a yumpus.") == ["wumpus", "isa", "yumpus"]
