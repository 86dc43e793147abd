"""The Zweistein table's exact identities and its agreement with an independent exact race solver."""

from __future__ import annotations

import numpy as np
import pytest

from tenfold.common.errors import UserError
from tenfold.zweistein.race import N_ARRAYS, array_index, build_table, default_table, exact_race

TABLE = default_table()


def test_every_distribution_is_a_distribution_on_1_to_19():
    sums = TABLE.pdf.sum(1)
    assert np.abs(sums[1:] - 1).max() <= 1e-12 and sums[0] == 0
    assert np.all(TABLE.pdf[:, 0] == 0) and np.all(TABLE.pdf >= 0)
    assert TABLE.pdf.shape == (N_ARRAYS, 20)
    assert np.nonzero(TABLE.pdf[:, 19] > 0)[0].tolist() == [array_index([4] * 6)]


@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("cube", [0, 3, 5])
def test_one_cube_at_distance_k_takes_k_turns(k, cube):
    d = [0] * 6
    d[cube] = k
    row = TABLE.pdf[array_index(d)]
    assert row[k] == 1.0 and row.sum() == 1.0
    assert TABLE.expected[array_index(d)] == k


def test_race_value_complements():
    rng = np.random.default_rng(0)
    for _ in range(100):
        a, b = (int(x) for x in rng.integers(1, N_ARRAYS, 2))
        # P(X_a < Y_b) + P(Y_b <= X_a) = 1: the two views of one race
        p_moved = TABLE.value(a, b)
        p_mover = float(np.dot(TABLE.pdf[b, 1:], 1 - TABLE.cdf[a, :-1]))
        assert p_moved + p_mover == pytest.approx(1.0, abs=1e-12)
    assert TABLE.value(array_index([1, 0, 0, 0, 0, 0]), 0) == 1.0 and TABLE.value(0, 5) == 0.0


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((2, 2, 2, 2, 2, 1), (2, 2, 2, 2, 2, 1)),
        ((3, 1, 2, 3, 2, 2), (2, 3, 3, 1, 2, 2)),
        ((1, 0, 0, 0, 0, 0), (0, 2, 0, 0, 0, 0)),
    ],
)
def test_table_equals_exact_race_when_no_choice_can_matter(first, second):
    # all six cubes present (no choices ever) or a single cube: the table is exact
    table_value = 1.0 - TABLE.value(array_index(second), array_index(first))  # the side to move wins iff Y <= X
    assert table_value == pytest.approx(exact_race(first, second), abs=1e-12)


def test_choice_rules_differ_only_where_a_choice_exists():
    higher, lower = build_table("higher"), build_table("lower")
    full = array_index([3, 4, 2, 4, 1, 4])
    assert np.array_equal(higher.pdf[full], lower.pdf[full])
    gap = array_index([4, 0, 0, 0, 0, 1])  # roll 2..5: cube 1 (far) or cube 6 (one step from the goal)
    assert higher.expected[gap] < lower.expected[gap]
    assert TABLE.expected[gap] == pytest.approx(higher.expected[gap])
    with pytest.raises(UserError, match="unknown choice rule"):
        build_table("random")  # type: ignore[arg-type]


def test_bad_arrays():
    with pytest.raises(UserError, match=r"6 entries in 0\.\.4"):
        array_index([5, 0, 0, 0, 0, 0])
    with pytest.raises(UserError, match="at least one cube"):
        exact_race([0] * 6, [1, 0, 0, 0, 0, 0])
