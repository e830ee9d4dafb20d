"""Beyond one core: Numba's parallel variants per thread count, JAX's memory per layout,
JAX per device kind, and jax-sharded on 1 against 8 simulated devices.

- ``ParallelNumba``: 10 steps, serial and parallel side by side, the thread count a
  parameter (a count above what Numba was given here is skipped with the reason).
- ``JaxLayouts``: time and peak memory of jax-vmap (n x n) and jax-blocked (n x block).
- ``JaxDevice``: the JAX variants on each device kind; rows for a kind JAX does not see
  here are skipped with the reason.
- ``ShardedDevices``: a subprocess per device count (XLA_FLAGS must be set before JAX is
  imported), each reporting the median of its own timed runs.
- ``FamilyShardedSeconds``, ``FamilyShardedMemory``: the family's jax-sharded (growth and
  savings) the same way, timed, and its memory per device as XLA's analysis states it.
"""
import json
import os
import subprocess
import sys

from . import common
from .common import cake_grid, prepare_cake, skip_over_budget, skip_unless_runnable

BETA = 0.95


class ParallelNumba:
    params = [["numba-loops", "numba-parallel", "numba-monotone", "numba-parallel-monotone"],
              [1_000, 10_000, 100_000], [1, 2, 4]]
    param_names = ["variant", "n", "threads"]
    number = 1
    rounds = 1
    repeat = (3, 5, 5.0)
    warmup_time = 0.0
    timeout = 600

    def setup(self, variant, n, threads):
        try:
            import numba
        except ImportError as exc:
            raise NotImplementedError(f"numba is not installed: {exc}") from None
        self.previous = numba.get_num_threads()  # teardown runs after a skip too
        if threads > numba.config.NUMBA_NUM_THREADS:
            raise NotImplementedError(f"{threads} threads requested, numba has "
                                      f"NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}")
        if "parallel" not in variant and threads != 1:
            raise NotImplementedError(f"{variant} is serial: timed at threads=1 only")
        numba.set_num_threads(threads)
        self.run = prepare_cake(variant, n, 10, BETA, budget=3.0)

    def teardown(self, variant, n, threads):
        if hasattr(self, "previous"):
            import numba

            numba.set_num_threads(self.previous)

    def time_10_steps(self, variant, n, threads):
        self.run()


class JaxLayouts:
    params = [["jax-vmap", "jax-blocked"], [1_000, 3_000]]
    param_names = ["variant", "n"]
    number = 1
    repeat = (3, 5, 10.0)
    warmup_time = 0.0
    timeout = 600

    def setup(self, variant, n):
        self.run = prepare_cake(variant, n, 10, BETA, budget=10.0)

    def time_10_steps(self, variant, n):
        self.run()


class JaxMemory:
    """Peak memory of one Bellman step: n x n for jax-vmap (refused where it cannot fit),
    n x block for jax-blocked (at n = 40,000, where jax-vmap's 27 GB does not fit here, one
    step of jax-blocked takes about 8 s on one core)."""

    params = [["jax-vmap", "jax-blocked"], [10_000, 40_000]]
    param_names = ["variant", "n"]
    timeout = 600

    def setup(self, variant, n):
        self.run = prepare_cake(variant, n, 1, BETA, budget=20.0)

    def peakmem_one_step(self, variant, n):
        self.run()


class JaxDevice:
    params = [["jax-vmap", "jax-blocked", "jax-sharded"], ["cpu", "gpu"], [1_000, 10_000]]
    param_names = ["variant", "device", "n"]
    number = 1
    repeat = (3, 5, 10.0)
    timeout = 600

    def setup(self, variant, device, n):
        skip_unless_runnable("cake", variant)
        # The cost model is a CPU core's: a GPU row gets room for its host overheads.
        skip_over_budget(variant, n, 10, budget=2.0 if device == "cpu" else 60.0)
        import jax
        import numpy as np

        from vfi import registry

        try:
            devices = jax.devices(device)
        except RuntimeError as exc:
            raise NotImplementedError(f"JAX sees no {device} here: {exc}") from None
        kernel = registry.lookup("cake", variant)
        where = {"devices": devices} if variant == "jax-sharded" else {"device": devices[0]}
        grid = cake_grid(n)
        v0 = np.sqrt(grid)
        self.run = lambda: kernel(grid, BETA, v0, 10, **where)
        try:
            self.run()
        except MemoryError as exc:
            raise NotImplementedError(str(exc)) from None

    def time_10_steps(self, variant, device, n):
        self.run()


SHARDED_SCRIPT = """
import json, statistics, sys, time
import numpy as np
import vfi
grid = np.linspace(0.1, 1.0, {n})
vfi.iterate(grid, 0.95, 10, variant="jax-sharded")
times = []
for _ in range(5):
    start = time.perf_counter()
    vfi.iterate(grid, 0.95, 10, variant="jax-sharded")
    times.append(time.perf_counter() - start)
import jax
print(json.dumps({{"devices": len(jax.devices()), "median": statistics.median(times)}}))
"""


class ShardedDevices:
    """Seconds for 10 steps of jax-sharded, on 1 and on 8 simulated CPU devices."""

    params = [[1, 8], [2_000, 5_000]]
    param_names = ["devices", "n"]
    unit = "seconds (median of 5)"
    timeout = 600

    def setup(self, devices, n):
        skip_unless_runnable("cake", "jax-sharded")
        skip_over_budget("jax-sharded", n, 60, budget=120.0)
        env = dict(os.environ, JAX_PLATFORMS="cpu",
                   XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}")
        done = subprocess.run([sys.executable, "-c", SHARDED_SCRIPT.format(n=n)], env=env,
                              capture_output=True, text=True, timeout=540)
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
        report = json.loads(done.stdout.strip().splitlines()[-1])
        assert report["devices"] == devices, report
        self.seconds = report["median"]

    def track_10_steps_seconds(self, devices, n):
        return self.seconds


FAMILY_SCRIPT = """
import json, statistics, sys, time
import numpy as np
import vfi.growth as growth
import vfi.savings as savings
from vfi.family.jax import sharded_memory_bytes
import jax
member, n, m, mode = {member!r}, {n}, {m}, {mode!r}
if member == "growth":
    api, model = growth, growth.afv2015(n)
else:
    y = np.exp(np.linspace(-0.5, 0.5, m))
    P = 0.9 * np.eye(m) + 0.1 / m
    api, model = savings, savings.OptimalSavings(R=1.01, beta=0.98, gamma=2.0,
                                                 grid=np.linspace(0.01, 5.0, n), y=y, P=P)
report = {{"devices": len(jax.devices()),
           "bytes_per_device": sharded_memory_bytes(model.spec)}}
if mode == "time":
    api.iterate(model, 10, variant="jax-sharded")
    times = []
    for _ in range(5):
        start = time.perf_counter()
        api.iterate(model, 10, variant="jax-sharded")
        times.append(time.perf_counter() - start)
    report["median"] = statistics.median(times)
print(json.dumps(report))
"""

#: The family's cases: (member, grid points, exogenous states). Timed: growth on 1,001
#: capital points (5 states) and savings with 100 income states (the lectures' 150 x 100);
#: memory only (compiled, not run): growth at 10^6 capital points, whose brute-force step
#: (2.5e12 pairs) is for many accelerators, not for this machine.
FAMILY_TIMED = {"growth-1001x5": ("growth", 1_001, 5), "savings-150x100": ("savings", 150, 100)}
FAMILY_LARGE = {"growth-1000000x5": ("growth", 1_000_000, 5)}
#: Seconds one case's subprocess takes here (import, compile, runs; measured at about 5 s
#: timed and 3 s memory only, rounded up), against a budget of 120 s per case.
FAMILY_SECONDS = {"time": 10.0, "memory": 5.0}
FAMILY_BUDGET = 120.0


def _family_report(case, devices, mode):
    member, n, m = {**FAMILY_TIMED, **FAMILY_LARGE}[case]
    skip_unless_runnable(member, "jax-sharded")
    budget = FAMILY_BUDGET * common.BUDGET_SCALE
    if FAMILY_SECONDS[mode] > budget:
        raise NotImplementedError(f"{case} on {devices} device(s): about "
                                  f"{FAMILY_SECONDS[mode]:g} s, over the {budget:g} s budget")
    env = dict(os.environ, JAX_PLATFORMS="cpu",
               XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}")
    script = FAMILY_SCRIPT.format(member=member, n=n, m=m, mode=mode)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=540)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["devices"] == devices, report
    return report


class FamilyShardedSeconds:
    """Seconds for 10 steps of the family's jax-sharded, on 1 and 8 simulated CPU devices
    (one subprocess each: the device count is fixed when JAX is imported)."""

    params = [list(FAMILY_TIMED), [1, 8]]
    param_names = ["case", "devices"]
    unit = "seconds (median of 5)"
    timeout = 600

    def setup(self, case, devices):
        self.seconds = _family_report(case, devices, "time")["median"]

    def track_10_steps_seconds(self, case, devices):
        return self.seconds


class FamilyShardedMemory:
    """Bytes one device needs for the family's jax-sharded (XLA's memory analysis of the
    compiled per-device program: arguments, outputs and scratch), on 1 and 8 devices."""

    params = [list(FAMILY_TIMED) + list(FAMILY_LARGE), [1, 8]]
    param_names = ["case", "devices"]
    unit = "bytes per device"
    timeout = 600

    def setup(self, case, devices):
        self.bytes = _family_report(case, devices, "memory")["bytes_per_device"]

    def track_bytes_per_device(self, case, devices):
        return self.bytes
