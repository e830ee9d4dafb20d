"""The parallel Numba variants return exactly what their serial counterparts return.

Each state's first maximiser is computed by the same arithmetic in the same order; only
the thread that computes it changes, so the comparison is bit for bit, at every thread
count Numba is allowed.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import betas, grids, values

import vfi

pytestmark = pytest.mark.skipif("numba-parallel" not in vfi.variants(),
                                reason="numba is not installed (the optional path is "
                                       "tested in test_optional.py)")
SERIAL_OF = {"numba-parallel": "numba-loops", "numba-parallel-monotone": "numba-monotone"}


def thread_counts():
    import numba

    return sorted({1, 2, numba.config.NUMBA_NUM_THREADS})


@pytest.mark.parametrize("parallel, serial", SERIAL_OF.items())
@settings(max_examples=40)
@given(grid=grids(min_size=1, max_size=300), beta=betas, num_iter=st.integers(1, 20),
       data=st.data())
def test_parallel_equals_serial_bit_for_bit(parallel, serial, grid, beta, num_iter, data):
    import numba

    v0 = data.draw(st.one_of(st.none(), values(grid.size)), label="v0")
    expected = vfi.iterate(grid, beta, num_iter, variant=serial, v0=v0, return_policy=True)
    before = numba.get_num_threads()
    try:
        for threads in thread_counts():
            numba.set_num_threads(threads)
            got = vfi.iterate(grid, beta, num_iter, variant=parallel, v0=v0,
                              return_policy=True)
            np.testing.assert_array_equal(got[0], expected[0])
            np.testing.assert_array_equal(got[1], expected[1])
    finally:
        numba.set_num_threads(before)


@pytest.mark.parametrize("n", [2, 63, 64, 65, 5000])
def test_parallel_monotone_segment_edges(n):
    """Sizes around the SEGMENTS split (64) and one large enough to split fully."""
    grid = np.linspace(0.1, 1.0, n) ** 1.5
    expected = vfi.iterate(grid, 0.95, 30, variant="numba-monotone", return_policy=True)
    got = vfi.iterate(grid, 0.95, 30, variant="numba-parallel-monotone", return_policy=True)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
