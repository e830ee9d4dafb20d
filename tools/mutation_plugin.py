"""pytest plugin of the mutation run (tools/mutation.sh): which test runs which line.

Loaded with ``-p mutation_plugin`` (tools/ on ``PYTHONPATH``) under ``coverage run``:

* each test's lines are recorded under its pytest node id as coverage context (what
  coverage.py's ``dynamic_context = test_function`` does, with the node id, parameters
  included, so a selection can name a single parametrisation);
* each test's duration and outcome go to ``$MUTATION_TESTS_JSON``, so the selection can
  prefer fast tests and leave out the ones that fail or are skipped before any mutation;
* a test that runs longer than ``$MUTATION_TEST_LIMIT`` seconds is stopped (SIGALRM) and
  recorded as too slow: with the kernels run as Python (``NUMBA_DISABLE_JIT=1``) a test
  sized for compiled code can take minutes, and it would cost that for every mutant.

It also registers the Hypothesis profile ``mutation`` (fewer examples, no deadline), used
when ``HYPOTHESIS_PROFILE=mutation``: the suite's conftest loads the profile by name.
"""
from __future__ import annotations

import json
import os
import signal
import time

import pytest

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    settings = None
else:
    settings.register_profile(
        "mutation", max_examples=int(os.environ.get("MUTATION_EXAMPLES", "20")),
        deadline=None, database=None, derandomize=True,
        suppress_health_check=list(HealthCheck))

_RESULTS: dict[str, dict] = {}


class TestTooSlow(BaseException):
    """Raised by the alarm in a test past the limit: a BaseException, so that Hypothesis
    does not take it for a failing example (and shrink it, unbounded), and raised again
    every half second until the test has stopped."""


def _coverage():
    try:
        import coverage
    except ImportError:
        return None
    return coverage.Coverage.current()


def _alarm(signum, frame):
    raise TestTooSlow(f"over MUTATION_TEST_LIMIT={os.environ.get('MUTATION_TEST_LIMIT')} s")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    cov = _coverage()
    if cov is not None:
        cov.switch_context(item.nodeid)
    start = time.perf_counter()
    _RESULTS[item.nodeid] = {"outcome": "passed", "seconds": 0.0}
    yield
    _RESULTS[item.nodeid]["seconds"] = round(time.perf_counter() - start, 4)
    if cov is not None:
        cov.switch_context("")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    limit = float(os.environ.get("MUTATION_TEST_LIMIT", "0") or 0)
    if limit > 0:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, limit, 0.5)
    try:
        yield
    finally:
        if limit > 0:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def pytest_runtest_logreport(report):
    entry = _RESULTS.setdefault(report.nodeid, {"outcome": "passed", "seconds": 0.0})
    if report.failed:
        slow = report.longrepr is not None and "TestTooSlow" in str(report.longrepr)
        entry["outcome"] = "slow" if slow else "failed"
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"


def pytest_sessionfinish(session):
    path = os.environ.get("MUTATION_TESTS_JSON")
    if path:
        with open(path, "w") as out:
            json.dump(_RESULTS, out, indent=0, sort_keys=True)
