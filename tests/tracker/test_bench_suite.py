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

ROOT = Path(__file__).resolve().parents[2]
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


#: The quick run in two halves side by side (one per core): each benchmark process is
#: short, so the run is mostly process start-up, which two cores halve.
HALVES = (r"^bench_(?:scaling|cake|compile)\.", r"^(?!bench_(?:scaling|cake|compile)\.)")


def quick_run_in_halves(config):
    """Both halves' asv processes, each with a results folder of its own."""
    conf = json.loads(config.read_text())
    commit, runs = head_commit(), []
    for k, regex in enumerate(HALVES):
        half = dict(conf, results_dir=f"{conf['results_dir']}-{k}",
                    env_dir=f"{conf['env_dir']}-{k}")
        path = config.with_name(f"asv-{k}.conf.json")
        path.write_text(json.dumps(half))
        # A HOME each: asv rewrites ~/.asv-machine.json on every run, and two runs at once
        # would read each other's half-written file.
        home = config.with_name(f"home-{k}")
        home.mkdir(exist_ok=True)
        env = dict(os.environ, HOME=str(home), VFI_BENCH_BUDGET_SCALE="0.01")
        run_asv(["machine", "--yes"], path, **env)
        proc = subprocess.Popen(ASV + ["run", "--config", str(path), "--quick", "-E",
                                       f"existing:{sys.executable}", "--set-commit-hash",
                                       commit, "--bench", regex, "--show-stderr"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, env=env)
        runs.append((half["results_dir"], proc))
    return commit, [(results, proc.communicate(timeout=3000)[0], proc.returncode)
                    for results, proc in runs]


def test_quick_run_of_every_benchmark_has_a_result_or_a_skip(config):
    from asv.results import iter_results

    commit, halves = quick_run_in_halves(config)
    log = "".join(out for _, out, _ in halves)
    expected, keys, failed, ran = set(), set(), [], 0
    for results_dir, out, _code in halves:
        assert (Path(results_dir) / "benchmarks.json").is_file(), out[-3000:]
        benchmarks = json.loads((Path(results_dir) / "benchmarks.json").read_text())
        expected |= {name for name in benchmarks if name != "version"}
        results = [r for r in iter_results(results_dir) if r.commit_hash == commit]
        assert results, out[-2000:]
        result = results[-1]
        keys |= set(result.get_all_result_keys())
        for key in result.get_all_result_keys():
            for value in result.get_result_value(key, result.get_result_params(key)):
                if value is None:  # asv: None is a failure, NaN a skip
                    failed.append(key)
                elif not math.isnan(value):
                    ran += 1
    assert expected <= keys, f"no result recorded for {sorted(expected - keys)}"
    failures = [line for line in log.splitlines() if "failed" in line]
    assert not failed, f"benchmarks failed: {sorted(set(failed))}\n" + "\n".join(failures)
    assert all(code == 0 for _, _, code in halves), "\n".join(failures) + log[-3000:]
    assert ran > 0.2 * len(expected), f"only {ran} cases ran; the budget skipped the rest"
