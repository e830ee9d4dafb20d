"""CakeEating checks its inputs when constructed, as the family's models do: no way to
hold an invalid cake-eating problem, and the caller's arrays are copied, never kept."""
import numpy as np
import pytest

from vfi.cake.problem import CakeEating


@pytest.mark.parametrize(("grid", "beta", "message"), [
    (np.linspace(1, 0.1, 40), 0.9, "grid must be strictly increasing"),
    (np.array([0.1, 0.1, 0.2]), 0.9, "grid must be strictly increasing"),
    (np.array([-0.5, 0.2]), 0.9, "grid must be non-negative"),
    (np.linspace(0.1, 1, 5), 1.0, "beta must be"),
])
def test_construction_refuses_bad_input(grid, beta, message):
    with pytest.raises(ValueError, match=message):
        CakeEating(grid, beta)


def test_construction_copies_and_freezes_the_grid():
    grid = np.linspace(0.1, 1.0, 5)
    problem = CakeEating(grid, 0.9)
    assert problem.grid is not grid and not problem.grid.flags.writeable
    grid[0] = 7.0
    assert problem.grid[0] == 0.1 and problem.beta == 0.9 and problem.n == 5
