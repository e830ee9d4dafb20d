"""The compiled kernels keep no state between calls and release the GIL, so threads may
call them at once: several models of the same shape (same compiled specialisation, same
buffer sizes) solved concurrently from a thread pool give, bit for bit, what each gives
when computed alone.

No timings here: that the GIL is released is checked on the dispatchers' options.
"""
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import vfi
import vfi.growth as growth
import vfi.savings as savings

pytestmark = pytest.mark.skipif("numba-brute" not in savings.variants(),
                                reason="numba is not installed (the compiled kernels are its; "
                                       "the optional path is tested in test_optional.py)")

#: Rounds of the pool; in each, every job runs on its own thread, all started together.
ROUNDS = 3
#: Times each thread repeats its job within a round.
REPEATS = 2


def run_concurrently(jobs):
    """Run every job (a callable) on its own thread, all released by one barrier, for
    ROUNDS rounds of REPEATS calls each: ``[[result per call] per job]`` of each round."""
    barrier = threading.Barrier(len(jobs))

    def worker(job):
        barrier.wait(timeout=60)
        return [job() for _ in range(REPEATS)]

    rounds = []
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        for _ in range(ROUNDS):
            rounds.append([f.result(timeout=300) for f in [pool.submit(worker, job)
                                                           for job in jobs]])
            barrier.reset()
    return rounds


def assert_identical(got, expected, where):
    """Bit for bit: arrays by assert_array_equal (and dtype), SolveResults field by field."""
    if isinstance(expected, vfi.SolveResult):
        for name in ("value", "policy", "iterations", "error_bound", "converged", "method",
                     "variant"):
            assert_identical(getattr(got, name), getattr(expected, name), f"{where}.{name}")
    elif isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected), where
        for k, (a, b) in enumerate(zip(got, expected, strict=True)):
            assert_identical(a, b, f"{where}[{k}]")
    elif isinstance(expected, np.ndarray):
        assert got.dtype == expected.dtype and got.shape == expected.shape, where
        np.testing.assert_array_equal(got, expected, err_msg=where)
    else:
        assert got == expected, where


def check_threads_match_alone(jobs):
    """Each job's result alone (before and after the threads), then concurrently."""
    alone = [job() for job in jobs]
    for job, expected in zip(jobs, alone, strict=True):
        assert_identical(job(), expected, "a repeated call alone")
    for r, results in enumerate(run_concurrently(jobs)):
        for j, (calls, expected) in enumerate(zip(results, alone, strict=True)):
            for c, got in enumerate(calls):
                assert_identical(got, expected, f"round {r}, job {j}, call {c}")
    # Two different models of the same shape must give different answers (else the test
    # could not see one thread's state leak into another's).
    assert not np.array_equal(np.asarray(_value(alone[0])), np.asarray(_value(alone[1])))


def _value(result):
    if isinstance(result, vfi.SolveResult):
        return result.value
    return result[0] if isinstance(result, tuple) else result


# --- savings ---------------------------------------------------------------------------------


def savings_models():
    """Three households of the same shape (160 x 4): different grids, incomes, P, gamma."""
    P = np.array([[0.7, 0.3, 0.0, 0.0], [0.1, 0.8, 0.1, 0.0],
                  [0.0, 0.2, 0.6, 0.2], [0.0, 0.0, 0.25, 0.75]])
    return [
        savings.OptimalSavings(R=1.01, beta=0.96, gamma=2.0, grid=np.linspace(0.01, 6.0, 160),
                               y=[0.4, 0.8, 1.2, 2.0], P=P),
        savings.OptimalSavings(R=1.03, beta=0.93, gamma=1.7,
                               grid=0.02 + 9.0 * np.linspace(0.0, 1.0, 160) ** 2,
                               y=[0.3, 0.9, 1.1, 2.5], P=P.T @ P / (P.T @ P).sum(1, keepdims=True)),
        savings.OptimalSavings(R=0.99, beta=0.95, gamma=1.0, grid=np.geomspace(0.05, 8.0, 160),
                               y=[0.5, 1.0, 1.5, 2.0], P=np.full((4, 4), 0.25)),
    ]


@pytest.mark.parametrize("method", ["vfi", "howard", "mpi"])
@pytest.mark.parametrize("variant", ["numba-monotone", "numba-brute"])
def test_savings_solves_from_threads_match_alone(variant, method):
    jobs = [lambda model=model: savings.solve(model, tol=1e-8, method=method, variant=variant)
            for model in savings_models()]
    check_threads_match_alone(jobs)


@pytest.mark.parametrize("variant", ["numba-monotone", "numba-brute"])
def test_savings_iterate_from_threads_matches_alone(variant):
    models = savings_models()
    rng = np.random.default_rng(3)
    starts = [None, rng.normal(size=models[1].shape), 10 * rng.normal(size=models[2].shape)]
    jobs = [lambda model=model, v0=v0: savings.iterate(model, 25, variant=variant, v0=v0,
                                                       return_policy=True)
            for model, v0 in zip(models, starts, strict=True)]
    check_threads_match_alone(jobs)


def test_savings_mixed_calls_from_threads_match_alone():
    """Different entry points at once: iterate, bellman, solve with a warm start."""
    models = savings_models()
    v = np.random.default_rng(4).normal(size=models[0].shape)
    jobs = [lambda: savings.iterate(models[0], 40, variant="numba-brute", return_policy=True),
            lambda: savings.bellman(models[1], v, variant="numba-monotone"),
            lambda: savings.solve(models[2], tol=1e-9, method="howard"),
            lambda: savings.solve(models[0], tol=1e-9, method="mpi", v0=v)]
    check_threads_match_alone(jobs)


# --- growth ----------------------------------------------------------------------------------


def growth_models(n=300):
    """afv2015(n) and two more of its shape: other alpha, beta and grids."""
    base = growth.afv2015(n)
    models = [base]
    for alpha, beta, low, high in ((0.3, 0.95, 0.6, 1.6), (0.36, 0.9, 0.4, 2.0)):
        kss = (alpha * beta) ** (1.0 / (1.0 - alpha))
        grid = np.linspace(low * kss, high * kss, n)
        models.append(growth.StochasticGrowth(grid, base.z, base.P, alpha, beta))
    return models


@pytest.mark.parametrize("variant", ["numba-monotone", "numba-brute"])
def test_growth_solves_from_threads_match_alone(variant):
    jobs = [lambda model=model, method=method: growth.solve(model, tol=1e-8, method=method,
                                                            variant=variant)
            for model, method in zip(growth_models(), ["mpi", "howard", "vfi"],
                                     strict=True)]
    check_threads_match_alone(jobs)


@pytest.mark.parametrize("variant", ["numba-monotone", "numba-brute"])
def test_growth_iterate_from_threads_matches_alone(variant):
    jobs = [lambda model=model: growth.iterate(model, 30, variant=variant, return_policy=True)
            for model in growth_models()]
    check_threads_match_alone(jobs)


# --- cake eating -----------------------------------------------------------------------------


def cake_grids(n=400):
    """Uniform grids (the concave scan, tabulated utilities) and uneven ones (the
    family's monotone step), all of n points."""
    return [np.linspace(0.0, 1.0, n), np.linspace(0.1, 3.0, n),
            np.linspace(0.0, 1.0, n) ** 2, np.geomspace(0.01, 2.0, n)]


@pytest.mark.parametrize("variant", ["numba-concave", "numba-monotone"])
def test_cake_iterate_from_threads_matches_alone(variant):
    if variant not in vfi.variants():
        pytest.skip(vfi.unavailable_variants().get(variant, "not registered"))
    rng = np.random.default_rng(5)
    jobs = []
    for k, grid in enumerate(cake_grids()):
        beta = (0.95, 0.9, 0.95, 0.8)[k]
        jobs.append(lambda grid=grid, beta=beta: vfi.iterate(grid, beta, 50, variant=variant,
                                                             return_policy=True))
    v0 = rng.normal(size=400)  # not concave: the divide-and-conquer path
    jobs.append(lambda: vfi.iterate(cake_grids()[0], 0.9, 50, variant=variant, v0=v0,
                                    return_policy=True))
    check_threads_match_alone(jobs)


# --- the GIL ---------------------------------------------------------------------------------


def numba_dispatchers(module):
    from numba.core.registry import CPUDispatcher

    return {name: f for name, f in vars(module).items() if isinstance(f, CPUDispatcher)}


def test_family_kernel_releases_the_gil():
    import vfi.family.numba as family_numba

    assert family_numba._iterate.targetoptions.get("nogil") is True
    assert family_numba._evaluate.targetoptions.get("nogil") is True


@pytest.mark.parametrize("module", ["vfi.family.numba", "vfi.cake.numba",
                                    "vfi.cake.numba_parallel"])
def test_every_compiled_kernel_releases_the_gil(module):
    import importlib

    dispatchers = numba_dispatchers(importlib.import_module(module))
    assert dispatchers, f"no numba dispatchers found in {module}"
    held = sorted(name for name, f in dispatchers.items()
                  if f.targetoptions.get("nogil") is not True)
    assert not held, f"{module}: compiled without nogil=True: {held}"
