"""``python -m vfi_bench afv``: the comparison table, on a small grid to stay fast."""
import subprocess
import sys

import pytest

import vfi.growth as growth
from vfi_bench import cpp_baseline as report

SMALL_TABLE = {"n_capital": 1000, "budget": 0.1}
needs_numba = pytest.mark.skipif("numba-monotone" not in growth.variants(),
                                 reason="needs numba")


def run(*args):
    return subprocess.run([sys.executable, "-m", "vfi_bench", "afv", *args], capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def small_table():
    """``python -m vfi_bench afv`` on 1000 points with a 0.1 s budget, run once for the module."""
    return run("--n-capital", str(SMALL_TABLE["n_capital"]), "--repeats", "1",
               "--budget", str(SMALL_TABLE["budget"]))


@needs_numba
def test_afv_prints_the_table(small_table):
    out = small_table
    assert out.returncode == 0, out.stderr
    assert "1000 capital points x 5 states" in out.stdout
    assert "C++ baseline" in out.stdout  # its time, or why it is unavailable
    header = next(line for line in out.stdout.splitlines() if line.startswith("variant"))
    for column in ("method", "seconds", "iterations", "x ", "check", "sup error"):
        assert column in header
    rows = {tuple(line.split()[:2]): line.split() for line in out.stdout.splitlines()
            if line.startswith("numba-monotone")}
    assert set(rows) == {("numba-monotone", m) for m in
                         ("paper", "vfi", "howard", "mpi", "howard+c2f", "mpi+c2f")}
    assert rows["numba-monotone", "paper"][3] == "257"
    for fields in rows.values():
        assert float(fields[-1]) < 2e-6  # sup error to the 1e-12 solution
    assert "skipped: about" in out.stdout  # python-loops is over any sensible budget


@pytest.mark.parametrize("args, message", [
    (("--repeats", "0"), "--repeats must be >= 1"),
    (("--n-capital", "10"), "--n-capital must be >= 1000"),
    (("--repeats", "x"), "invalid int value"),
])
def test_afv_usage_errors(args, message):
    out = run(*args)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr


def _row_fields(stdout):
    return {tuple(line.split()[:2]): line.split() for line in stdout.splitlines()
            if line.split() and line.split()[0] in growth.variants()}


def _expected_rows(n_capital, budget):
    """``(estimated, skipped)`` (variant, method) pairs by the cost model."""
    over = [(v, m) for v in growth.variants() for m in report.METHODS
            if report.estimated_seconds(v, m, n_capital) > budget]
    estimated = {(v, m) for v, m in over if m == "paper" and report.costs.is_brute_force(
        "growth", v, report.costs.declared_order("growth", v))}
    return estimated, [pair for pair in over if pair not in estimated]


def _skipped_listing(line):
    """``skipped: ...: v m1, m2; w m3`` as [(v, m1), (v, m2), (w, m3)]."""
    listing = line.rsplit(": ", 1)[1]
    return [(variant, method) for group in listing.split("; ")
            for variant, methods in [group.split(" ", 1)] for method in methods.split(", ")]


@needs_numba
def test_afv_estimates_the_slow_paper_rows_and_lists_skipped_rows_once(small_table):
    out = small_table
    assert out.returncode == 0, out.stderr
    estimated, skipped = _expected_rows(**SMALL_TABLE)
    assert estimated and skipped  # the budget leaves both kinds
    rows = _row_fields(out.stdout)
    assert set(rows) == {(v, m) for v in growth.variants() for m in report.METHODS
                         if (v, m) not in skipped}
    for pair in estimated:
        fields = rows[pair]
        assert fields[2].startswith("~") and float(fields[2][1:]) > 0
        assert fields[3] == fields[5] == fields[6] == "-"
    for pair in set(rows) - estimated:
        assert not rows[pair][2].startswith("~") and rows[pair][3] != "-"
    lines = out.stdout.splitlines()
    footnote = next(i for i, line in enumerate(lines) if line.startswith("~ estimate"))
    iterations = rows["numba-monotone", "paper"][3]
    assert f"(n/n_small)^2 x {iterations} iterations" in lines[footnote]
    for variant, _ in estimated:
        n_small = report.estimate_grid(variant, SMALL_TABLE["n_capital"], 5,
                                       SMALL_TABLE["budget"], 3)
        assert f"{variant} {n_small}" in lines[footnote + 1]
    skipped_lines = [line for line in lines if "skipped" in line]
    assert len(skipped_lines) == 1
    assert skipped_lines[0].startswith("skipped: about")
    assert f"over the {SMALL_TABLE['budget']:g} s budget" in skipped_lines[0]
    assert _skipped_listing(skipped_lines[0]) == skipped


def test_estimated_paper_row_scales_a_step_by_n_squared_and_iterations():
    calls = []

    def step_seconds(model, variant, steps, repeats):
        calls.append((model.n, variant, steps, repeats))
        return 1e-3 * model.n / 100  # any time per step; the row must scale it

    n, budget, iterations = 5000, 0.2, 311
    row = report.estimated_paper_row("numpy-blocked", n, 5, budget, iterations, steps=4,
                                     repeats=2, step_seconds=step_seconds)
    n_small = row.measured_at
    assert calls == [(n_small, "numpy-blocked", 4, 2)]
    assert row.estimated and row.measured_steps == 4 and row.iterations == iterations
    assert row.seconds == pytest.approx(1e-3 * n_small / 100 * (n / n_small) ** 2 * iterations)
    assert not row.skipped and row.method == "paper"


@pytest.mark.parametrize("budget", [0.05, 0.2, 1.0])
def test_estimate_grid_is_the_largest_whose_steps_fit_the_budget(budget):
    n, m, steps = 10_000, 5, 3
    n_small = report.estimate_grid("numpy-blocked", n, m, budget, steps)
    assert 100 <= n_small < n
    assert report.seconds_per_step("numpy-blocked", n_small, m) * steps <= budget
    assert report.seconds_per_step("numpy-blocked", n_small + 1, m) * steps > budget


def test_estimate_grid_stays_between_100_and_n_minus_1():
    assert report.estimate_grid("python-loops", 5000, 5, 1e-9, 3) == 100
    assert report.estimate_grid("numba-brute", 1500, 5, 1e9, 3) == 1499


def test_measured_step_seconds_is_the_median_run_per_step():
    ticks = iter([0.0, 0.3, 1.0, 1.9, 2.0, 2.6])  # runs of 0.3, 0.9 and 0.6 s
    per_step = report.measured_step_seconds(growth.afv2015(100), "numpy-blocked", steps=3,
                                            repeats=3, clock=lambda: next(ticks))
    assert per_step == pytest.approx(0.6 / 3)


def test_paper_iterations_come_from_the_measured_monotone_row():
    measured = report.Row("numba-monotone", "paper", 0.1, 263)
    skipped = report.Row("numba-monotone", "paper", skipped="over the 1 s budget")
    assert report.paper_iterations([report.Row("numba-brute", "vfi", 1.0, 7), measured]) == 263
    assert report.paper_iterations([skipped]) == report.STEPS["paper"]


def test_format_table_marks_estimates_and_lists_skipped_rows_on_one_line():
    rows = [report.Row("numba-monotone", "paper", 0.5, 257, 0.146, 1e-7),
            report.Row("numba-brute", "paper", 40.0, 257, estimated=True, measured_at=700,
                       measured_steps=3),
            report.Row("numba-brute", "vfi", skipped="over the 1 s budget",
                       forecast_seconds=12.0),
            report.Row("jax-vmap", "vfi", skipped="over the 1 s budget",
                       forecast_seconds=30.0),
            report.Row("jax-vmap", "mpi", skipped="over the 1 s budget",
                       forecast_seconds=2.0)]
    lines = report.format_table(rows, 0.5, "C++").splitlines()
    estimate = next(line.split() for line in lines if line.startswith("numba-brute"))
    assert estimate == ["numba-brute", "paper", "~40.0", "-", "~80.0", "-", "-"]
    assert "numba-brute 700" in "\n".join(lines)
    assert lines[-1] == ("skipped: about 2.00-30.0 s per run, over the 1 s budget: "
                         "numba-brute vfi; jax-vmap vfi, mpi")
