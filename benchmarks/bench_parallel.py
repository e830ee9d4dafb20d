"""Beyond one core: Numba's parallel variants per thread count, JAX's memory per layout,
JAX per device kind, and jax-sharded on 1 against 8 simulated devices.

- ``ParallelNumba``: 10 steps, serial and parallel side by side, the thread count a
  parameter (a count above what Numba was given here is skipped with the reason).
- ``JaxLayouts``: time and peak memory of jax-vmap (n x n) and jax-blocked (n x block).
- ``JaxDevice``: the JAX variants on each device kind; rows for a kind JAX does not see
  here are skipped with the reason.
- ``ShardedDevices``: a subprocess per device count (XLA_FLAGS must be set before JAX is
  imported), each reporting the median of its own timed runs.
"""
import json
import os
import subprocess
import sys

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
