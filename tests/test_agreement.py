"""Every available variant computes the same value and policy as ``numpy-masked``."""
import os

import numpy as np
import pytest
from helpers import assert_policies_agree, assert_values_agree
from hypothesis import given
from hypothesis import strategies as st
from strategies import betas, grids, num_iters, values

import vfi

REFERENCE = "numpy-masked"
VARIANTS = vfi.variants()


def test_every_registered_variant_is_available():
    # `make test` installs the `all` extra, in CI and on a developer's machine alike: a
    # variant missing here is a broken install, and every test parametrised over
    # vfi.variants() would silently leave it out. Fail, naming what is missing and why.
    missing = vfi.unavailable_variants()
    assert missing == {}, (f"variants unavailable here (CI={os.environ.get('CI')!r}): "
                           + "; ".join(f"{name}: {why}" for name, why in missing.items()))
    assert REFERENCE in VARIANTS


@pytest.mark.parametrize("variant", VARIANTS)
@given(grid=grids(), beta=betas, num_iter=num_iters, data=st.data())
def test_variant_agrees_with_reference(variant, grid, beta, num_iter, data):
    v0 = data.draw(st.one_of(st.none(), values(grid.size)), label="v0")
    grid_before = grid.copy()
    v0_before = None if v0 is None else v0.copy()

    value = vfi.iterate(grid, beta, num_iter, variant=variant, v0=v0)
    reference = vfi.iterate(grid, beta, num_iter, variant=REFERENCE, v0=v0)

    assert value.dtype == np.float64 and value.shape == grid.shape
    assert_values_agree(value, reference)
    np.testing.assert_array_equal(grid, grid_before)
    if v0 is not None:
        np.testing.assert_array_equal(v0, v0_before)

    if num_iter >= 1:
        v_before = vfi.iterate(grid, beta, num_iter - 1, variant=REFERENCE, v0=v0)
        _, policy = vfi.iterate(grid, beta, num_iter, variant=variant, v0=v0,
                                return_policy=True)
        _, ref_policy = vfi.iterate(grid, beta, num_iter, variant=REFERENCE, v0=v0,
                                    return_policy=True)
        assert_policies_agree(policy, ref_policy, grid, beta, v_before)


NOTEBOOK_GRID = np.linspace(0.1, 1, 100)


@pytest.fixture(scope="module")
def notebook_reference():
    return vfi.iterate(NOTEBOOK_GRID, 0.95, 100, variant=REFERENCE, return_policy=True)


def test_notebook_case_pinned(notebook_reference):
    # Pinned from numpy-masked at the commit that introduced it (n = 100, beta = 0.95,
    # 100 steps from sqrt(grid)). The notebook's own loop version returns ~0 here.
    value, policy = notebook_reference
    np.testing.assert_allclose(value[[0, 1, 49, 99]],
                               [0.0018722357289836311, 0.09721849465354289,
                                2.0519831363769123, 2.9788299673223517], rtol=1e-12)
    np.testing.assert_allclose(value.sum(), 191.57816724563142, rtol=1e-12)
    assert policy[:5].tolist() == [0, 0, 1, 2, 3]
    assert int(policy.sum()) == 4495


@pytest.mark.parametrize("variant", VARIANTS)
def test_notebook_case_every_variant(variant, notebook_reference):
    value, policy = vfi.iterate(NOTEBOOK_GRID, 0.95, 100, variant=variant, return_policy=True)
    assert_values_agree(value, notebook_reference[0])
    np.testing.assert_array_equal(policy, notebook_reference[1])
