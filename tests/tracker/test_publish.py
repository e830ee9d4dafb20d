"""vfi_bench.asvkit.publish: one series per machine, and no thumbnail joins two machines.

A real ``asv publish`` of a report built here: a tiny git repository with two commits,
results of two machines (one at each commit, in different environments, as a
``make bench`` and a reference give), normalised and published.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from vfi_bench.asvkit import publish

BENCH = "bench_x.time_f"
SUITE = {BENCH: {"code": "def time_f(): pass", "name": BENCH, "param_names": [], "params": [],
                 "type": "time", "unit": "seconds", "version": "1", "timeout": 60,
                 "number": 0, "repeat": 0, "min_run_count": 2, "rounds": 2,
                 "sample_time": 0.01, "warmup_time": -1},
         "version": 2}


def git(repo, *args):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@invalid", *args],
                          cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def result(machine, commit, value, env_name, python, extra_params=None):
    params = {"machine": machine, "python": python, **(extra_params or {})}
    return {"commit_hash": commit, "env_name": env_name, "date": 1_700_000_000_000,
            "params": params, "python": python, "requirements": {"numba": ""},
            "env_vars": {"OMP_NUM_THREADS": "1"}, "result_columns": ["result", "params"],
            "results": {BENCH: [[value], []]}, "durations": {}, "version": 2}


def write(folder, name, data):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(data))


def test_two_machines_at_two_commits_publish_apart(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commits = []
    for k in range(2):
        (repo / "f.txt").write_text(str(k))
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", f"c{k}")
        commits.append(git(repo, "rev-parse", "HEAD"))
    mine, reference = tmp_path / "results", tmp_path / "reference"
    write(mine, "benchmarks.json", SUITE)
    for folder, machine in ((mine, "mine"), (reference, "ref")):
        write(folder / machine, "machine.json", {"machine": machine, "cpu": "x", "version": 1})
    # Your machine at the newer commit from two environments (make bench, a history run).
    write(mine / "mine", f"{commits[1][:8]}-existing.json",
          result("mine", commits[1], 1.0, "existing-py_venv", "/home/me/.venv/bin/python"))
    write(mine / "mine", f"{commits[0][:8]}-virtualenv.json",
          result("mine", commits[0], 1.1, "virtualenv-py3.11-numba", "3.11", {"numba": ""}))
    write(reference / "ref", f"{commits[0][:8]}-existing.json",
          result("ref", commits[0], 10.0, "existing-py_opt", "/opt/torch/bin/python3"))

    out = tmp_path / "published" / "results"
    assert publish.normalize([mine, reference], out, "3.11") == ["mine", "ref"]
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*-py3.11.json"))
    assert files == sorted([f"mine/{commits[0][:8]}-py3.11.json",
                            f"mine/{commits[1][:8]}-py3.11.json",
                            f"ref/{commits[0][:8]}-py3.11.json"])
    for path in out.rglob("*-py3.11.json"):
        data = json.loads(path.read_text())
        assert data["env_vars"] == {} and data["requirements"] == {}
        assert data["params"]["python"] == "3.11" and "numba" not in data["params"]
    record = json.loads((out / "ref" / "machine.json").read_text())
    assert record["num_cpu"] == "unrecorded" and record["cpu"] == "x"

    html = tmp_path / "html"
    conf = {"version": 1, "project": "t", "repo": str(repo), "branches": ["main"],
            "dvcs": "git", "environment_type": "virtualenv", "results_dir": str(out),
            "html_dir": str(html), "benchmark_dir": str(tmp_path / "benchmarks"),
            "env_dir": str(tmp_path / "env")}
    (tmp_path / "asv.conf.json").write_text(json.dumps(conf))
    done = subprocess.run([sys.executable, "-m", "asv", "publish", "--config",
                           str(tmp_path / "asv.conf.json")], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    graphs = [p for p in (html / "graphs").rglob(f"{BENCH}.json") if "summary" not in p.parts]
    assert len(graphs) == 2  # one series per machine, not one per environment
    summary = html / "graphs" / "summary" / f"{BENCH}.json"
    pooled = json.loads(summary.read_text())
    assert len(pooled) == 2  # asv's own summary: a line from the reference to yours
    assert publish.summaries_of(html, "mine") == 1
    points = json.loads(summary.read_text())
    assert [value for _, value in points] == [1.1, 1.0]  # your two commits, nobody else's


def test_the_graph_page_edits_apply_to_asvs_page(tmp_path):
    import asv

    page = Path(asv.__file__).parent / "www" / "graphdisplay.js"
    (tmp_path / "graphdisplay.js").write_text(page.read_text())
    assert publish.patch_graph_page(tmp_path) == [w for w, _, _ in publish.GRAPH_PAGE_EDITS]
    text = (tmp_path / "graphdisplay.js").read_text()
    assert "var max_curves = 256;" in text and "container: vfi_legend_box()" in text
    assert publish.patch_graph_page(tmp_path) == []  # once only
    (tmp_path / "graphdisplay.js").write_text(page.read_text().replace("max_curves = 8", "x"))
    with pytest.raises(publish.PageError, match="curve limit"):
        publish.patch_graph_page(tmp_path)


def test_refuted_steps_leave_the_regressions_page_and_confirmed_ones_stay(tmp_path):
    from vfi_bench.asvkit import steps

    html = tmp_path / "html"
    html.mkdir()
    (html / "index.json").write_text(json.dumps(
        {"revision_to_hash": {"1": "a" * 40, "2": "b" * 40, "3": "c" * 40}}))
    mine = "graphs/machine-mine/python-3.11/bench_x.time_f.json"
    other = "graphs/machine-ref/python-3.11/bench_x.time_f.json"
    (html / "regressions.json").write_text(json.dumps({"regressions": [
        ["bench_x.time_f('a')", mine, {}, 0, 2.0, 1.0, [[None, 2, 1.0, 1.5], [None, 3, 1.5, 2.0]]],
        ["bench_x.time_f('b')", mine, {}, 1, 2.0, 1.0, [[None, 3, 1.0, 2.0]]],
        ["bench_x.time_f('a')", other, {}, 0, 2.0, 1.0, [[None, 2, 1.0, 2.0]]],
    ]}))
    verdicts = {("bench_x.time_f('a')", "b" * 40): "same",        # refuted
                ("bench_x.time_f('a')", "c" * 40): "regressed",   # confirmed
                ("bench_x.time_f('b')", "c" * 40): "inconclusive"}
    measured = []

    def compare(point, base, head):
        measured.append((point, base, head))
        return verdicts[point, head]

    checks_file = tmp_path / "checks.json"
    checks = steps.check_steps(html, "mine", checks_file, compare, lambda c: c[:8] + "^")
    assert sorted(c["status"] for c in checks.values()) == ["confirmed", "refuted",
                                                            "unchecked"]
    assert ("bench_x.time_f('a')", "bbbbbbbb^", "b" * 40) in measured
    left = json.loads((html / "regressions.json").read_text())["regressions"]
    assert [(e[0], e[1] == mine, len(e[6])) for e in left] == [
        ("bench_x.time_f('a')", True, 1), ("bench_x.time_f('b')", True, 1),
        ("bench_x.time_f('a')", False, 1)]  # the other machine's step is not touched
    # A later publish reuses the verdicts: nothing is measured twice.
    steps.check_steps(html, "mine", checks_file, compare, lambda c: c[:8] + "^")
    assert len(measured) == 3
