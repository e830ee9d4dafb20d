"""Every bad input raises the documented error, for every variant, and leaves inputs unchanged."""
import numpy as np
import pytest

import vfi
from vfi import growth, savings
from vfi.validation import plain

VARIANTS = vfi.variants()
GOOD_GRID = np.linspace(0.1, 1.0, 5)

# (grid, beta, num_iter, v0) -> (exception, message fragment naming parameter and rule)
BAD_INPUTS = {
    "grid 2-D": (np.ones((2, 3)), 0.9, 3, None, ValueError, "grid must be 1-D"),
    "grid scalar": (1.0, 0.9, 3, None, ValueError, "grid must be 1-D"),
    "grid empty": (np.array([]), 0.9, 3, None, ValueError, "grid must not be empty"),
    "grid NaN": (np.array([0.1, np.nan, 1.0]), 0.9, 3, None, ValueError, "grid must be finite"),
    "grid inf": (np.array([0.1, 0.5, np.inf]), 0.9, 3, None, ValueError, "grid must be finite"),
    "grid negative": (np.array([-0.1, 0.5, 1.0]), 0.9, 3, None, ValueError,
                      "grid must be non-negative"),
    "grid decreasing": (np.array([0.1, 0.7, 0.5]), 0.9, 3, None, ValueError,
                        "grid must be strictly increasing"),
    "grid repeated": (np.array([0.1, 0.5, 0.5]), 0.9, 3, None, ValueError,
                      "grid must be strictly increasing"),
    "grid strings": (np.array(["a", "b"]), 0.9, 3, None, TypeError, "grid must be numeric"),
    "grid objects": (np.array([0.1, None], dtype=object), 0.9, 3, None, TypeError,
                     "grid must be numeric"),
    "grid complex": (np.array([0.1, 1j]), 0.9, 3, None, TypeError, "grid must be real"),
    "beta NaN": (GOOD_GRID, np.nan, 3, None, ValueError,
                 "beta must be in the open interval (0, 1)"),
    "beta zero": (GOOD_GRID, 0.0, 3, None, ValueError, "beta must be in the open interval (0, 1)"),
    "beta one": (GOOD_GRID, 1.0, 3, None, ValueError, "beta must be in the open interval (0, 1)"),
    "beta negative": (GOOD_GRID, -0.5, 3, None, ValueError,
                      "beta must be in the open interval (0, 1)"),
    "beta string": (GOOD_GRID, "0.9", 3, None, TypeError, "beta must be a real number"),
    "num_iter negative": (GOOD_GRID, 0.9, -1, None, ValueError, "num_iter must be >= 0"),
    "num_iter float": (GOOD_GRID, 0.9, 3.0, None, TypeError, "num_iter must be an integer"),
    "num_iter bool": (GOOD_GRID, 0.9, True, None, TypeError, "num_iter must be an integer"),
    "v0 wrong shape": (GOOD_GRID, 0.9, 3, np.zeros(4), ValueError, "v0 must have shape (5,)"),
    "v0 NaN": (GOOD_GRID, 0.9, 3, np.array([0, 1, np.nan, 2, 3.0]), ValueError,
               "v0 must be finite"),
    "v0 inf": (GOOD_GRID, 0.9, 3, np.array([0, 1, -np.inf, 2, 3.0]), ValueError,
               "v0 must be finite"),
}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_raises_named_error(case, variant):
    grid, beta, num_iter, v0, error, message = BAD_INPUTS[case]
    grid_before = np.array(grid, copy=True)
    v0_before = None if v0 is None else v0.copy()
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        vfi.iterate(grid, beta, num_iter, variant=variant, v0=v0)
    np.testing.assert_array_equal(np.asarray(grid), grid_before)
    if v0 is not None:
        np.testing.assert_array_equal(v0, v0_before)


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_messages_print_plain_numbers(case):
    grid, beta, num_iter, v0, error, _ = BAD_INPUTS[case]
    with pytest.raises(error) as info:
        vfi.iterate(grid, beta, num_iter, v0=v0)
    assert "np." not in str(info.value)


@pytest.mark.parametrize("make, shown", [
    (lambda: vfi.iterate(np.array([-0.5, 1.0]), 0.9, 2), "got minimum -0.5"),
    (lambda: vfi.iterate(GOOD_GRID, np.float64(1.5), 2), "got 1.5"),
    (lambda: savings.OptimalSavings(R=0.5, beta=0.9, gamma=2.0, grid=np.array([10.0, 11.0]),
                                    y=np.array([1.0]), P=np.eye(1)), "got 6.0 <= 10.0"),
    (lambda: savings.OptimalSavings(R=1.0, beta=0.9, gamma=2.0, grid=np.array([1.0, 2.0]),
                                    y=np.array([1.0, -2.0]), P=np.eye(2)), "got minimum -2.0"),
])
def test_numbers_in_messages_are_not_numpy_reprs(make, shown):
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value).endswith(shown), str(info.value)


def test_plain_writes_numpy_scalars_as_python_numbers():
    assert [plain(x) for x in (np.float64(2.5), np.int64(3), np.float32(0.5), 0.1, "a",
                               np.str_("b"))] == ["2.5", "3", "0.5", "0.1", "'a'", "'b'"]


@pytest.mark.parametrize("make", [
    lambda method: vfi.solve(GOOD_GRID, 0.9, method=method),
    lambda method: growth.solve(growth.afv2015(30), method=method),
    lambda method: savings.solve(savings.OptimalSavings(
        R=1.01, beta=0.9, gamma=2.0, grid=np.linspace(1.0, 2.0, 5), y=np.array([1.0]),
        P=np.eye(1)), method=method),
], ids=["cake", "growth", "savings"])
def test_a_mistyped_method_is_shown_plainly_with_the_nearest_name(make):
    with pytest.raises(ValueError, match=r"method must be one of .*howard.*; "
                                         r"got 'hovard'; did you mean 'howard'\?$"):
        make(np.str_("hovard"))


def test_unknown_variant_lists_known_names():
    with pytest.raises(ValueError, match="variant must be one of") as info:
        vfi.iterate(GOOD_GRID, 0.9, 3, variant="fortran-magic")
    for name in VARIANTS:
        assert name in str(info.value)


@pytest.mark.parametrize("typed, meant", [("numba-loop", "numba-loops"),
                                          ("Numba-Loops", "numba-loops"),
                                          ("numpy-mask", "numpy-masked"),
                                          ("jax-vamp", "jax-vmap")])
def test_a_mistyped_variant_gets_the_close_match(typed, meant):
    with pytest.raises(ValueError, match="variant must be one of") as info:
        vfi.iterate(GOOD_GRID, 0.9, 3, variant=typed)
    assert str(info.value).endswith(f"got {typed!r}; did you mean {meant!r}?")


@pytest.mark.parametrize("typed", ["fortran-magic", 3, np.str_("zzz")])
def test_a_variant_like_no_other_gets_no_suggestion(typed):
    with pytest.raises(ValueError, match="variant must be one of") as info:
        vfi.iterate(GOOD_GRID, 0.9, 3, variant=typed)
    assert "did you mean" not in str(info.value) and "np.str_" not in str(info.value)


def test_policy_needs_a_step():
    with pytest.raises(ValueError, match="num_iter must be >= 1 when return_policy"):
        vfi.iterate(GOOD_GRID, 0.9, 0, return_policy=True)


def test_zero_steps_returns_a_copy_of_v0():
    v0 = np.arange(5.0)
    out = vfi.iterate(GOOD_GRID, 0.9, 0, v0=v0)
    np.testing.assert_array_equal(out, v0)
    out[0] = 99.0
    assert v0[0] == 0.0


@pytest.mark.parametrize("variant", VARIANTS)
def test_inputs_not_mutated_and_read_only_inputs_accepted(variant):
    grid = GOOD_GRID.copy()
    v0 = np.linspace(-1, 1, 5)
    grid.flags.writeable = False
    v0.flags.writeable = False
    value, policy = vfi.iterate(grid, 0.9, 4, variant=variant, v0=v0, return_policy=True)
    np.testing.assert_array_equal(grid, GOOD_GRID)
    # the same answer as from writable copies, and as the brute force
    expected, expected_policy = vfi.iterate(GOOD_GRID.copy(), 0.9, 4, variant="numpy-masked",
                                            v0=np.linspace(-1, 1, 5), return_policy=True)
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(policy, expected_policy)
    np.testing.assert_array_equal(v0, np.linspace(-1, 1, 5))


@pytest.mark.parametrize("variant", VARIANTS)
def test_integer_and_list_grids_are_accepted(variant):
    np.testing.assert_allclose(vfi.iterate([0, 1, 4], 0.5, 1, variant=variant),
                               vfi.iterate(np.array([0.0, 1.0, 4.0]), 0.5, 1))


def test_closed_form_validates_and_matches_formula():
    grid = np.array([0.2, 0.3, 1.0])
    np.testing.assert_allclose(vfi.closed_form(grid, 0.6),
                               np.sqrt((grid - 0.2) / (1 - 0.36)))
    with pytest.raises(ValueError, match="beta must be in the open interval"):
        vfi.closed_form(grid, 1.5)
