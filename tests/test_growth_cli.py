"""``python -m vfi afv``: the comparison table, on a small grid to stay fast."""
import subprocess
import sys

import pytest

import vfi.growth as growth


def run(*args):
    return subprocess.run([sys.executable, "-m", "vfi", "afv", *args], capture_output=True,
                          text=True, timeout=600)


@pytest.mark.skipif("numba-monotone" not in growth.variants(), reason="needs numba")
def test_afv_prints_the_table():
    out = run("--n-capital", "1000", "--repeats", "1", "--budget", "0.1")
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
