"""The discrete fixed point approaches the continuous closed form as the grid is refined."""
import numpy as np

import vfi

BETA = 0.9
SIZES = (100, 400, 1600)


def converged_value(grid):
    # beta**305 < 1e-14: the iterate is within rounding of the discrete fixed point.
    variant = "numba-loops" if "numba-loops" in vfi.variants() else "numpy-broadcast"
    steps = int(np.ceil(np.log(1e-14) / np.log(BETA)))
    return vfi.iterate(grid, BETA, steps, variant=variant)


def test_sup_error_to_closed_form_falls_like_inverse_sqrt_n():
    errors = []
    for n in SIZES:
        grid = np.linspace(0.1, 1.0, n)
        value, exact = converged_value(grid), vfi.closed_form(grid, BETA)
        # Choices are restricted to grid points, so the discrete value is below the
        # continuous one everywhere (up to rounding).
        assert np.all(value <= exact + 1e-12)
        errors.append(np.max(exact - value))
    rates = np.log(np.array(errors[:-1]) / errors[1:]) / np.log(4)
    # Observed here: sup errors 0.128, 0.0639, 0.0319 for n = 100, 400, 1600, so the
    # rate is 0.50: the error is O(n^-1/2), driven by the sqrt kink at x_min.
    assert np.all((rates > 0.45) & (rates < 0.55)), (errors, rates)
