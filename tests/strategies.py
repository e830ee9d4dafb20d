"""Hypothesis strategies shared by the test files: grids, discount factors, value vectors."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

betas = st.floats(min_value=0.0, max_value=0.999, exclude_min=True)
num_iters = st.integers(min_value=0, max_value=50)


@st.composite
def grids(draw, min_size=1, max_size=64, uniform=None):
    """Strictly increasing, non-negative grids starting at 0 or above, unevenly spaced.

    ``uniform=True`` draws only evenly spaced grids (``linspace``), ``False`` only
    uneven ones, ``None`` either.
    """
    n = draw(st.integers(min_size, max_size))
    start = draw(st.one_of(st.just(0.0), st.floats(0.0, 10.0)))
    if uniform is None:
        uniform = draw(st.booleans())
    if uniform:
        stop = start + draw(st.floats(1e-2, 10.0))
        return np.linspace(start, stop, n)
    steps = draw(st.lists(st.floats(1e-3, 2.0), min_size=n - 1, max_size=n - 1))
    grid = start + np.concatenate([[0.0], np.cumsum(steps)])
    # Rounding of the cumulative sum can never merge points here: steps >= 1e-3 and
    # |grid| <= 140, far above float64's resolution.
    assert np.all(np.diff(grid) > 0)
    return grid


def values(n, bound=10.0):
    """Finite value vectors of length n (unstructured: not monotone, not concave)."""
    return st.lists(st.floats(-bound, bound), min_size=n, max_size=n).map(np.array)


@st.composite
def grid_and_value(draw, **grid_kwargs):
    grid = draw(grids(**grid_kwargs))
    return grid, draw(values(grid.size))
