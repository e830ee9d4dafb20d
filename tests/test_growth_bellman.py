"""Properties of the growth Bellman operator T that the solvers' bounds rely on:
monotone, a beta-contraction in the sup norm, and T(V + c) = TV + beta c."""
import numpy as np
from growth_strategies import models, scale
from hypothesis import given
from hypothesis import strategies as st

import vfi.growth as growth

SIZES = st.integers(2, 120)


def rounding(model, *values):
    return 64 * np.finfo(np.float64).eps * max(scale(v) for v in values) / (1 - model.beta)


@st.composite
def model_and_two_values(draw):
    model = draw(models(sizes=SIZES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return model, rng.normal(size=model.shape), rng.normal(size=model.shape)


@given(model_and_two_values())
def test_monotone(case):
    model, v, u = case
    low, high = np.minimum(v, u), np.maximum(v, u)
    t_low = growth.iterate(model, 1, v0=low)
    t_high = growth.iterate(model, 1, v0=high)
    assert np.all(t_low <= t_high + rounding(model, t_low, t_high))


@given(model_and_two_values())
def test_contraction(case):
    model, v, u = case
    tv, tu = growth.iterate(model, 1, v0=v), growth.iterate(model, 1, v0=u)
    assert np.max(np.abs(tv - tu)) <= model.beta * np.max(np.abs(v - u)) + rounding(model, tv, tu)


@given(model_and_two_values(), st.floats(-5.0, 5.0))
def test_constant_shift(case, c):
    model, v, _ = case
    tv, policy = growth.bellman(model, v)
    shifted, shifted_policy = growth.bellman(model, v + c)
    np.testing.assert_allclose(shifted, tv + model.beta * c, rtol=0,
                               atol=rounding(model, tv, shifted))


@given(models(sizes=SIZES))
def test_policy_is_feasible_and_monotone_in_capital(model):
    _, policy = growth.bellman(model, growth.iterate(model, 3))
    assert np.all(model.grid[policy] < model.output)
    assert np.all(np.diff(policy, axis=0) >= 0)
