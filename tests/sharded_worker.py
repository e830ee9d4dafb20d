"""Run by test_jax_scale.py in a subprocess whose XLA_FLAGS give JAX 8 CPU devices.

Not collected by pytest (no test_ prefix): it needs the flag set before JAX is imported.
Exits non-zero (an assertion or a hypothesis failure) when jax-sharded disagrees with
numpy-masked on a drawn grid.
"""
import sys

import jax
import numpy as np
from helpers import assert_policies_agree, assert_values_agree
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import betas, grids

import vfi
from vfi.cake.jax import iterate_sharded
from vfi.cake.problem import validate

DEVICES = 8


@settings(max_examples=int(sys.argv[1]) if len(sys.argv) > 1 else 30, deadline=None,
          database=None)
@given(grid=grids(min_size=1, max_size=100).filter(lambda g: g.size % DEVICES != 0),
       beta=betas, num_iter=st.integers(1, 20), used=st.sampled_from([1, 3, DEVICES]))
def check_sharded_agrees(grid, beta, num_iter, used):
    problem = validate(grid, beta)
    v0 = problem.initial_value()
    value, policy = iterate_sharded(problem.grid, problem.beta, v0, num_iter,
                                    devices=jax.devices()[:used])
    reference, ref_policy = vfi.iterate(grid, beta, num_iter, variant="numpy-masked",
                                        return_policy=True)
    assert_values_agree(value, reference)
    before = vfi.iterate(grid, beta, num_iter - 1, variant="numpy-masked")
    assert_policies_agree(policy, ref_policy, problem.grid, problem.beta, before)


if __name__ == "__main__":
    assert len(jax.devices()) == DEVICES, f"expected {DEVICES} devices, got {jax.devices()}"
    check_sharded_agrees()
    # The registered variant, through the public API, uses every device.
    grid = np.linspace(0.1, 1.0, 1001)
    assert_values_agree(vfi.iterate(grid, 0.95, 50, variant="jax-sharded"),
                        vfi.iterate(grid, 0.95, 50, variant="numba-loops"))
    print(f"jax-sharded agrees with numpy-masked on {DEVICES} devices")
