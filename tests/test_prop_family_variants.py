"""Variants of the savings family agree step for step (issue 32, the mutation check).

* The paper's rule (``vfi.growth.paper_vfi``: value iteration until
  sup|V_new - V| < tol) stops at the first step where that holds, whichever variant takes
  the steps: the compiled loop (numba-monotone, numba-brute) and the Python loop of the
  reference variant give the same number of steps, and the rule holds there and not one
  step before.
* ``method="mpi"`` is modified policy iteration in the compiled solver too: while the
  greedy policy still changes, each improvement is followed by ``sweeps`` sweeps, so a few
  steps of the compiled family solve give the generic solver's value (reference variant)
  to rounding.
"""
import warnings

import numpy as np
import pytest

import vfi
import vfi.growth as growth

COMPILED = [v for v in ("numba-monotone", "numba-brute") if v in growth.variants()]
REFERENCE = "numpy-blocked"


@pytest.mark.parametrize("n", [12, 40])
@pytest.mark.parametrize("tol", [1e-2, 1e-4])
def test_paper_rule_stops_at_the_first_step_below_tol_in_every_variant(n, tol):
    model = growth.afv2015(n)
    _, _, steps = growth.paper_vfi(model, tol=tol, variant=REFERENCE)
    assert steps >= 3
    # the rule, from the definition: V_k = T^k 0
    before = growth.iterate(model, steps - 1, variant=REFERENCE)
    last = growth.iterate(model, steps, variant=REFERENCE)
    earlier = growth.iterate(model, steps - 2, variant=REFERENCE)
    value_of = (lambda out: out[0]) if isinstance(before, tuple) else (lambda out: out)
    assert np.max(np.abs(value_of(last) - value_of(before))) < tol
    assert np.max(np.abs(value_of(before) - value_of(earlier))) >= tol
    for variant in COMPILED:
        value, _, count = growth.paper_vfi(model, tol=tol, variant=variant)
        assert count == steps, variant
        scale = max(1.0, float(np.max(np.abs(value_of(last)))))
        assert np.max(np.abs(value - value_of(last))) <= 1e-10 * scale


@pytest.mark.parametrize("variant", COMPILED)
@pytest.mark.parametrize(("method", "sweeps"), [("mpi", 1), ("mpi", 3), ("vfi", 1),
                                                ("howard", 1)])
def test_compiled_mpi_is_modified_policy_iteration_while_the_policy_changes(variant, method,
                                                                             sweeps):
    """(and the compiled vfi and howard are the generic ones' steps too)"""
    model = growth.afv2015(40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", vfi.ConvergenceWarning)
        generic = growth.solve(model, tol=1e-14, method=method, variant=REFERENCE,
                               sweeps=sweeps, max_iter=3, warm_start=False)
        compiled = growth.solve(model, tol=1e-14, method=method, variant=variant,
                                sweeps=sweeps, max_iter=3, warm_start=False)
    assert generic.iterations == compiled.iterations == 3
    scale = max(1.0, float(np.max(np.abs(generic.value))))
    assert np.max(np.abs(compiled.value - generic.value)) <= 1e-9 * scale
    assert abs(compiled.error_bound - generic.error_bound) <= 1e-9 * scale


# The compiled loops that alternate two buffers are the point here; the JAX variants
# (one XLA compile per step count, slow on this machine) are held to the same steps by
# the member-table agreement tests.
@pytest.mark.parametrize("variant", [v for v in growth.variants() if not v.startswith("jax")])
def test_zero_steps_return_v0_and_k_steps_compose(variant):
    """T^0 v0 = v0 (a copy), and T^(a+b) v0 = T^b (T^a v0), in every non-JAX variant (the
    iterations alternate two buffers: an odd or zero count must still land in the
    result)."""
    model = growth.afv2015(30)
    rng = np.random.default_rng(0)
    v0 = rng.normal(size=model.shape)
    zero = growth.iterate(model, 0, variant=variant, v0=v0)
    np.testing.assert_array_equal(zero, v0)
    assert zero is not v0
    for a, b in ((1, 2), (2, 1), (3, 0)):
        both = growth.iterate(model, a + b, variant=variant, v0=v0)
        split = growth.iterate(model, b, variant=variant,
                               v0=growth.iterate(model, a, variant=variant, v0=v0))
        np.testing.assert_allclose(split, both, rtol=1e-13, atol=1e-13)
