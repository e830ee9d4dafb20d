"""Every growth variant agrees with numba-brute (the oracle) after random steps from
random starts on random small models: values to 1e-10, policies except at ties."""
import numpy as np
import pytest
from growth_strategies import assert_policies_agree, assert_values_agree, models, start_values
from hypothesis import given
from hypothesis import strategies as st

import vfi.growth as growth

pytestmark = pytest.mark.skipif("numba-brute" not in growth.variants(),
                                reason="the oracle, numba-brute, needs numba")

#: Cases per variant: (model sizes, steps). Pure Python and JAX (which compiles once per
#: shape) get small or few shapes so that the file stays fast.
CASES = {
    "numba-monotone": (st.integers(2, 200), st.integers(1, 12)),
    "numpy-blocked": (st.integers(2, 200), st.integers(1, 6)),
    "python-loops": (st.integers(2, 30), st.integers(1, 3)),
    "jax-blocked": (st.sampled_from([3, 40, 150]), st.integers(1, 6)),
}
STATES = {"jax-blocked": st.sampled_from([2, 5])}


def check_against_oracle(variant, model, v0, num_iter):
    before = growth.iterate(model, num_iter - 1, variant="numba-brute", v0=v0)
    reference, ref_policy = growth.bellman(model, before, variant="numba-brute")
    value, policy = growth.iterate(model, num_iter, variant=variant, v0=v0, return_policy=True)
    assert value.shape == model.shape and value.dtype == np.float64
    assert_values_agree(value, reference)
    assert_policies_agree(policy, ref_policy, model, before)


@pytest.mark.parametrize("variant", sorted(CASES))
@given(data=st.data())
def test_variant_agrees_with_brute_force(variant, data):
    if variant not in growth.variants():
        pytest.skip(growth.unavailable_variants().get(variant, "not registered"))
    sizes, steps = CASES[variant]
    model = data.draw(models(sizes=sizes, states=STATES.get(variant, st.integers(2, 5))),
                      label="model")
    v0 = data.draw(start_values(model), label="v0")
    check_against_oracle(variant, model, v0, data.draw(steps, label="num_iter"))


def test_monotone_is_exact_from_a_policy_value_with_kinks():
    """Howard's values are not concave: the search must still find the first maximiser."""
    model = growth.afv2015(2000)
    value = growth.solve(model, tol=1e-6, method="howard").value
    check_against_oracle("numba-monotone", model, value, 1)


def test_inputs_are_not_modified():
    model = growth.afv2015(50)
    v0 = np.random.default_rng(1).normal(size=model.shape)
    keep = v0.copy()
    for variant in growth.variants():
        growth.iterate(model, 2, variant=variant, v0=v0)
        np.testing.assert_array_equal(v0, keep)


@pytest.mark.parametrize("spike_at, height", [(0.3, 1e-6), (0.45, 1e-5), (0.6, 1e-3)])
def test_monotone_finds_a_second_peak_beyond_the_first_decrease(spike_at, height):
    """The closed-form value with one spike: states whose objective has started to fall
    before the spike still choose it. Small spikes take the majorant-guided scan, the
    large one (most of the column under the majorant) divide and conquer."""
    model = growth.afv2015(400)
    v0 = growth.closed_form(model)[0]
    spike = int(spike_at * model.n)
    v0[spike] += height
    _, policy = growth.bellman(model, v0, variant="numba-brute")
    assert np.sum(policy == spike) > 0
    check_against_oracle("numba-monotone", model, v0, 1)
    check_against_oracle("numba-monotone", model, v0, 3)
