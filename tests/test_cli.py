"""The command line as a new user tries it: useful output, usage errors, no tracebacks."""
import subprocess
import sys

import pytest

import vfi


def run(*args):
    return subprocess.run([sys.executable, "-m", "vfi", *args], capture_output=True, text=True,
                          timeout=300)


def test_variants_lists_every_registered_variant_with_status():
    out = run("variants")
    assert out.returncode == 0, out.stderr
    # the cake section: "  name  status  description", one line per registered variant
    lines = out.stdout.splitlines()
    assert lines[0] == "cake:"
    cake = [line.split() for line in lines[1:]]
    cake = cake[:next((k for k, line in enumerate(lines[1:]) if not line.startswith(" ")),
                      len(cake))]
    status = {fields[0]: fields[1] for fields in cake}
    expected = {name: "available" for name in vfi.variants()}
    expected.update({name: "unavailable" for name in vfi.unavailable_variants()})
    assert status == expected


def test_solve_prints_the_report_and_plots(tmp_path):
    plot = tmp_path / "solution.png"
    out = run("solve", "--n", "300", "--beta", "0.9", "--method", "mpi", "--variant",
              "numpy-broadcast", "--plot", str(plot))
    assert out.returncode == 0, out.stderr
    for field in ("iterations:", "error bound:", "closed form:", "time:"):
        assert field in out.stdout
    assert plot.stat().st_size > 10_000


def test_solve_reads_a_grid_file(tmp_path):
    grid = tmp_path / "grid.txt"
    grid.write_text("0.0\n0.5\n0.7\n1.5\n")
    out = run("solve", "--grid-file", str(grid), "--variant", "numpy-masked")
    assert out.returncode == 0, out.stderr
    assert "4 points in [0, 1.5]" in out.stdout


@pytest.mark.parametrize("args, message", [
    (("solve", "--beta", "1.5"), "beta must be in the open interval"),
    (("solve", "--variant", "fortran-magic"), "variant must be one of"),
    (("solve", "--method", "newton"), "invalid choice"),
    (("solve", "--n", "0"), "--n must be >= 1"),
    (("solve", "--tol", "-1"), "tol must be positive"),
    (("solve", "--grid-file", "/no/such/file"), "cannot read"),
    (("frobnicate",), "invalid choice"),
    ((), "required"),
])
def test_wrong_arguments_give_usage_errors(args, message):
    out = run(*args)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
