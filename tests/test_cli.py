"""The command line as a new user tries it: useful output, usage errors, no tracebacks;
and the usage lines of ``python -m vfi`` and ``python -m vfi_bench``."""
import json
import re
import subprocess
import sys
import types

import pytest
from members import rows

import vfi
from vfi import __main__ as cli
from vfi import registry


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
    for field in ("iterations:", "error bound:", "closed form:", "time:", "first call:"):
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
    (("solve", "--variant", "numba-loop"), "did you mean 'numba-loops'?"),
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


def test_a_reader_that_closes_the_pipe_gets_no_traceback():
    proc = subprocess.Popen([sys.executable, "-m", "vfi", "variants"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # as `| head -0` does, before the command has written anything
    stderr = proc.stderr.read()
    proc.wait(timeout=300)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


# ---- variants: one column each, whatever the names ------------------------------------

VARIANT_ROW = re.compile(r"^  (\S+) +(available|unavailable) +(\S.*)$")


def test_variants_columns_line_up_for_the_longest_name(capsys, monkeypatch):
    longest = max((name for problem in registry.problems()
                   for name in registry.variants(problem, include_unavailable=True)), key=len)
    monkeypatch.setattr(registry.Variant, "unavailable_reason", property(
        lambda v: "numba is not installed" if v.name == longest else None))
    assert cli.main(["variants"]) == 0
    rows = [VARIANT_ROW.match(line) for line in capsys.readouterr().out.splitlines()
            if line.startswith("  ")]
    assert rows and all(rows)
    assert len({row.start(2) for row in rows}) == 1, "the status column wanders"
    assert len({row.start(3) for row in rows}) == 1, "the description column wanders"
    assert any(row[1] == longest and row[2] == "unavailable"
               and row[3].endswith("(numba is not installed)") for row in rows)


# ---- solve: the warm time apart from the first call's ---------------------------------

def fake_clock(monkeypatch, *readings):
    """The CLI's perf_counter reads ``readings`` in order (nothing else's clock changes)."""
    values = iter(readings)
    monkeypatch.setattr(cli, "time", types.SimpleNamespace(perf_counter=lambda: next(values)))


def count_solves(monkeypatch):
    """Record the cake member's solves (the command line calls the member's solve)."""
    calls = []
    member = registry.member("cake")
    real = member.solve

    def solve(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)
    monkeypatch.setattr(member, "solve", solve)
    return calls


SMALL_SOLVE = ["solve", "--n", "40", "--variant", "numpy-masked"]


def test_solve_reports_the_warm_time_and_the_first_call_apart(capsys, monkeypatch):
    calls = count_solves(monkeypatch)
    fake_clock(monkeypatch, 10.0, 12.0, 12.0, 12.05)
    assert cli.main(SMALL_SOLVE) == 0
    out = capsys.readouterr().out
    assert "time:           0.0500 s warm (the same solve again)" in out
    assert "first call:     2.0000 s (loading and JIT compilation included)" in out
    assert len(calls) == 2 and calls[0] == calls[1]


def test_solve_once_times_only_the_first_call(capsys, monkeypatch):
    calls = count_solves(monkeypatch)
    fake_clock(monkeypatch, 10.0, 12.0)
    assert cli.main([*SMALL_SOLVE, "--once"]) == 0
    out = capsys.readouterr().out
    assert "first call:     2.0000 s" in out and "warm" not in out
    assert len(calls) == 1


# ---- usage lines name the command as it is typed ---------------------------------------

def usage_of(main, argv, capsys) -> str:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out.splitlines()[0]


@pytest.mark.parametrize("command", ["solve", "time", "variants", "savings"])
def test_vfi_usage_names_python_m_vfi(command, capsys):
    assert usage_of(cli.main, [command], capsys).startswith(f"usage: python -m vfi {command} ")


BENCH_COMMANDS = ["run", "history", "publish", "breakdown", "compare", "calibrate", "show",
                  "drill", "frontpage", "vendor", "afv"]


@pytest.mark.parametrize("command", BENCH_COMMANDS)
def test_vfi_bench_usage_names_python_m_vfi_bench(command, capsys):
    from vfi_bench import __main__ as bench_cli

    argv0 = sys.argv[0]
    usage = usage_of(bench_cli.main, [command], capsys)
    assert usage.startswith(f"usage: python -m vfi_bench {command} ")
    assert sys.argv[0] == argv0


def test_vfi_bench_usage_from_the_shell():
    done = subprocess.run([sys.executable, "-m", "vfi_bench", "show", "--help"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m vfi_bench show ")


# ---- every member: solve and time, found through the registry -------------------------

@rows()
def test_solve_runs_for_every_member(row, capsys):
    row.model()  # skips where the case needs an optional package
    assert cli.main(["solve", row.name, *row.cli_options(), "--once"]) == 0
    out = capsys.readouterr().out
    assert "error bound:" in out and "converged:      True" in out


@rows()
def test_solve_usage_is_python_m_vfi_solve_member(row, capsys):
    usage = usage_of(cli.main, ["solve", row.name], capsys)
    assert usage.startswith(f"usage: python -m vfi solve {row.name} ")


@rows()
def test_time_times_every_available_variant_against_the_reference(row, capsys):
    member = row.member
    row.model()
    assert cli.main(["time", row.name, *row.cli_options(), "--steps", "2", "--repeat", "1",
                     "--json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert table["member"] == row.name and table["reference"] == member.reference
    assert sorted(r["variant"] for r in table["variants"]) == sorted(member.variants())
    timed = [r for r in table["variants"] if r["median_s"] is not None]
    assert len(timed) == len(table["variants"]), "a small case skips nothing"
    assert min(r["ratio"] for r in timed) == 1.0
    for r in timed:
        assert r["agreement"] <= 1e-10, r
        assert r["median_s"] > 0 and r["repeats"] >= 1


def test_time_skips_a_call_over_max_call_and_says_why(capsys):
    assert cli.main(["time", "cake", "--n", "400", "--steps", "2", "--repeat", "1",
                     "--variant", "python-loops", "--variant", "numpy-masked",
                     "--max-call", "1e-9"]) == 0
    out = capsys.readouterr().out
    assert out.count("skipped: about") == 2 and "over --max-call 1e-09" in out


def test_time_prints_a_table(capsys):
    assert cli.main(["time", "cake", "--n", "30", "--steps", "2", "--repeat", "2",
                     "--variant", "numpy-masked", "--variant", "numpy-broadcast"]) == 0
    captured = capsys.readouterr()
    header = captured.out.splitlines()[1].split()
    assert header == ["variant", "median", "spread", "ratio", "runs", "first", "call",
                      "agreement"]
    assert "numpy-masked" in captured.out and "numpy-broadcast" in captured.out


@pytest.mark.parametrize("args, message", [
    (("time", "cake", "--steps", "0"), "--steps must be >= 1"),
    (("time", "cake", "--variant", "numba-loop"), "did you mean 'numba-loops'?"),
    (("solve", "growth", "--n", "1"), "--n must be >= 2"),
    (("solve", "cake", "--x-min", "-1"), "grid must be non-negative"),
    (("solve", "growth", "--grid-file", "/no/such/file"), "--grid-file: cannot read"),
    (("solve", "toffee"), "invalid choice"),
])
def test_member_commands_name_the_option_and_the_rule(args, message, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(list(args))
    assert done.value.code == 2
    assert message in capsys.readouterr().err
