"""The suite's tiers select what they promise (vfi_bench/tiers.py, through asv's own
``--bench`` filter), and publishing merges the reference machines' results."""
import itertools
import json
from pathlib import Path

import pytest
from asv.benchmarks import Benchmarks
from asv.config import Config
from asv_runner.discovery import disc_benchmarks

import vfi
from vfi_bench import progress, runner, tiers

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
    warm = {v for v in jit if first_call.format(v, "warm") in quick}
    assert {"numba-concave", "numba-parallel-monotone", "numba-maxplus", "jax-vmap"} \
        & set(jit) == warm
    assert not {v for v in jit if first_call.format(v, "cold") in quick}  # full tier only
    full = selected(discovered, "full")
    assert all(first_call.format(v, k) in full for v in jit for k in ("cold", "warm"))


def test_quick_tier_leaves_out_the_slow_classes(discovered):
    quick = selected(discovered, "quick")
    slow = ("bench_scaling.", "bench_accuracy.", "bench_parallel.", "Steps10kBaseline",
            "peakmem_", "bench_growth.GrowthSteps", "bench_growth.GrowthCpp")
    assert not [name for name in quick if any(s in name for s in slow)]
    assert "bench_fast.Steps1M.time_100_steps('numba-monotone')" not in quick


def test_the_gate_is_the_quick_tier_without_its_first_call_points(discovered, monkeypatch):
    """What make compare measures by default: every quick point but the timeraw_ ones
    (a fresh process per sample), which the history tracks instead."""
    quick, gate = selected(discovered, "quick"), selected(discovered, "gate")
    first_calls = {name for name in quick if name.startswith("bench_compile.")}
    assert first_calls and gate == quick - first_calls
    import vfi_bench.__main__ as cli
    from vfi_bench.asvkit import compare

    seen = {}
    monkeypatch.setattr(compare, "main", lambda argv, default_bench: seen.update(
        bench=compare.parser(default_bench).parse_args(argv).bench) or 0)
    assert cli.main(["compare", "--base", "A", "--head", "B"]) == 0
    assert seen["bench"] == tiers.regex("gate")


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


def result_file(folder: Path, name: str, date: int, seconds: dict) -> None:
    """An asv result file with a ``duration`` per benchmark, as asv 0.6 writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    columns = ["result", "params", "version", "started_at", "duration"]
    rows = {bench: [[1.0], [], "v", date, s] for bench, s in seconds.items()}
    (folder / name).write_text(json.dumps({"result_columns": columns, "results": rows,
                                           "date": date, "durations": {}, "version": 2}))


def test_expected_durations_mine_newest_first_then_the_references(tmp_path):
    mine, ref = tmp_path / "mine", tmp_path / "ref-vm"
    result_file(mine, "old.json", 1, {"a.A.time_x": 5.0, "b.B.time_y": 7.0})
    result_file(mine, "new.json", 2, {"a.A.time_x": 50.0})
    (mine / "machine.json").write_text("{}")
    result_file(ref, "r.json", 1, {"a.A.time_x": 1.0, "c.C.time_z": 3.0})
    expected, source = progress.expected_durations(mine, [ref])
    assert expected == {"a.A.time_x": 50.0, "b.B.time_y": 7.0, "c.C.time_z": 3.0}
    assert source == "this machine's last durations and the durations of ref-vm"
    assert progress.expected_durations(tmp_path / "none", [ref])[1] == \
        "the durations of ref-vm"


def test_a_folder_of_several_machines_durations_names_each_machine(tmp_path):
    durations = tmp_path / "durations"
    for machine in ("vm-a", "vm-b"):
        result_file(durations, f"{machine}.json", 1, {f"a.A.time_{machine[-1]}": 1.0})
        data = json.loads((durations / f"{machine}.json").read_text())
        (durations / f"{machine}.json").write_text(json.dumps({**data, "params": {
            "machine": machine}}))
    source = progress.expected_durations(tmp_path / "none", [durations])[1]
    assert source == "the durations of vm-a, vm-b"


def asv_lines(names):
    total = len(names)
    yield f"· Running {total} total benchmarks (1 commits * 1 environments * {total} benchmarks)"
    for k, name in enumerate(names, 1):
        yield f"[{100 * k / total:6.2f}%] ··· {name}   ok"
        yield f"[{100 * k / total:6.2f}%] ··· {name}   ok"  # asv repeats it on its table


def test_time_left_is_weighted_by_each_benchmarks_duration():
    """A 2-s benchmark then a 98-s one: after the first, asv says 50% done and the pace
    so far would say 2 s left; the weights say 98 s, and the estimate follows the
    run's own pace once a tenth of the work is done (here twice as slow)."""
    expected = {"a.A.time_fast": 2.0, "z.Z.time_slow": 98.0, "q.Q.time_other": 5.0}
    clock = iter([0.0, 4.0, 200.0])
    estimate = progress.Estimate(expected, "test durations",
                                 lambda name: not name.startswith("q."), lambda: next(clock))
    notes = [n for n in map(estimate.line, asv_lines(["a.A.time_fast", "z.Z.time_slow"])) if n]
    assert len(notes) == 2
    assert "4 s elapsed, about 1 min 38 s left (weighted by test durations)" in notes[0]
    assert "3 min 20 s elapsed, about 0 s left" in notes[1]


def test_a_tier_of_some_points_weighs_their_share_and_first_rounds_count_when_run():
    """The quick tier runs 4 of FirstCall's 30 points: it weighs 4/30 of the full run's
    300 s, not all of it (a fresh clone's make bench-quick said "about 0 s left" at a
    quarter of the way, its total missing every benchmark it runs in part). A two-round
    benchmark's first round, which asv runs before any result, counts half its weight."""
    from vfi_bench import progress as p

    suite = {"c.FirstCall.timeraw": {"params": [[f"'v{k}'" for k in range(15)],
                                               ["'cold'", "'warm'"]]},
             "s.Scaling.time_iterate": {"params": [["'v0'", "'v1'"]]},
             "n.Notebook.time_iterate": {"params": []}, "version": 2}
    shares = p.points(suite, r"^c\.FirstCall\.timeraw\('v[0-3]', 'warm'\)|^s\.|^n\.")
    assert shares == {"c.FirstCall.timeraw": 4 / 30, "s.Scaling.time_iterate": 1.0,
                      "n.Notebook.time_iterate": 1.0}
    expected = {"c.FirstCall.timeraw": 300.0, "s.Scaling.time_iterate": 40.0,
                "n.Notebook.time_iterate": 20.0}
    clock = iter([0.0, 40.0, 80.0, 100.0])  # the start, then each result
    estimate = p.Estimate(expected, "d", shares.get, lambda: next(clock))
    estimate.line("· Running 3 total benchmarks (1 commits * 1 environments * 3 benchmarks)")
    assert estimate.total == 40.0 + 40.0 + 20.0
    estimate.line("[ 16.67%] ··· Running (s.Scaling.time_iterate--)")
    estimate.line("[ 16.67%] ··· Running (s.Scaling.time_iterate--).")  # read as it grows
    estimate.line("[ 16.67%] ··· Running (s.Scaling.time_iterate--).")  # and when it ends
    assert estimate.done == 20.0
    notes = [estimate.line("[ 33.33%] ··· n.Notebook.time_iterate   ok"),
             estimate.line("[ 66.67%] ··· c.FirstCall.timeraw   ok"),
             estimate.line("[100.00%] ··· s.Scaling.time_iterate   ok")]
    assert estimate.done == 100.0
    assert "40 s elapsed, about 1 min 00 s left" in notes[0]
    assert "1 min 20 s elapsed, about 20 s left" in notes[1]
    assert "1 min 40 s elapsed, about 0 s left" in notes[2]


def test_a_tiers_run_is_kept_at_the_whole_benchmarks_seconds(tmp_path):
    """4 of 30 points in 32 s keeps the benchmark at 240 s, which weighs a full run."""
    start = "· Running 1 total benchmarks (1 commits * 1 environments * 1 benchmarks)"
    trace = timed([(0, start), (32, "[100.00%] ··· c.FirstCall.timeraw   ok")])
    progress.save_run(tmp_path / "vm-warm.json", trace, "vm", "warm",
                      share=lambda name: 4 / 30)
    saved = json.loads((tmp_path / "vm-warm.json").read_text())["results"]
    assert saved == {"c.FirstCall.timeraw": [pytest.approx(240.0)]}


def test_unknown_benchmarks_weigh_the_median_and_history_runs_count_commits():
    estimate = progress.Estimate({"a.time_x": 10.0, "b.time_y": 30.0}, "d", lambda _: True,
                                 lambda: 0.0)
    estimate.line("· Running 12 total benchmarks (3 commits * 1 environments * 4 benchmarks)")
    # per commit: 10 + 30 known, 2 unknown at the median 20
    assert estimate.total == 3 * (10 + 30 + 2 * 20)
    assert estimate.line("[ 8.33%] ··· Running (a.time_x--).") is None
    assert estimate.weight("new.time_z") == 20.0


def measured(results_file: Path) -> set[str]:
    """``{"name(params)"}`` that a result file holds a number (or an explicit skip) for."""
    from asv.results import Results

    result = Results.load(str(results_file))
    found = set()
    for key in result.get_all_result_keys():
        params = result.get_result_params(key)
        values = result.get_result_value(key, params)
        if not params:
            if values[0] is not None:
                found.add(key)
            continue
        for combo, value in zip(itertools.product(*params), values, strict=True):
            if value is not None:
                found.add(f"{key}({', '.join(combo)})")
    return found


REFERENCES = sorted(p.parent for p in (REPO / "results").glob("*/machine.json"))


@pytest.mark.parametrize("machine", REFERENCES, ids=lambda p: p.name)
def test_every_reference_has_every_benchmark_of_the_quick_tier(discovered, machine):
    """A reference that lacks a benchmark the tier has (a new variant, a new model) is
    stale: regenerate it (benchmarks/README.md says how)."""
    newest = max((p for p in machine.glob("*.json") if p.name != "machine.json"),
                 key=lambda p: json.loads(p.read_text()).get("date", 0))
    missing = selected(discovered, "quick") - measured(newest)
    assert not missing, f"{machine.name} at {newest.name[:8]} lacks {sorted(missing)}"


def test_the_reference_check_can_fail(discovered, tmp_path):
    """The check above on a result file with one benchmark removed finds it missing."""
    machine = REFERENCES[0]
    newest = max((p for p in machine.glob("*.json") if p.name != "machine.json"),
                 key=lambda p: json.loads(p.read_text()).get("date", 0))
    data = json.loads(newest.read_text())
    data["results"].pop("bench_compile.ImportVfi.timeraw_import")
    broken = tmp_path / newest.name
    broken.write_text(json.dumps(data))
    assert "bench_compile.ImportVfi.timeraw_import" in selected(discovered, "quick") - \
        measured(broken)


@pytest.fixture
def toy_variants():
    """Two variants with nothing but their register lines: one brute force, one fast."""
    from vfi import registry

    added = [registry.register("cake", "numba-toybrute", "vfi.cake.numba:iterate_loops",
                               requires=("numba",), cost=registry.BRUTE_FORCE),
             registry.register("cake", "numba-toyfast", "vfi.cake.numba:iterate_concave",
                               requires=("numba",), cost=registry.N_LOG_N)]
    yield
    for variant in added:
        registry._REGISTRY.pop((variant.problem, variant.name))


def test_a_register_line_alone_is_budgeted_and_tiered_by_its_cost_class(toy_variants):
    from benchmarks import common
    from vfi_bench import costs

    fast = costs.fast_variants("cake")
    assert "numba-toyfast" in fast and "numba-toybrute" not in fast  # bench_fast's rows
    # The brute-force one is budgeted as brute force at n = 10^6, never run there:
    assert common.estimated_seconds("numba-toybrute", 10**6, 100) > 100 * common.BUDGET_SECONDS
    assert common.estimated_seconds("numba-toyfast", 10**6, 100) < common.BUDGET_SECONDS * 5
    quick = __import__("re").compile(tiers.regex("quick"))
    assert quick.search("bench_fast.Steps10k.time_100_steps('numba-toyfast')")


def test_every_registered_variant_declares_a_cost_class():
    from vfi import registry

    for problem in registry.problems():
        for name in registry.variants(problem, include_unavailable=True):
            assert registry.get_variant(problem, name).cost in registry.COST_CLASSES, name
    with pytest.raises(ValueError, match="cost must be one of"):
        registry.register("cake", "numba-nocost", "vfi.cake.numba:iterate_loops")


def test_runs_estimate_from_this_machines_results_and_the_references(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(runner, "REFERENCE", tmp_path / "reference")
    monkeypatch.setattr(runner, "RUNS", tmp_path / "progress")
    result_file(tmp_path / "results" / "vm", "a.json", 1, {"bench_cake.A.time_x": 4.0})
    result_file(tmp_path / "reference" / "ref", "b.json", 1, {"bench_fast.B.time_y": 8.0})
    result_file(tmp_path / "reference" / "archive" / "old", "c.json", 1, {"x.C.time": 1.0})
    estimate = runner.estimate_for("vm", r"^bench_cake\.", warm=1.0)
    assert estimate.expected == {"bench_cake.A.time_x": 4.0, "bench_fast.B.time_y": 8.0}
    assert estimate.share("bench_cake.A.time_x") == 1.0  # no benchmarks.json: by name
    assert estimate.share("bench_fast.B.time_y") == 0.0
    suite = {"bench_cake.A.time_x": {"params": [["'a'", "'b'", "'c'", "'d'"]]},
             "bench_fast.B.time_y": {"params": []}, "version": 2}
    (tmp_path / "results" / "benchmarks.json").write_text(json.dumps(suite))
    estimate = runner.estimate_for("vm", r"^bench_cake\.A\.time_x\('[ab]'\)", warm=1.0)
    assert estimate.share("bench_cake.A.time_x") == 0.5
    assert estimate.share("bench_fast.B.time_y") == 0.0


def test_the_estimate_reads_asvs_own_lines_truncated_names_and_table_borders():
    """Lines as asv 0.6 prints them (from a make bench here): a long name loses its head,
    a result's table starts with a border line, a set-up cache has a line of its own;
    only the results count, each by its full name's weight."""
    expected = {"bench_accuracy.SupErrorToClosedForm.track_sup_error": 40.0,
                "bench_cake.NotebookCase.time_iterate": 10.0,
                "bench_savings.SavingsOverDiscreteDP.track_peer_over_ours": 50.0}
    estimate = progress.Estimate(expected, "d", lambda _: True, lambda: 0.0)
    estimate.line("· Running 3 total benchmarks (1 commits * 1 environments * 3 benchmarks)")
    lines = ["[ 2.27%] ··· ...ccuracy.SupErrorToClosedForm.track_sup_error            ok",
             "[ 2.27%] ··· ========================= ============",
             "[ 4.55%] ··· bench_cake.NotebookCase.time_iterate                      ok",
             "[ 4.55%] ··· bench_cake.NotebookCase.time_iterate                      ok",
             "[96.59%] ··· Setting up bench_savings:124                              ok",
             "[97.73%] ··· ...s.SavingsOverDiscreteDP.track_peer_over_ours           ok"]
    done = []
    for line in lines:
        estimate.line(line)
        done.append(estimate.done)
    assert done == [40.0, 40.0, 50.0, 50.0, 50.0, 100.0]
    assert estimate.resolve("...Case.time_iterate") == "bench_cake.NotebookCase.time_iterate"
    assert estimate.resolve("...time_iterate_nowhere") == "...time_iterate_nowhere"


def timed(lines):
    """asv lines with the seconds since the run's start at which each arrived."""
    return [(float(t), line) for t, line in lines]


def test_wall_durations_count_each_gap_where_it_is_paid():
    """A two-round benchmark's first round, which asv runs before any result, is that
    benchmark's (the first result's gap starts where that round ended), a set-up cache
    is the next result's, a table's repeated line is not a second result, and a name
    that lost its head is still the benchmark it names."""
    start = "· Running 3 total benchmarks (1 commits * 1 environments * 3 benchmarks)"
    trace = timed([(0.5, start),
                   (40, "[ 16.67%] ··· Running (bench_scaling.Scaling.time_iterate--)..."),
                   (70, "[ 66.67%] ··· bench_accuracy.Sup.track_sup_error        ok"),
                   (71, "[ 66.67%] ··· ======= ====="),
                   (90, "[ 83.33%] ··· bench_scaling.Scaling.time_iterate        ok"),
                   (90, "[ 83.33%] ··· bench_scaling.Scaling.time_iterate        ok"),
                   (95, "[ 91.67%] ··· Setting up bench_savings:124              ok"),
                   (130, "[ 95.00%] ··· ...gs.Over.track_peer                     ok"),
                   (133, "[100.00%] ··· ....FamilyShardedSeconds.track_seconds    ok"),
                   (134, "asv done")])
    names = ["bench_savings.Over.track_peer", "bench_parallel.FamilyShardedSeconds.track_seconds"]
    found, wall = progress.wall_durations(trace, names)
    assert found == {"bench_accuracy.Sup.track_sup_error": 30.0,
                     "bench_scaling.Scaling.time_iterate": 40.0 + 20.0,
                     "bench_savings.Over.track_peer": 40.0,
                     "bench_parallel.FamilyShardedSeconds.track_seconds": 3.0}
    assert wall == 134.0


def test_each_dot_of_asvs_rounds_line_is_the_next_benchmarks_round():
    """asv names a benchmark of several rounds only every 30 s and dots the others
    (a fresh machine's log: ``Running (JaxDevice--)...`` then, 197 s in, the first
    result: JaxDevice and JaxLayouts took seconds, Scaling the rest). Read as the line
    grows, each dot's time is its benchmark's, in asv's order of rounds."""
    suite = {"bench_scaling.Scaling.time_iterate": {"rounds": 2},
             "bench_parallel.JaxLayouts.time_10_steps": {"rounds": 2},
             "bench_parallel.JaxDevice.time_10_steps": {"rounds": 2},
             "bench_cake.Cached.time_x": {"rounds": 2, "setup_cache_key": "bench_cake:9"},
             "bench_accuracy.Sup.track_sup_error": {"rounds": 1}, "version": 2}
    shares = {name: 1.0 for name in suite if name != "bench_cake.Cached.time_x"}
    order = progress.round_order(suite, shares)
    assert order == ["bench_parallel.JaxDevice.time_10_steps",
                     "bench_parallel.JaxLayouts.time_10_steps",
                     "bench_scaling.Scaling.time_iterate"]
    head = "[ 36.36%] ··· Running (bench_parallel.JaxDevice.time_10_steps--)"
    trace = timed([(0, "· Running 4 total benchmarks (1 commits * 1 environments * 4 benchmarks)"),
                   (12, head + "."), (20, head + ".."), (190, head + "..."),
                   (190, head + "..."),  # the whole line, when the next one starts
                   (240, "[ 51.14%] ··· bench_accuracy.Sup.track_sup_error   ok")])
    found, _ = progress.wall_durations(trace, order=order)
    assert found == {"bench_parallel.JaxDevice.time_10_steps": 12.0,
                     "bench_parallel.JaxLayouts.time_10_steps": 8.0,
                     "bench_scaling.Scaling.time_iterate": 170.0,
                     "bench_accuracy.Sup.track_sup_error": 50.0}
    only_the_line = [trace[0], trace[4], trace[5]]  # a log read line by line: shared
    found, _ = progress.wall_durations(only_the_line, order=order)
    assert found["bench_scaling.Scaling.time_iterate"] == pytest.approx(190 / 3)


def test_runs_are_kept_per_compile_cache_state_and_mixed_by_the_share_cached(tmp_path):
    """A cold run's durations and a warm run's are kept apart (a later run of some of the
    benchmarks keeps the others'); the estimate takes the machine's own runs, then the
    references (its asv results only while no run is kept: they may be a cold run's),
    and mixes cold and warm by the share cached."""
    runs, mine, ref = tmp_path / "progress", tmp_path / "mine", tmp_path / "ref"
    result_file(mine, "r.json", 1, {"a.A.time_x": 1.0, "c.C.time_z": 2.0})
    result_file(ref, "r.json", 1, {"d.D.time_w": 5.0})
    start = "· Running 2 total benchmarks (1 commits * 1 environments * 2 benchmarks)"
    cold = timed([(0, start), (30, "[ 50.00%] ··· a.A.time_x   ok"),
                  (40, "[100.00%] ··· b.B.time_y   ok")])
    progress.save_run(runs / "vm-cold.json", cold, "vm", "cold")
    warm = timed([(0, start), (10, "[ 50.00%] ··· a.A.time_x   ok"),
                  (14, "[100.00%] ··· b.B.time_y   ok")])
    progress.save_run(runs / "vm-warm.json", warm, "vm", "warm")
    again = timed([(0, start), (6, "[ 50.00%] ··· b.B.time_y   ok")])
    progress.save_run(runs / "vm-warm.json", again, "vm", "warm")
    saved = json.loads((runs / "vm-warm.json").read_text())
    assert saved["caches"] == "warm" and saved["results"] == {"a.A.time_x": [10.0],
                                                               "b.B.time_y": [6.0]}
    hot, source = progress.expected_durations(mine, [ref], runs, warm=1.0)
    assert hot == {"a.A.time_x": 10.0, "b.B.time_y": 6.0, "d.D.time_w": 5.0}
    assert source == "this machine's last durations and the durations of ref"
    assert progress.expected_durations(mine, [ref], tmp_path / "none", warm=1.0)[0] == \
        {"a.A.time_x": 1.0, "c.C.time_z": 2.0, "d.D.time_w": 5.0}  # no run kept: asv's
    fresh, source = progress.expected_durations(mine, [ref], runs, warm=0.0)
    assert fresh == {"a.A.time_x": 30.0, "b.B.time_y": 10.0}
    assert source == "this machine's last durations (cold caches)"
    half, source = progress.expected_durations(mine, [ref], runs, warm=0.5)
    assert half["a.A.time_x"] == 20.0 and half["b.B.time_y"] == 8.0
    assert half["d.D.time_w"] == 5.0  # known warm only: stands in for cold
    assert source.endswith("(50% of kernels cached)")


def test_a_run_of_the_same_selection_weighs_first(tmp_path):
    """On cold caches the first benchmark to use a kernel pays its compile, so a quick
    tier's notebook case (first in that run) takes 68 s where the full run's (after the
    rounds that compiled everything) takes 24: the same selection's run counts first,
    the other fills what it lacks."""
    start = "· Running 2 total benchmarks (1 commits * 1 environments * 2 benchmarks)"
    full = timed([(0, start), (24, "[ 50.00%] ··· n.Notebook.time_iterate   ok"),
                  (30, "[100.00%] ··· b.B.time_y   ok")])
    quick = timed([(0, start), (68, "[100.00%] ··· n.Notebook.time_iterate   ok")])
    progress.save_run(tmp_path / "vm-cold-quick.json", quick, "vm", "cold", selection="^n")
    progress.save_run(tmp_path / "vm-cold.json", full, "vm", "cold", selection=".")
    assert progress.durations_in(tmp_path, "cold", "^n") == {"n.Notebook.time_iterate": 68.0,
                                                            "b.B.time_y": 6.0}
    assert progress.durations_in(tmp_path, "cold", ".")["n.Notebook.time_iterate"] == 24.0


def test_cached_fraction_counts_modules_whose_current_code_is_compiled(tmp_path):
    """A module counts as cached when its folder at its current digest holds an index;
    an index at another digest (older code) does not count."""
    from vfi import compile_cache

    package = compile_cache.PACKAGE_DIR
    modules = sorted(p for p in package.rglob("*.py") if progress.KERNEL.search(p.read_bytes()))
    assert len(modules) >= 4 and package / "family" / "numba.py" in modules
    assert progress.cached_fraction(tmp_path) == 0.0
    first, second = modules[:2]
    name = ".".join(first.relative_to(package.parent).with_suffix("").parts)
    folder = tmp_path / "numba-modules" / name / compile_cache.module_digest(first)
    folder.mkdir(parents=True)
    (folder / "kernel-1.py311.nbi").write_bytes(b"")
    stale = (tmp_path / "numba-modules" / ".".join(
        second.relative_to(package.parent).with_suffix("").parts) / "0123456789abcdef")
    stale.mkdir(parents=True)
    (stale / "kernel-1.py311.nbi").write_bytes(b"")
    assert progress.cached_fraction(tmp_path) == 1 / len(modules)
