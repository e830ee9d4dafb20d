"""Variants agree (issue 32, the mutation check): the default ``vfi.iterate`` (the
max-plus merge where its grid rule holds, an exact fallback elsewhere) gives the brute
force's values on grids that are uniform to ``UNIFORM_RTOL`` but whose utility table is
not exact (spacings jittered at 1e-10): there the merge's table error would show, so the
rule must send them to the fallback. The promise (vfi.cake.maxplus): values within the
table error the rule allows (``TABLE_RTOL`` of the utility scale) times 1/(1 - beta),
plus rounding."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import vfi
from vfi.cake import grid_rule


def jittered_grid(seed, n, jitter):
    rng = np.random.default_rng(seed)
    h = 1.0 / n
    steps = h * (1.0 + jitter * rng.uniform(-1.0, 1.0, size=n - 1))
    return np.concatenate([[0.0], np.cumsum(steps)])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(100, 300),
       jitter=st.floats(2e-10, 8e-10), beta=st.floats(0.5, 0.95),
       num_iter=st.integers(1, 12))
def test_default_iterate_agrees_with_brute_force_on_nearly_uniform_grids(
        seed, n, jitter, beta, num_iter):
    grid = jittered_grid(seed, n, jitter)
    assert grid_rule.is_uniform(grid)  # uniform to the rule's rtol: the merge's domain
    value = vfi.iterate(grid, beta, num_iter)
    brute = vfi.iterate(grid, beta, num_iter, variant="numpy-broadcast")
    scale = max(1.0, float(np.sqrt(grid[-1] - grid[0])))
    allowed = (grid_rule.TABLE_RTOL * scale
               + 64 * np.finfo(float).eps * float(np.max(np.abs(brute)))) / (1.0 - beta)
    assert float(np.max(np.abs(value - brute))) <= allowed
