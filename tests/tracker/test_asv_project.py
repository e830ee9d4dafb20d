"""The generic half of the tracker on a second asv project that knows nothing of vfi.

The test writes a minimal project (a pure-Python package with one function, two
benchmarks, its own ``asv.conf.json``) into a temporary git repository, with a base
commit and a head that makes one function three times slower, and runs
``python -m vfi_bench.asvkit.compare`` there as a user would: ``compare`` of base with
head (exit 1, that benchmark regressed, the other same), of base with itself (exit 0,
nothing flagged), and ``calibrate`` (exit 0, a thresholds file). asv builds the two
environments (a virtualenv each, from PyPI), so this takes about a minute.
"""
import json
import subprocess
import sys
import textwrap

import pytest

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


class Tiny:
    def setup(self):
        self.n = 20_000

    def time_work(self):
        tinypkg.work(self.n)

    def time_other(self):
        tinypkg.other(self.n)
"""


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
    (repo / "benchmarks" / "bench_tiny.py").write_text(textwrap.dedent(BENCHMARKS))
    conf = {"version": 1, "project": "tinypkg", "repo": ".", "branches": ["main"],
            "dvcs": "git", "environment_type": "virtualenv",
            "pythons": [f"{sys.version_info.major}.{sys.version_info.minor}"],
            "matrix": {}, "benchmark_dir": "benchmarks", "env_dir": ".asv/env",
            "results_dir": ".asv/results", "html_dir": ".asv/html",
            "build_command": ["python -m pip wheel --no-deps -w {build_cache_dir} "
                              "{build_dir}"]}
    (repo / "asv.conf.json").write_text(json.dumps(conf, indent=1))
    (repo / "tinypkg" / "__init__.py").write_text(PACKAGE.format(repeat=1))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    (repo / "tinypkg" / "__init__.py").write_text(PACKAGE.format(repeat=3))
    git(repo, "commit", "-q", "-am", "work three times slower")
    return repo, base, git(repo, "rev-parse", "HEAD")


def run(repo, *args):
    home = repo.parent / "home"  # asv's machine file must not land in the user's home
    home.mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "vfi_bench.asvkit.compare", *args,
                           "--machine", "tiny-machine", "--pairs", "10", "--processes", "2"],
                          cwd=repo, capture_output=True, text=True, timeout=1200,
                          env={**__import__("os").environ, "HOME": str(home)})


def test_compare_flags_the_slowed_benchmark_and_exits_1(project):
    repo, base, head = project
    done = run(repo, "compare", "--base", base, "--head", head, "--out", "out.json")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    records = {r["benchmark"]: r for r in json.loads((repo / "out.json").read_text())}
    assert records["bench_tiny.Tiny.time_work"]["verdict"] == "regressed"
    assert records["bench_tiny.Tiny.time_work"]["ratio"] > 2
    assert records["bench_tiny.Tiny.time_other"]["verdict"] != "regressed"
    saved = repo / ".asv" / "compare" / "results" / "tiny-machine"
    assert sorted(p.name[:8] for p in saved.glob("*-*.json")) == sorted([base[:8], head[:8]])
    # Kept apart from the history that asv publish reads: a compare changes no report.
    assert not (repo / ".asv" / "results" / "tiny-machine").exists()


def test_compare_of_a_commit_with_itself_exits_0(project):
    repo, base, _ = project
    done = run(repo, "compare", "--base", base, "--head", base, "--out", "same.json")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    verdicts = [r["verdict"] for r in json.loads((repo / "same.json").read_text())]
    assert len(verdicts) == 2 and "regressed" not in verdicts and "improved" not in verdicts


def test_calibrate_writes_thresholds_for_every_timing(project):
    repo, base, _ = project
    done = run(repo, "calibrate", "--rev", base, "--runs", "2")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    saved = json.loads((repo / ".asv" / "compare" / "thresholds-tiny-machine.json")
                       .read_text())
    assert set(saved["thresholds"]) == {"bench_tiny.Tiny.time_work",
                                        "bench_tiny.Tiny.time_other"}
    assert all(t >= 1.10 for t in saved["thresholds"].values())
