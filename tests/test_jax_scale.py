"""JAX at scale: jax-vmap refuses what would not fit, jax-blocked agrees at every block
size, jax-sharded agrees on 8 simulated devices (in a subprocess, since the device count
is fixed when JAX is imported)."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_policies_agree, assert_values_agree
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import betas, grids

import vfi

pytestmark = pytest.mark.skipif("jax-blocked" not in vfi.variants(),
                                reason="jax is not installed (the optional path is "
                                       "tested in test_optional.py)")
HERE = Path(__file__).parent


def test_vmap_refuses_a_size_that_cannot_fit():
    grid = np.linspace(0.1, 1.0, 10_000_000)
    with pytest.raises(MemoryError, match=r"jax-vmap at n=10000000 needs about .* jax-blocked"):
        vfi.iterate(grid, 0.95, 1, variant="jax-vmap")


class FakeAccelerator:
    """A device that reports allocator statistics, as GPUs and TPUs do."""

    def __init__(self, limit, in_use):
        self.stats = {"bytes_limit": limit, "bytes_in_use": in_use}

    def memory_stats(self):
        return self.stats

    def __str__(self):
        return "fake:0"


def test_vmap_guard_reads_the_device_allocator():
    from vfi.cake.jax import check_vmap_fits, vmap_working_set_bytes

    need = vmap_working_set_bytes(20_000)
    check_vmap_fits(20_000, FakeAccelerator(limit=need + 10, in_use=0))
    with pytest.raises(MemoryError, match="fake:0"):
        check_vmap_fits(20_000, FakeAccelerator(limit=need + 10, in_use=20))


@pytest.mark.parametrize("n", [300, 1000])
def test_vmap_working_set_constant_matches_xla(n):
    """VMAP_BYTES_PER_PAIR is what XLA's own memory analysis reports for the compiled loop."""
    import jax
    import jax.numpy as jnp

    from vfi.cake.jax import _iterate_vmap, vmap_working_set_bytes

    with jax.enable_x64(True):
        grid = jnp.linspace(0.1, 1.0, n)
        compiled = _iterate_vmap.lower(grid, jnp.float64(0.95), grid, 10).compile()
    temp = compiled.memory_analysis().temp_size_in_bytes
    assert 0.9 * vmap_working_set_bytes(n) <= temp <= vmap_working_set_bytes(n)


@settings(max_examples=40)
@given(grid=grids(min_size=1, max_size=80), beta=betas, num_iter=st.integers(1, 15),
       block=st.integers(1, 90))
def test_blocked_agrees_at_every_block_size(grid, beta, num_iter, block):
    from vfi.cake.jax import iterate_blocked
    from vfi.cake.problem import validate

    problem = validate(grid, beta)
    value, policy = iterate_blocked(problem.grid, problem.beta, problem.initial_value(),
                                    num_iter, block=block)
    reference, ref_policy = vfi.iterate(grid, beta, num_iter, variant="numpy-masked",
                                        return_policy=True)
    assert_values_agree(value, reference)
    before = vfi.iterate(grid, beta, num_iter - 1, variant="numpy-masked")
    assert_policies_agree(policy, ref_policy, problem.grid, problem.beta, before)


def test_block_rows_bounds_the_working_set():
    from vfi.cake.jax import BLOCK_PAIRS, block_rows

    for n in (1, 7, 1000, 100_000, 10_000_000):
        rows = block_rows(n)
        assert 1 <= rows <= n and (rows * n <= BLOCK_PAIRS or rows == 1)


def test_sharded_agrees_on_eight_simulated_devices():
    examples = "100" if os.environ.get("CI") else "25"
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8",
               JAX_PLATFORMS="cpu")
    done = subprocess.run([sys.executable, str(HERE / "sharded_worker.py"), examples],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "agrees with numpy-masked on 8 devices" in done.stdout
