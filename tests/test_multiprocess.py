"""jax-sharded (cake eating and the family) in several JAX processes on one machine.

Two processes on 127.0.0.1, each with 2 simulated CPU devices and JAX's gloo collectives,
join through ``jax.distributed.initialize`` and run the same calls (tests/
multiprocess_worker.py); each must get the whole result, equal to the single-process
answer to 1e-12. The harness (tests/multiprocess_harness.py) is tested too: it must
report a process that returns a wrong result, one that exits before joining, and one
that never finishes, and leave no process behind.
"""
import os
import time

import pytest
from multiprocess_harness import LaunchFailed, check_results, launch
from multiprocess_worker import cases

import vfi

pytestmark = pytest.mark.skipif("jax-sharded" not in vfi.variants(),
                                reason="jax is not installed (the optional path is "
                                       "tested in test_optional.py)")
PROCESSES, DEVICES = 2, 2


def references(names):
    table = cases()
    return {name: table[name][0](table[name][1]) for name in names}


def assert_all_stopped(processes):
    """Every process reaped, and nothing left in its process group."""
    assert processes and all(p.returncode is not None for p in processes)
    for process in processes:
        with pytest.raises(ProcessLookupError):
            os.killpg(process.pid, 0)


def test_every_process_gets_the_single_process_answer(tmp_path):
    names = ("cake", "growth", "savings")
    results = launch(tmp_path, processes=PROCESSES, devices=DEVICES, cases=",".join(names))
    assert len(results) == PROCESSES
    check_results(results, references(names), devices=PROCESSES * DEVICES)


def test_harness_reports_a_wrong_result(tmp_path):
    results = launch(tmp_path, processes=PROCESSES, devices=DEVICES, cases="cake",
                     inject={1: "wrong"})
    expected = references(["cake"])
    check_results(results[:1], expected, devices=PROCESSES * DEVICES)  # process 0 is right
    with pytest.raises(LaunchFailed, match=r"process 1, cake: value off by .* over 1e-12"):
        check_results(results, expected, devices=PROCESSES * DEVICES)


def test_harness_reports_a_process_that_does_not_start(tmp_path):
    start = time.monotonic()
    with pytest.raises(LaunchFailed, match="process 1 exited with status 3") as failure:
        launch(tmp_path, processes=PROCESSES, devices=DEVICES, cases="cake",
               inject={1: "exit"}, timeout=60)
    assert time.monotonic() - start < 30  # reported at once, not at the deadline
    assert_all_stopped(failure.value.processes)


def test_harness_stops_a_process_that_never_finishes(tmp_path):
    start = time.monotonic()
    with pytest.raises(LaunchFailed, match=r"processes \[.*1.*\] still running after 4 s") \
            as failure:
        launch(tmp_path, processes=PROCESSES, devices=DEVICES, cases="cake",
               inject={1: "hang"}, timeout=4)
    assert time.monotonic() - start < 20
    assert_all_stopped(failure.value.processes)
