"""Every bad input raises ValueError or TypeError naming the parameter and the rule."""
import numpy as np
import pytest

import vfi.growth as growth

GOOD = dict(grid=np.linspace(0.1, 0.3, 20), z=np.array([0.95, 1.05]),
            P=np.array([[0.9, 0.1], [0.2, 0.8]]), alpha=0.3, beta=0.95)

BAD = [
    ("grid", np.ones((2, 10)), ValueError, "grid must be 1-D"),
    ("grid", np.array([]), ValueError, "grid must not be empty"),
    ("grid", np.array([0.1, np.nan]), ValueError, "grid must be finite"),
    ("grid", np.array([0.0, 0.1]), ValueError, "grid must be positive"),
    ("grid", np.array([-0.1, 0.1]), ValueError, "grid must be positive"),
    ("grid", np.array([0.2, 0.1]), ValueError, "grid must be strictly increasing"),
    ("grid", np.array([0.1, 0.1]), ValueError, "grid must be strictly increasing"),
    ("grid", np.array(["a", "b"]), TypeError, "grid must be numeric"),
    ("grid", np.array([0.1 + 1j, 0.2]), TypeError, "grid must be real"),
    ("z", np.array([1.0, -1.0]), ValueError, "z must be positive"),
    ("z", np.array([1.0, np.inf]), ValueError, "z must be finite"),
    ("z", np.array([[1.0, 1.0]]), ValueError, "z must be 1-D"),
    ("P", np.array([[0.9, 0.1]]), ValueError, "P must be square and match z"),
    ("P", np.eye(3), ValueError, "P must be square and match z"),
    ("P", np.array([[1.1, -0.1], [0.5, 0.5]]), ValueError, "P must be non-negative"),
    ("P", np.array([[0.9, 0.2], [0.5, 0.5]]), ValueError, "P rows must sum to 1"),
    ("P", np.array([[0.9, 0.1 + 1e-9], [0.5, 0.5]]), ValueError, "P rows must sum to 1"),
    ("P", np.array([[0.9, np.nan], [0.5, 0.5]]), ValueError, "P must be finite"),
    ("alpha", 0.0, ValueError, "alpha must be in the open interval"),
    ("alpha", 1.0, ValueError, "alpha must be in the open interval"),
    ("alpha", "0.3", TypeError, "alpha must be a real number"),
    ("beta", 1.0, ValueError, "beta must be in the open interval"),
    ("beta", float("nan"), ValueError, "beta must be in the open interval"),
    ("beta", True, TypeError, "beta must be a real number"),
]


@pytest.mark.parametrize("name, value, error, message", BAD)
def test_bad_model_input(name, value, error, message):
    with pytest.raises(error, match=message):
        growth.StochasticGrowth(**{**GOOD, name: value})


def test_no_feasible_choice():
    with pytest.raises(ValueError, match=r"grid\[0\] < min\(z\) \* grid\[0\]\*\*alpha"):
        growth.StochasticGrowth(**{**GOOD, "grid": np.array([2.0, 3.0])})


@pytest.mark.parametrize("name, value, error, message", BAD)
def test_bad_model_input_messages_print_plain_numbers(name, value, error, message):
    with pytest.raises(error) as info:
        growth.StochasticGrowth(**{**GOOD, name: value})
    assert "np." not in str(info.value)


def test_infeasible_grid_message_shows_the_two_numbers():
    with pytest.raises(ValueError) as info:
        growth.StochasticGrowth(**{**GOOD, "grid": np.array([2.0, 3.0])})
    bound = GOOD["z"].min() * 2.0 ** GOOD["alpha"]
    assert str(info.value).endswith(f"got 2.0 >= {float(bound)!r}")


def test_inputs_are_copied_and_read_only():
    arrays = {k: np.array(v, dtype=float) for k, v in GOOD.items() if k in ("grid", "z", "P")}
    keep = {k: v.copy() for k, v in arrays.items()}
    model = growth.StochasticGrowth(alpha=0.3, beta=0.95, **arrays)
    for k, v in arrays.items():
        v *= 2
        np.testing.assert_array_equal(getattr(model, k), keep[k])
        assert not getattr(model, k).flags.writeable
    with pytest.raises((AttributeError, TypeError)):
        model.beta = 0.5


@pytest.fixture
def model():
    return growth.StochasticGrowth(**GOOD)


@pytest.mark.parametrize("call, error, message", [
    (lambda m: growth.iterate(m, -1), ValueError, "num_iter must be >= 0"),
    (lambda m: growth.iterate(m, 1.0), TypeError, "num_iter must be an integer"),
    (lambda m: growth.iterate(m, 0, return_policy=True), ValueError, "num_iter must be >= 1"),
    (lambda m: growth.iterate(m, 1, v0=np.zeros(20)), ValueError, r"v0 must have shape \(20, 2\)"),
    (lambda m: growth.iterate(m, 1, v0=np.full((20, 2), np.nan)), ValueError, "v0 must be finite"),
    (lambda m: growth.iterate(m, 1, variant="nope-nope"), ValueError, "variant must be one of"),
    (lambda m: growth.iterate(m.grid, 1), TypeError, "model must be a vfi.growth.StochasticGrowth"),
    (lambda m: growth.solve(m, tol=0.0), ValueError, "tol must be positive"),
    (lambda m: growth.solve(m, method="newton"), ValueError, "method must be one of"),
    (lambda m: growth.solve(m, max_iter=0), ValueError, "max_iter must be >= 1"),
    (lambda m: growth.solve(m, sweeps=0), ValueError, "sweeps must be >= 1"),
    (lambda m: growth.paper_vfi(m, tol=-1.0), ValueError, "tol must be positive"),
    (lambda m: growth.afv2015(1), ValueError, "n_capital must be >= 2"),
    (lambda m: growth.afv2015(2.5), TypeError, "n_capital must be an integer"),
])
def test_bad_call(model, call, error, message):
    with pytest.raises(error, match=message):
        call(model)


def test_a_mistyped_growth_variant_gets_the_close_match(model):
    with pytest.raises(ValueError, match="did you mean 'numba-monotone'"):
        growth.solve(model, variant="numba-monotonic")


def test_iterate_zero_steps_returns_a_copy_of_v0(model):
    v0 = np.ones(model.shape)
    out = growth.iterate(model, 0, v0=v0)
    np.testing.assert_array_equal(out, v0)
    assert out is not v0


def test_registry_lists_growth_variants():
    from vfi import registry

    assert "growth" in registry.problems()
    names = registry.variants("growth", include_unavailable=True)
    assert {"python-loops", "numpy-blocked", "numba-brute", "numba-monotone",
            "jax-blocked"} <= set(names)
    assert "jax-vmap" not in names  # the old name of jax-blocked, still accepted:
    assert registry.get_variant("growth", "jax-vmap").name == "jax-blocked"
    assert set(growth.variants()) | set(growth.unavailable_variants()) == set(names)
