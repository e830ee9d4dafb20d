"""The asv suite itself: it passes ``asv check``, and a quick run of every benchmark records
a result or an explicit skip, never an error.

The quick run uses this environment (``-E existing``) and a small budget
(``VFI_BENCH_BUDGET_SCALE``), so expensive cases record their cost-model skip instead of
running; the run still imports every benchmark file, runs every setup and times or
tracks every cheap case once. Results go to a temporary folder, not ``.asv/``.
"""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

asv = pytest.importorskip("asv", reason="asv comes with the bench extra (make venv installs it)")

ROOT = Path(__file__).resolve().parents[1]
ASV = [sys.executable, "-m", "asv"]


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    """asv.conf.json with results, html and envs under a temporary folder."""
    tmp = tmp_path_factory.mktemp("asv-suite")
    conf = json.loads((ROOT / "asv.conf.json").read_text())
    conf.update(repo=str(ROOT), benchmark_dir=str(ROOT / "benchmarks"),
                results_dir=str(tmp / "results"), html_dir=str(tmp / "html"),
                env_dir=str(tmp / "env"))
    path = tmp / "asv.conf.json"
    path.write_text(json.dumps(conf))
    run_asv(["machine", "--yes"], path)
    return path


def run_asv(args, config, **env):
    done = subprocess.run(ASV + [args[0], "--config", str(config)] + args[1:], cwd=ROOT,
                          capture_output=True, text=True, timeout=3000,
                          env=dict(os.environ, **env))
    return done


def head_commit():
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_asv_check(config):
    done = run_asv(["check", "-E", f"existing:{sys.executable}"], config)
    assert done.returncode == 0 and "No problems found" in done.stdout, \
        done.stdout + done.stderr


def test_quick_run_of_every_benchmark_has_a_result_or_a_skip(config):
    from asv.results import iter_results

    commit = head_commit()
    done = run_asv(["run", "--quick", "-E", f"existing:{sys.executable}",
                    "--set-commit-hash", commit, "--show-stderr"], config,
                   VFI_BENCH_BUDGET_SCALE="0.01")
    log = done.stdout + done.stderr
    conf = json.loads(config.read_text())
    results = [r for r in iter_results(conf["results_dir"]) if r.commit_hash == commit]
    assert results, log[-2000:]
    result = results[-1]
    keys = result.get_all_result_keys()
    benchmarks = json.loads((Path(conf["results_dir"]) / "benchmarks.json").read_text())
    expected = {name for name in benchmarks if name != "version"}
    assert expected <= set(keys), f"no result recorded for {sorted(expected - set(keys))}"
    failed, ran = [], 0
    for key in keys:
        for value in result.get_result_value(key, result.get_result_params(key)):
            if value is None:  # asv: None is a failure, NaN a skip
                failed.append(key)
            elif not math.isnan(value):
                ran += 1
    failures = [line for line in log.splitlines() if "failed" in line]
    assert not failed, f"benchmarks failed: {sorted(set(failed))}\n" + "\n".join(failures)
    assert done.returncode == 0, "\n".join(failures) + log[-3000:]
    assert ran > 0.2 * len(expected), f"only {ran} cases ran; the budget skipped the rest"
