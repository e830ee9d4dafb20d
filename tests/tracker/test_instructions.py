"""Instruction counts under Callgrind (vfi_bench/asvkit/callgrind.py, benchmarks/
bench_instructions.py): a count scales with the work, repeats to the instruction, reaches
asv as positive ints, and a machine without Valgrind gets asv skips with the reason, while
this test suite fails saying what to install.

Valgrind runs code 20-100 times slower: each counted call here is a small loop or the
cheapest variant on a tiny grid.
"""
import importlib.util
import math
import sys
import textwrap

import pytest

from benchmarks import bench_instructions
from vfi_bench.asvkit import callgrind

TOY = textwrap.dedent('''
    import itertools

    def loop(n):
        def run():
            total = 0.0
            for _ in itertools.repeat(None, n):
                total += 1.0
            return total
        return run

    def not_here():
        raise NotImplementedError("toy: not runnable here")

    def broken():
        raise ValueError("toy: broken factory")

    _held = []

    def churn(fragment):
        """300 arrays allocated and freed (malloc and free under NumPy), after
        fragmenting the C heap or not."""
        import random

        import numpy as np

        if fragment:
            rng = random.Random(1)
            blocks = [np.empty(rng.randrange(300, 3000), dtype=np.uint8) for _ in range(4000)]
            _held.extend(blocks[1::2])
        sizes = [(i * 37) % 2000 + 130 for i in range(300)]

        def run():
            arrays = [np.empty(size, dtype=np.uint8) for size in sizes]
            arrays.reverse()
            del arrays
        return run
''')


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A module of factories the Callgrind child can import (it gets our sys.path)."""
    (tmp_path / "callgrind_toy.py").write_text(TOY)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "callgrind_toy"


def test_valgrind_is_installed():
    """Not a skip: the instruction benchmarks need it (issue 29)."""
    reason = callgrind.unavailable_reason()
    assert reason is None, f"{reason}; the instruction counts cannot run without it"


def test_a_count_scales_with_the_work(toy):
    counts = callgrind.count([callgrind.Point("n", f"{toy}:loop", (20_000,)),
                              callgrind.Point("2n", f"{toy}:loop", (40_000,))], prime=False)
    single, double = counts["n"].instructions, counts["2n"].instructions
    assert single > 20_000  # more than one instruction per iteration: the loop was counted
    assert 1.95 < double / single < 2.05, (single, double)


def test_the_same_call_counted_twice_gives_the_identical_count(toy):
    point = [callgrind.Point("loop", f"{toy}:loop", (5_000,), calls=3, regions=3)]
    first, second = (callgrind.count(point, prime=False)["loop"] for _ in range(2))
    assert first.calls == 3 and first.instructions > 5_000
    # the regions of one run differ by a few hundred instructions in 2 million (the
    # interpreter's adaptive specialisation settling), and repeat exactly from run to run
    assert len(first.per_region) == 3 and first.spread < 1e-3
    assert (first.per_region, first.empty) == (second.per_region, second.empty)
    assert first.instructions == second.instructions


def test_the_heaps_history_moves_the_allocator_apart_not_the_count(toy):
    """The same mallocs and frees after a fragmented heap and a fresh one: the allocators'
    own instructions differ (bins, free lists), the count without them does not."""
    points = [callgrind.Point("fresh", f"{toy}:churn", (False,)),
              callgrind.Point("fragmented", f"{toy}:churn", (True,))]
    counts = callgrind.count(points, prime=False)
    fresh, fragmented = counts["fresh"], counts["fragmented"]
    heap = (fresh.heap[0], fragmented.heap[0])
    assert abs(heap[0] / heap[1] - 1) > 0.05, heap
    # the call's region alike to 1e-4 (the empty region, subtracted, moves by a hundred
    # instructions or so: CPython's type attribute cache is hashed by address)
    region = [c.instructions + c.empty for c in (fresh, fragmented)]
    assert abs(region[0] / region[1] - 1) < 1e-4, (fresh, fragmented)


DUMP = """\
# callgrind format
events: Ir
fl=(1) ./malloc/./malloc/malloc.c
fn=(1) _int_malloc
0 100
fn=(2) malloc
0 7
cfn=(1)
calls=1 0
0 100
fl=(2) /Python-3.11.7/Objects/obmalloc.c
fn=(3) _PyObject_Malloc
0 20
fl=(3) kernel.c
fn=(4) kernel
0 1000
cfi=(1)
cfn=(2)
calls=2 0
0 214
fl=(1)
fn=(2)
0 3
totals: 1130
"""


def test_the_heaps_instructions_are_the_allocators_self_costs_in_the_dump():
    # 100 + 7 + 3 (malloc again, its names reused) + 20: not the calls' inclusive costs
    assert callgrind.heap_instructions(DUMP) == 130
    assert callgrind.heap_instructions(DUMP, sources=("/malloc/malloc.c",)) == 110
    assert callgrind.heap_instructions(DUMP, sources=("nowhere.c",)) == 0
    assert callgrind.heap_instructions(DUMP, sources=(), functions={"kernel"}) == 1000
    # an address-hashed function: itself and what it calls
    assert callgrind.heap_instructions(DUMP, sources=(), inclusive={"kernel"}) == 1214


def test_a_count_of_several_regions_is_their_median_and_spread_their_widest_gap():
    counted = callgrind.Counted((100, 130, 90), empty=5, calls=1)
    assert counted.instructions == 100
    assert counted.spread == pytest.approx(math.log(1.3))
    assert callgrind.Counted((100, 104), empty=5, calls=1).instructions == 102
    assert callgrind.Counted((7,), empty=0, calls=1).spread == 0.0


@pytest.mark.parametrize("field", ["calls", "regions"])
@pytest.mark.parametrize("value", [0, -1, 1.5, True])
def test_a_point_refuses_counts_of_calls_or_regions_below_one(field, value):
    with pytest.raises(ValueError, match=f"{field} must be an int >= 1"):
        callgrind.Point("x", "os:getcwd", **{field: value})


def test_factories_that_skip_or_fail_say_so(toy):
    counts = callgrind.count([callgrind.Point("skip", f"{toy}:not_here"),
                              callgrind.Point("fail", f"{toy}:broken"),
                              callgrind.Point("loop", f"{toy}:loop", (100,))])
    assert counts["skip"] == callgrind.Skipped("toy: not runnable here")
    assert isinstance(counts["fail"], callgrind.Failed)
    assert "ValueError: toy: broken factory" in counts["fail"].message
    assert isinstance(counts["loop"], callgrind.Counted)


def test_an_interpreter_behind_a_shell_wrapper_is_refused(toy, tmp_path):
    """Valgrind would count the wrapper, not Python (pyenv's shims are such wrappers)."""
    wrapper = tmp_path / "python-wrapper"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    counts = callgrind.count([callgrind.Point("loop", f"{toy}:loop", (100,))],
                             python=str(wrapper), prime=False)
    assert isinstance(counts["loop"], callgrind.Failed)
    assert "not running under Valgrind" in counts["loop"].message


def test_track_methods_return_positive_ints(monkeypatch):
    cls = bench_instructions.NotebookInstructions
    monkeypatch.setattr(cls, "params", [["numba-maxplus"]])
    monkeypatch.setattr(cls, "size", (20, 3))
    bench = cls()
    counts = bench.setup_cache()
    bench.setup(counts, "numba-maxplus")
    instructions = bench.track_instructions(counts, "numba-maxplus")
    assert isinstance(instructions, int) and instructions > 0, counts
    assert cls.unit == "instructions"


def test_a_headline_case_counts_only_itself(monkeypatch):
    counted = []
    real = bench_instructions.count_points

    def spy(points):
        counted.append([p.name for p in points])
        return real(points)
    monkeypatch.setattr(bench_instructions, "count_points", spy)
    bench = bench_instructions.HeadlineInstructions()
    assert not hasattr(bench, "setup_cache")
    bench.setup("steps-10k-default")
    instructions = bench.track_instructions("steps-10k-default")
    assert counted == [["steps-10k-default"]]
    assert isinstance(instructions, int) and instructions > 0


def test_without_valgrind_the_benchmarks_are_asv_skips_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no valgrind on PATH
    reason = callgrind.unavailable_reason()
    assert reason is not None and "apt-get install valgrind" in reason
    with pytest.raises(callgrind.CallgrindUnavailable, match="apt-get install valgrind"):
        callgrind.count([callgrind.Point("x", "os:getcwd")])
    bench = bench_instructions.NotebookInstructions()
    counts = bench.setup_cache()  # never raises: asv would fail the whole class
    with pytest.raises(NotImplementedError, match="apt-get install valgrind"):
        bench.setup(counts, "numba-maxplus")


def test_the_shim_is_built_once_into_its_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ASVKIT_CACHE_DIR", str(tmp_path))
    library = callgrind.shim_library()
    assert library.parent == tmp_path and library.is_file()
    built = library.stat().st_mtime_ns
    assert callgrind.shim_library() == library and library.stat().st_mtime_ns == built


def test_a_factory_imported_off_sys_path_is_found(tmp_path):
    """asv imports the suite through an importer of its own: the child is told where the
    factory's module lives, not only our sys.path."""
    import importlib.util

    (tmp_path / "callgrind_offpath.py").write_text(TOY)
    spec = importlib.util.spec_from_file_location("callgrind_offpath",
                                                  tmp_path / "callgrind_offpath.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["callgrind_offpath"] = module
    try:
        spec.loader.exec_module(module)
        counts = callgrind.count([callgrind.Point("loop", "callgrind_offpath:loop", (100,))],
                                 prime=False)
    finally:
        del sys.modules["callgrind_offpath"]
    assert str(tmp_path) not in sys.path
    assert isinstance(counts["loop"], callgrind.Counted), counts


def test_the_suites_checkout_never_shadows_the_installed_package(tmp_path, monkeypatch):
    """A benchmark suite lives in the project's checkout, beside the project's package;
    the environment has its own copy installed. The child must import the installed one:
    with the suite's folder first on its path, both sides of a compare counted the
    checkout's code (the instruction drill missed a x1.05 extra-work head, ratio 1.000)."""
    checkout, installed = tmp_path / "checkout", tmp_path / "site-packages"
    (checkout / "suite").mkdir(parents=True)
    installed.mkdir()
    (checkout / "suite" / "__init__.py").write_text("")
    (checkout / "suite" / "bench.py").write_text(
        "def make():\n    import theproject\n    raise NotImplementedError(theproject.WHERE)\n")
    (checkout / "theproject.py").write_text("WHERE = 'the checkout'\n")
    (installed / "theproject.py").write_text("WHERE = 'installed'\n")
    monkeypatch.syspath_prepend(str(installed))
    for name in ("suite", "suite.bench"):  # imported as asv does: by file, not sys.path
        spec = importlib.util.spec_from_file_location(
            name, checkout / name.replace(".", "/") / "__init__.py" if name == "suite"
            else checkout / "suite" / "bench.py")
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, name, module)
        spec.loader.exec_module(module)
    counts = callgrind.count([callgrind.Point("x", "suite.bench:make")])
    assert counts["x"] == callgrind.Skipped("installed")
