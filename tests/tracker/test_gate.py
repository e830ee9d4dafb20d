"""The gate a pull request can trust, through ``make compare`` on a small asv project.

The test writes a project that knows nothing of vfi (a pure-Python package, six
timings and an instruction count (a ``track_`` of ``unit = "instructions"``, up 10 % on
the head that raises), its own ``asv.conf.json`` with a ``//`` comment) into a temporary git
repository and runs this repository's ``make compare`` on it (``COMPARE_ARGS`` points it
at that configuration) as a CI would, against heads that break one point in each way a
benchmark breaks:

- it raises on the head (``failed-on-head``), beside a point that fails on both sides
  (``failed-on-both``) and one that fails only on the base (``fixed``);
- it hangs past its own ``timeout`` attribute (2 s; the configuration's default is 600);
- it kills its process (``os.abort()``).

Each exits 1, with the other points still measured (a ratio and a statistical verdict
each: no cascade). A head three times slower, sampled too little to prove it, exits 3
(make: 1, ``STATUS_FILE``: 3). A base environment holding a package the head's lacks is
rebuilt before anything is timed. Every compare runs with a private ``TMPDIR``, left
empty. asv builds the environments (virtualenvs, from PyPI): minutes.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vfi_bench.asvkit import stats as st

REPO = Path(__file__).resolve().parents[2]

PYPROJECT = """
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "gatepkg"
version = "0.1"
"""
HEALTHY = "    return sum(range({n}))\n"
RAISES = "    raise ValueError('{what}')\n"
QUICK = HEALTHY.format(n=100)
STEADY = HEALTHY.format(n=3000)
OLD_BUG = RAISES.format(what="old bug")
HANGS = "    import time\n    time.sleep(3600)\n"
ABORTS = "    import os\n    os.abort()\n"
BENCHMARKS = """
import gatepkg


def time_broken():
    gatepkg.broken()


time_broken.timeout = 2


def time_old_bug():
    gatepkg.old_bug()


def time_always():
    gatepkg.always()


def track_count():
    return gatepkg.count()


track_count.unit = "instructions"


class Steady:
    def time_a(self):
        gatepkg.steady_a()

    def time_b(self):
        gatepkg.steady_b()

    def time_c(self):
        gatepkg.steady_c()
"""
CONFIG = """{
    // asv reads this file as JSON5: a comment, and a trailing comma below
    "version": 1, "project": "gatepkg", "repo": ".", "branches": ["main"],
    "dvcs": "git", "environment_type": "virtualenv", "pythons": ["%s"],
    "matrix": {}, "benchmark_dir": "benchmarks", "env_dir": ".asv/env",
    "results_dir": ".asv/results", "html_dir": ".asv/html",
    "default_benchmark_timeout": 600,
    "build_command": ["python -m pip wheel --no-deps -w {build_cache_dir} {build_dir}"],
}
"""
HEALTHY_POINTS = ("Steady.time_a", "Steady.time_b", "Steady.time_c")


def package(broken=QUICK, old_bug=OLD_BUG, steady_a=STEADY, count=1000) -> str:
    """The package's source: each function's body as given (``count``: what the
    instruction-count benchmark reports)."""
    bodies = {"broken": broken, "old_bug": old_bug, "always": RAISES.format(what="never"),
              "steady_a": steady_a, "steady_b": STEADY, "steady_c": STEADY,
              "count": f"    return {count}\n"}
    return "\n\n".join(f"def {name}():\n{body}" for name, body in bodies.items())


def git(repo, *args):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@invalid", *args],
                          cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def commit(repo, source: str, message: str) -> str:
    (repo / "gatepkg" / "__init__.py").write_text(source)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The repository and its commits by name."""
    repo = tmp_path_factory.mktemp("gateproject")
    (repo / "gatepkg").mkdir()
    (repo / "benchmarks").mkdir()
    (repo / "pyproject.toml").write_text(PYPROJECT)
    (repo / "benchmarks" / "__init__.py").write_text("")
    (repo / "benchmarks" / "bench_gate.py").write_text(textwrap.dedent(BENCHMARKS))
    (repo / "asv.conf.json").write_text(CONFIG % f"{sys.version_info[0]}.{sys.version_info[1]}")
    git(repo, "init", "-q", "-b", "main")
    commits = {"base": commit(repo, package(), "base")}
    heads = {"raises": package(broken=RAISES.format(what="head broke it"),
                               old_bug=QUICK, count=1100),
             "hangs": package(broken=HANGS), "aborts": package(broken=ABORTS),
             "slower": package(steady_a=HEALTHY.format(n=9000))}
    for name, source in heads.items():
        git(repo, "checkout", "-q", "-b", name, commits["base"])
        commits[name] = commit(repo, source, name)
    git(repo, "checkout", "-q", "main")
    return repo, commits


def make_compare(repo: Path, base: str, head: str, tmp_path: Path, *options: str) -> dict:
    """``make compare`` of this repository, on the project's configuration; its exit
    status, compare's own (``STATUS_FILE``), the records by point and the output.

    Run with a private, empty ``TMPDIR``, asserted empty afterwards.
    """
    private = tmp_path / "tmp"
    private.mkdir(parents=True)
    home = tmp_path / "home"  # asv's machine file must not land in the user's home
    home.mkdir(parents=True)
    out, status = tmp_path / "compare.json", tmp_path / "status"
    args = (f"--config {repo / 'asv.conf.json'} --machine gate-machine --pairs 6 "
            f"--processes 2 --extra-processes 0 --seed 1 {' '.join(options)}")
    done = subprocess.run(["make", "-C", str(REPO), "compare", "STAMP=", f"BASE={base}",
                           f"HEAD={head}", f"OUT={out}", "BENCH=.", f"STATUS_FILE={status}",
                           f"COMPARE_ARGS={args}"], capture_output=True, text=True,
                          timeout=1200, env={**os.environ, "HOME": str(home),
                                             "TMPDIR": str(private)})
    output = done.stdout + done.stderr
    assert list(private.iterdir()) == [], output[-3000:]
    records = json.loads(out.read_text()) if out.is_file() else []
    return {"make": done.returncode, "status": int(status.read_text()), "output": output,
            "records": {r["benchmark"].split(".", 1)[1]: r for r in records}}


def assert_measured(records: dict, points=HEALTHY_POINTS) -> None:
    """Each point got a ratio and a statistical verdict: it was measured."""
    for point in points:
        assert records[point]["ratio"] is not None, records[point]
        assert records[point]["verdict"] in st.VERDICTS, records[point]


def test_a_point_raising_on_the_head_is_a_regression(project, tmp_path):
    repo, commits = project
    found = make_compare(repo, commits["base"], commits["raises"], tmp_path)
    assert (found["make"], found["status"]) == (1, 1), found["output"][-3000:]
    records = found["records"]
    assert records["time_broken"]["verdict"] == "failed-on-head"
    assert "ValueError: head broke it" in records["time_broken"]["error"]
    assert records["time_always"]["verdict"] == "failed-on-both"
    assert records["time_old_bug"]["verdict"] == "fixed"
    # an instruction count 10 % up, counted once per side beside the timings
    assert records["track_count"]["verdict"] == "more-instructions"
    assert records["track_count"]["instructions"] == 1.1
    assert "failed on base: ValueError: old bug" in records["time_old_bug"]["error"]
    assert_measured(records)
    table = found["output"][found["output"].index("benchmark "):]
    assert "failed-on-head" in table and "head broke it" in table


def test_a_point_hanging_past_its_own_timeout_is_a_regression(project, tmp_path):
    repo, commits = project
    found = make_compare(repo, commits["base"], commits["hangs"], tmp_path)
    assert (found["make"], found["status"]) == (1, 1), found["output"][-3000:]
    broken = found["records"]["time_broken"]
    assert broken["verdict"] == "failed-on-head"
    assert "timed out after 2 s" in broken["error"]  # its own timeout, not the default 600
    assert_measured(found["records"])


def test_a_point_killing_its_process_is_a_regression(project, tmp_path):
    repo, commits = project
    found = make_compare(repo, commits["base"], commits["aborts"], tmp_path)
    assert (found["make"], found["status"]) == (1, 1), found["output"][-3000:]
    broken = found["records"]["time_broken"]
    assert broken["verdict"] == "failed-on-head"
    assert "benchmark process ended" in broken["error"]
    assert_measured(found["records"])


def test_inconclusive_past_the_margin_exits_3_and_make_1(project, tmp_path):
    repo, commits = project
    pairs = str(st.MIN_PAIRS - 1)  # too few pairs to prove anything
    found = make_compare(repo, commits["base"], commits["slower"], tmp_path, "--pairs",
                         pairs, "--processes", "1")
    assert (found["make"], found["status"]) == (1, 3), found["output"][-3000:]
    assert found["records"]["track_count"]["verdict"] == "same-instructions"
    slowed = found["records"]["Steady.time_a"]
    assert slowed["verdict"] == "inconclusive" and slowed["ratio"] > slowed["threshold"]
    assert "exit status 3 (could be a regression, not proven)" in found["output"]


def site_packages(env_root: Path) -> Path:
    [found] = env_root.glob("*/lib/python*/site-packages")
    return found


def test_a_base_environment_that_differs_is_rebuilt_before_timing(project, tmp_path):
    repo, commits = project
    first = make_compare(repo, commits["base"], commits["base"], tmp_path / "first")
    assert first["status"] in (0, 3), first["output"][-3000:]
    assert first["records"]["Steady.time_a"]["packages"]["asv-runner"]
    extra = site_packages(repo / ".asv" / "compare" / "env-base") / "stale_extra-9.9.dist-info"
    extra.mkdir()
    (extra / "METADATA").write_text("Metadata-Version: 2.1\nName: stale-extra\nVersion: 9.9\n")
    second = make_compare(repo, commits["base"], commits["base"], tmp_path / "second")
    assert "stale-extra: base 9.9, head absent" in second["output"]
    assert "Rebuilding" in second["output"] and second["status"] in (0, 3)
    assert not extra.exists()
    packages = second["records"]["Steady.time_a"]["packages"]
    assert "stale-extra" not in packages and "gatepkg" not in packages
