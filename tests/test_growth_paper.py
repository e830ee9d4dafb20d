"""The paper's case (Aruoba & Fernández-Villaverde 2015) and the closed form."""
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from members import needs

import vfi.growth as growth
from vfi.growth import model as gm

needs_numba = needs("growth", "numba-monotone")


@pytest.fixture(scope="module")
def paper():
    return growth.afv2015()


def test_afv2015_grid_and_calibration(paper):
    kss = (1 / 3 * 0.95) ** (1 / (1 - 1 / 3))  # as the paper computes it
    assert paper.n == 17820 and paper.m == 5
    np.testing.assert_array_equal(paper.grid, 0.5 * kss + 1e-5 * np.arange(17820))
    np.testing.assert_allclose(paper.P.sum(axis=1), 1.0, atol=1e-15)
    np.testing.assert_allclose(paper.P, np.array(gm.AFV_PAPER_P), atol=1.01e-4)
    small = growth.afv2015(100)
    assert small.n == 100 and small.grid[0] == paper.grid[0]
    assert small.grid[-1] == pytest.approx(paper.grid[-1], abs=1e-15)


@needs_numba
def test_paper_stopping_rule_gives_257_iterations_and_the_check_value(paper):
    value, policy, iterations = growth.paper_vfi(paper, tol=1e-7, variant="numba-monotone")
    assert iterations == 257
    # The paper prints 0.146549 with its middle row summing to 1.0001; with that row
    # divided by its sum the policy is one grid step lower.
    assert round(paper.grid[policy[999, 2]], 6) == 0.146539


@needs_numba
def test_paper_transition_as_printed_gives_the_papers_check_value():
    """The kernels on the paper's own (not quite stochastic) P: 257 and 0.146549."""
    from vfi.family.numba import iterate_until
    from vfi.family.spec import LOG, FamilySpec

    grid = gm.afv_grid()
    output = grid[:, None] ** gm.AFV_ALPHA * np.array(gm.AFV_Z)[None, :]
    spec = FamilySpec(grid, output, np.array(gm.AFV_PAPER_P), gm.AFV_BETA, LOG,
                      1.0 - gm.AFV_BETA)
    value, policy, iterations = iterate_until(spec, np.zeros((grid.size, 5)), 1e-7, 1000)
    assert iterations == 257
    assert round(grid[policy[999, 2]], 6) == 0.146549


@needs_numba
def test_paper_rule_in_python_matches_the_compiled_one():
    model = growth.afv2015(300)
    a = growth.paper_vfi(model, tol=1e-6, variant="numba-monotone")
    b = growth.paper_vfi(model, tol=1e-6, variant="numpy-blocked")
    assert a[2] == b[2]
    np.testing.assert_allclose(a[0], b[0], atol=1e-12)


@needs_numba
def test_discrete_solution_is_close_to_the_closed_form(paper):
    result = growth.solve(paper, tol=1e-9, method="mpi", warm_start=True)
    value, next_capital = growth.closed_form(paper)
    steps = np.abs(paper.grid[result.policy] - next_capital) / 1e-5
    assert steps.max() <= 3
    below = value - result.value
    assert below.min() >= -result.error_bound and below.max() < 1e-4


def test_closed_form_solves_the_continuous_bellman_equation():
    model = growth.afv2015(50)
    value, next_capital = growth.closed_form(model)
    a, b = model.alpha, model.beta
    B = a / (1 - a * b)
    E = value[0] / (1 - b) - B * np.log(model.grid[0])
    continuation = (1 - b) * (B * np.log(next_capital)[:, :, None] + E[None, None, :])
    rhs = (1 - b) * np.log(model.output - next_capital) + b * np.einsum(
        "ist,st->is", continuation, model.P)
    np.testing.assert_allclose(rhs, value, atol=1e-12)


@pytest.mark.skipif(shutil.which("c++") is None and shutil.which("g++") is None,
                    reason="no C++ compiler")
def test_cpp_baseline_reproduces_the_iterations_and_check_values(tmp_path):
    source = Path(__file__).resolve().parents[1] / "cpp" / "afv.cpp"
    binary = tmp_path / "afv"
    compiler = shutil.which("g++") or shutil.which("c++")
    subprocess.run([compiler, "-O3", "-o", str(binary), str(source)], check=True)
    for args, check in (([], "0.1465391"), (["paper"], "0.1465491")):
        out = subprocess.run([str(binary), *args], capture_output=True, text=True, check=True)
        words = out.stdout.split()
        assert words[:2] == ["iterations", "257"] and words[3].startswith(check)
        assert float(words[5]) > 0
