"""Same-run ratios for issue 31 (the family's kernels), medians of interleaved calls.

    .venv/bin/python tools/bench_family.py growth-step   # greedy step: log-free vs logs
    .venv/bin/python tools/bench_family.py growth-solve  # default solve vs the C++ baseline
    .venv/bin/python tools/bench_family.py savings [12|100]  # default solve vs DiscreteDP
    .venv/bin/python tools/bench_family.py mpi-krylov    # "mpi" with and without BiCGSTAB

Every ratio is of two things timed alternately in this one process (the machine may be
loaded: only ratios are meaningful).
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time

import numpy as np


def interleaved(runs, repeats):
    """{name: median seconds}, the calls alternating name after name."""
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def growth_step(repeats=200):
    import vfi.growth as growth
    from vfi.family import numba as fnb

    model = growth.afv2015()
    spec = model.spec
    value = growth.solve(model, tol=2e-6).value
    n, m = value.shape
    out, pol = np.empty_like(value), np.zeros(value.shape, np.int64)
    w, hat = np.empty((m, n)), np.empty(n)

    def step(algorithm):
        return lambda: fnb.step(*spec, value, out, pol, w, hat, algorithm)

    step(fnb.MONOTONE)()
    new_value, new_policy = out.copy(), pol.copy()
    step(fnb.MONOTONE_LOGS)()
    assert np.array_equal(pol, new_policy) and np.array_equal(out, new_value)
    log_tests = sum(fnb.log_free_scan_column(spec.choices, spec.resources, w[s], s,
                                             spec.param, out, pol, fnb.GUARD)
                    for s in range(m))
    medians = interleaved({"log-free": step(fnb.MONOTONE), "logs": step(fnb.MONOTONE_LOGS),
                           "expectation": lambda: fnb.expect(spec.P, spec.beta, value, w)},
                          repeats)
    print(f"greedy step on the paper grid {n} x {m}, from the converged value, "
          f"median of {repeats} interleaved calls:")
    for name, seconds in medians.items():
        print(f"  {name:12s} {seconds * 1e3:8.3f} ms")
    print(f"  logs / log-free: {medians['logs'] / medians['log-free']:.2f}x; "
          f"comparisons in the guard band: {log_tests}; identical value and policy")


def growth_solve(repeats=5, inner=20):
    import vfi.growth as growth
    from vfi_bench import cpp_baseline

    model = growth.afv2015()
    result = growth.solve(model, tol=2e-6)
    with tempfile.TemporaryDirectory() as directory:
        binary = cpp_baseline.build_cpp(directory)
        ours, cpp = [], []
        for _ in range(repeats):
            for _ in range(inner):
                start = time.perf_counter()
                growth.solve(model, tol=2e-6)
                ours.append(time.perf_counter() - start)
            cpp.append(cpp_baseline.run_cpp(binary)["seconds"])
    ours, cpp = statistics.median(ours), statistics.median(cpp)
    print(f"growth default solve(afv2015(), tol=2e-6): {ours * 1e3:.2f} ms, C++ {cpp:.3f} s: "
          f"C++ / ours {cpp / ours:.1f}x; bound {result.error_bound:.2e}, "
          f"grid[policy[999, 2]] = {model.grid[result.policy[999, 2]]:.6f}")


def savings(calibration="12", peer_repeats=None, tol=1e-8):
    import vfi.savings as savings_api
    from vfi.savings import peer

    options = {"12": {"w_max": 10.0, "y_size": 12}, "100": {"w_max": 5.0, "y_size": 100}}
    model = savings_api.quantecon(**options[calibration])
    ddp = peer.discrete_dp(model.grid, model.y, model.P, model.R, model.beta, model.gamma)
    ours = savings_api.solve(model, tol=tol)
    peer_repeats = peer_repeats or (5 if calibration == "12" else 1)
    inner = 20 if calibration == "12" else 3
    times = {"ours": [], "policy_iteration": [], "modified_policy_iteration": []}
    identical = {}
    for _ in range(peer_repeats):
        for _ in range(inner):
            start = time.perf_counter()
            savings_api.solve(model, tol=tol)
            times["ours"].append(time.perf_counter() - start)
        for method in ("policy_iteration", "modified_policy_iteration"):
            start = time.perf_counter()
            _, policy, _ = peer.solve_discrete_dp(ddp, method, epsilon=tol, max_iter=100_000)
            times[method].append(time.perf_counter() - start)
            identical[method] = bool((policy == ours.policy).all())
    medians = {name: statistics.median(t) for name, t in times.items()}
    print(f"savings, {calibration} income states, tol {tol:g}: ours {medians['ours'] * 1e3:.2f} ms "
          f"({ours.iterations} greedy steps)")
    for method in ("policy_iteration", "modified_policy_iteration"):
        print(f"  DiscreteDP {method}: {medians[method] * 1e3:.1f} ms, "
              f"{medians[method] / medians['ours']:.1f}x ours; policy identical: "
              f"{identical[method]}")


def mpi_krylov(repeats=30):
    """The default solve with "mpi" as plain sweeps and as MPI_KRYLOV (the switch is
    ``vfi.family.numba.MPI_DEFAULT``, read at each call), alternating, on both savings
    calibrations and the growth model; also Howard, whose evaluation is now BiCGSTAB."""
    import vfi.growth as growth
    import vfi.savings as savings_api
    from vfi.family import numba as fnb

    cases = {"savings 12": (savings_api, savings_api.quantecon(w_max=10.0, y_size=12), 1e-8),
             "savings 100": (savings_api, savings_api.quantecon(w_max=5.0, y_size=100), 1e-8),
             "growth afv2015": (growth, growth.afv2015(), 2e-6)}
    for name, (member, model, tol) in cases.items():
        def run(method, model=model, member=member, tol=tol):
            def call():
                fnb.MPI_DEFAULT = method
                return member.solve(model, tol=tol)
            return call

        results = {label: run(method)() for label, method in
                   (("mpi sweeps", fnb.MPI), ("mpi krylov", fnb.MPI_KRYLOV))}
        same = bool((results["mpi sweeps"].policy == results["mpi krylov"].policy).all())
        count = repeats if "100" not in name else max(3, repeats // 6)
        medians = interleaved({"mpi sweeps": run(fnb.MPI), "mpi krylov": run(fnb.MPI_KRYLOV)},
                              count)
        fnb.MPI_DEFAULT = fnb.MPI_KRYLOV
        print(f"{name}: mpi sweeps {medians['mpi sweeps'] * 1e3:.2f} ms "
              f"({results['mpi sweeps'].iterations} greedy steps), mpi krylov "
              f"{medians['mpi krylov'] * 1e3:.2f} ms ({results['mpi krylov'].iterations}): "
              f"{medians['mpi sweeps'] / medians['mpi krylov']:.2f}x; same policy: {same}")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "growth-step"
    if what == "growth-step":
        growth_step()
    elif what == "growth-solve":
        growth_solve()
    elif what == "mpi-krylov":
        mpi_krylov()
    elif what == "savings":
        savings(*sys.argv[2:3])
    else:
        raise SystemExit(__doc__)
