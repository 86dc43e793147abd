"""The shared mean of table cells: exact on small inputs, NaN (not an error) for an empty cell."""

from __future__ import annotations

import math

from tenfold.common.stats import mean


def test_mean_of_cells():
    assert mean([1.0, 2.0, 6.0]) == 3.0
    assert mean((0.5,)) == 0.5
    assert math.isnan(mean([]))
