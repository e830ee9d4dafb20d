"""The generic half of the tracker on a second asv project that knows nothing of vfi,
laid out as HIPS/autograd's is.

The test writes a minimal project into a temporary git repository: a pure-Python
package, its configuration under ``benchmarks/asv.conf.json`` (``//`` comments, a
trailing comma, ``"repo": ".."``, ``"benchmark_dir": "."``, the results one folder up,
as autograd's), module-level benchmark functions (``def time_x():``) beside a class, and
a matrix of two environments (an ``env_nobuild`` variable: one build, two names). A base
commit and a head that makes one function ten times slower (so that a loaded
machine's worst process pair still shows it). It runs
``python -m vfi_bench.asvkit.compare`` from the project's top as a user would:

- a bad ``--env`` or a configuration that is not JSON5 exits 2 before anything is built;
- ``compare`` of base with head exits 1, that benchmark regressed in both environments,
  the others not; the ``asv compare`` command it prints works; the project's own
  ``benchmarks.json`` is left as it was;
- ``--env`` compares one environment only (base with itself: nothing flagged);
- ``calibrate`` writes a file of flag floors.

asv builds the two environments (a virtualenv each, from PyPI), so this takes minutes.
"""
import json
import os
import shlex
import subprocess
import sys
import textwrap

import pytest

from vfi_bench.asvkit import stats as st

PYPROJECT = """
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "tinypkg"
version = "0.1"
"""
PACKAGE = """
def work(n):
    total = 0
    for _ in range({repeat}):
        for i in range(n):
            total += i * i
    return total


def other(n):
    return sum(range(n))
"""
BENCHMARKS = """
import tinypkg


def time_work():
    tinypkg.work(20_000)


def time_other():
    tinypkg.other(20_000)


class Tiny:
    def setup(self):
        self.n = 20_000

    def time_other_in_a_class(self):
        tinypkg.other(self.n)
"""
CONFIG = """{
    // As in HIPS/autograd: this file lives in benchmarks/, the project one folder up.
    "version": 1,
    "project": "tinypkg",
    "branches": ["main"],
    "dvcs": "git",
    "environment_type": "virtualenv",
    "pythons": ["%s"],
    // Two environments of one build: asv names them by the variable's value.
    "matrix": {"env_nobuild": {"TINY_FLAVOUR": ["a", "b"]}},
    "build_command": ["python -m pip wheel --no-deps -w {build_cache_dir} {build_dir}"],
    "repo"          : "..",
    "benchmark_dir" : ".",
    "env_dir"       : "../.asv/env",
    "results_dir"   : "../.asv/results",
    "html_dir"      : "../.asv/html",
}
"""
ENVS = ("virtualenv-py{v}-TINY_FLAVOURa", "virtualenv-py{v}-TINY_FLAVOURb")
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
#: The project's own history file, which a compare must leave as it is.
OWN_BENCHMARKS = '{"version": 2, "mine": "not a compare\'s"}'


def git(repo, *args):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@invalid", *args],
                          cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The repository, and its base and head commits."""
    repo = tmp_path_factory.mktemp("tinyproject")
    (repo / "tinypkg").mkdir()
    (repo / "benchmarks").mkdir()
    (repo / "pyproject.toml").write_text(PYPROJECT)
    (repo / "benchmarks" / "__init__.py").write_text("")
    (repo / "benchmarks" / "bench_core.py").write_text(textwrap.dedent(BENCHMARKS))
    (repo / "benchmarks" / "asv.conf.json").write_text(CONFIG % PYTHON)
    (repo / "tinypkg" / "__init__.py").write_text(PACKAGE.format(repeat=1))
    (repo / ".gitignore").write_text(".asv/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    (repo / "tinypkg" / "__init__.py").write_text(PACKAGE.format(repeat=10))
    git(repo, "commit", "-q", "-am", "work ten times slower")
    (repo / ".asv" / "results").mkdir(parents=True)
    (repo / ".asv" / "results" / "benchmarks.json").write_text(OWN_BENCHMARKS)
    return repo, base, git(repo, "rev-parse", "HEAD")


def run(repo, *args, config="benchmarks/asv.conf.json"):
    home = repo.parent / "home"  # asv's machine file must not land in the user's home
    home.mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "vfi_bench.asvkit.compare", *args,
                           "--config", config, "--machine", "tiny-machine", "--pairs", "15",
                           "--processes", "3"],
                          cwd=repo, capture_output=True, text=True, timeout=1200,
                          env={**os.environ, "HOME": str(home)})


def test_errors_exit_2_before_anything_is_built(project):
    repo, base, head = project
    done = run(repo, "compare", "--base", base, "--head", head, "--env", "no-such-env")
    assert done.returncode == 2
    assert "--env must name an environment of the matrix" in done.stderr
    assert ENVS[0].format(v=PYTHON) in done.stderr
    broken = repo / "benchmarks" / "broken.conf.json"
    broken.write_text(CONFIG.replace('"version": 1,', '"version": 1,,'))
    done = run(repo, "compare", "--base", base, "--head", head,
               config="benchmarks/broken.conf.json")
    broken.unlink()
    assert done.returncode == 2 and "(JSON5)" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    (repo / "benchmarks" / "__init__.py").unlink()  # asv's rule: the suite is a package
    done = run(repo, "compare", "--base", base, "--head", head)
    (repo / "benchmarks" / "__init__.py").write_text("")
    assert done.returncode == 2 and "holding an __init__.py" in done.stderr, done.stderr
    assert not (repo / ".asv" / "compare").exists()  # nothing built, nothing measured


def test_compare_flags_the_slowed_benchmark_in_every_environment(project):
    repo, base, head = project
    done = run(repo, "compare", "--base", base, "--head", head, "--out", "out.json")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    records = json.loads((repo / "out.json").read_text())
    envs = {e.format(v=PYTHON) for e in ENVS}
    assert {r["env"] for r in records} == envs
    by_point = {(r["env"], r["benchmark"]): r for r in records}
    for env in envs:
        assert by_point[env, "bench_core.time_work"]["verdict"] == "regressed"
        assert by_point[env, "bench_core.time_work"]["ratio"] > 5
        assert by_point[env, "bench_core.time_other"]["verdict"] != "regressed"
        assert by_point[env, "bench_core.Tiny.time_other_in_a_class"]["verdict"] != "regressed"
    saved = repo / ".asv" / "compare" / "results" / "tiny-machine"
    assert {p.name[:8] for p in saved.glob("*-*.json")} == {base[:8], head[:8]}
    # Kept apart from the history that asv publish reads: a compare changes no report.
    assert not (repo / ".asv" / "results" / "tiny-machine").exists()
    assert (repo / ".asv" / "results" / "benchmarks.json").read_text() == OWN_BENCHMARKS
    # The asv compare command it prints works, as printed, from the project's top.
    [line] = [x for x in done.stdout.splitlines() if x.startswith("asv results: ")]
    command = shlex.split(line.removeprefix("asv results: "))
    shown = subprocess.run([sys.executable, "-m", *command], cwd=repo, capture_output=True,
                           text=True, timeout=300)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "bench_core.time_work" in shown.stdout


def test_one_environment_chosen_by_name(project):
    repo, base, _ = project
    env = ENVS[1].format(v=PYTHON)
    done = run(repo, "compare", "--base", base, "--head", base, "--out", "same.json",
               "--env", env)
    # A commit against itself: 0, or 3 if noise left a point inconclusive past 1.10.
    assert done.returncode in (0, 3), done.stdout[-3000:] + done.stderr[-3000:]
    records = json.loads((repo / "same.json").read_text())
    assert {r["env"] for r in records} == {env} and len(records) == 3
    assert not {"regressed", "improved"} & {r["verdict"] for r in records}


def test_calibrate_writes_a_floor_for_every_timing(project):
    repo, base, _ = project
    done = run(repo, "calibrate", "--rev", base, "--runs", "2")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    saved = json.loads((repo / ".asv" / "compare" / "thresholds-tiny-machine.json")
                       .read_text())
    assert set(saved["floors"]) == {"bench_core.time_work", "bench_core.time_other",
                                    "bench_core.Tiny.time_other_in_a_class"}
    # floor_from_aa's bound on the A/A bias, never below the rule's minimum floor
    assert all(st.MIN_FLOOR <= f < 2 for f in saved["floors"].values()), saved["floors"]
