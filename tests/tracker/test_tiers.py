"""The suite's tiers select what they promise (vfi_bench/tiers.py, through asv's own
``--bench`` filter), and publishing merges the reference machines' results."""
import itertools
from pathlib import Path

import pytest
from asv.benchmarks import Benchmarks
from asv.config import Config
from asv_runner.discovery import disc_benchmarks

import vfi
from vfi_bench import runner, tiers

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def discovered():
    return [{"name": b.name, "params": b.params} for b in disc_benchmarks(str(REPO / "benchmarks"))]


def selected(discovered, tier):
    """``{"name(params)"}`` that asv would run for ``tier``."""
    conf = Config()
    conf.benchmark_dir = str(REPO / "benchmarks")
    chosen = Benchmarks(conf, discovered, regex=tiers.regex(tier))
    out = set()
    for name, indices in chosen.benchmark_selection.items():
        if name not in chosen:
            continue
        params = chosen[name]["params"]
        if indices is None:
            out.add(name)
            continue
        combos = list(itertools.product(*params))
        out.update(f"{name}({', '.join(combos[i])})" for i in indices)
    return out


def test_quick_tier_has_the_notebook_case_of_every_variant(discovered):
    quick = selected(discovered, "quick")
    for variant in vfi.variants() + list(vfi.unavailable_variants()):
        assert f"bench_cake.NotebookCase.time_iterate('{variant}')" in quick, variant


def test_quick_tier_has_headlines_growth_and_compile_cost(discovered):
    quick = selected(discovered, "quick")
    assert "bench_fast.Steps1M.time_100_steps('numba-concave')" in quick
    assert "bench_fast.Steps10k.time_100_steps('numba-concave')" in quick
    assert any(name.startswith("bench_growth.GrowthSolve.time_solve(") for name in quick)
    assert "bench_compile.ImportVfi.timeraw_import" in quick
    first_call = "bench_compile.FirstCall.timeraw_import_compile_call('{}', '{}')"
    jit = [v for v in vfi.variants() if v.split("-")[0] in ("numba", "jax")]
    for variant in jit:
        assert first_call.format(variant, "warm") in quick
    cold = {v for v in jit if first_call.format(v, "cold") in quick}
    assert {"numba-concave", "numba-parallel-monotone", "jax-vmap"} & set(jit) == cold


def test_quick_tier_leaves_out_the_slow_classes(discovered):
    quick = selected(discovered, "quick")
    slow = ("bench_scaling.", "bench_accuracy.", "bench_parallel.", "Steps10kBaseline",
            "peakmem_", "bench_growth.GrowthSteps", "bench_growth.GrowthCpp")
    assert not [name for name in quick if any(s in name for s in slow)]
    assert "bench_fast.Steps1M.time_100_steps('numba-monotone')" not in quick


def test_full_tier_is_everything(discovered):
    full = selected(discovered, "full")
    everything = set()
    for b in discovered:
        if b["params"]:
            everything.update(f"{b['name']}({', '.join(c)})"
                              for c in itertools.product(*b["params"]))
        else:
            everything.add(b["name"])
    assert full == everything
    assert selected(discovered, "quick") < full


def test_progress_estimates_from_the_last_run_else_the_pace(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "WALL_TIMES", tmp_path / "wall.json")
    clock = iter([0.0, 60.0, 120.0])
    monkeypatch.setattr(runner.time, "monotonic", lambda: next(clock))
    first = runner.Progress("m:run:quick")
    assert first.line("· Discovering benchmarks") is None
    assert "about 3 min 00 s left (pace so far)" in first.line("[ 25.00%] ··· bench_x ok")
    first.finish()
    clock = iter([0.0, 60.0])
    second = runner.Progress("m:run:quick")
    assert "about 1 min 00 s left (last run 2 min 00 s)" in second.line("[ 10.00%] ··· x")
