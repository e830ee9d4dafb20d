"""The family's jax-sharded: registered for growth and savings, agreeing with numba-brute
on 8 simulated devices (in a subprocess: the device count is fixed when JAX is imported),
and refusing, before it runs, a working set over a stated per-device memory cap."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from members import needs

import vfi.growth as growth
import vfi.savings as savings
from vfi import registry

HERE = Path(__file__).parent
needs_jax = needs("growth", "jax-sharded")  # without jax: tested in test_optional.py


def test_registered_for_every_family_member():
    for problem in ("growth", "savings"):
        variant = registry.get_variant(problem, "jax-sharded")
        assert variant.kernel == "vfi.family.jax:iterate_sharded"
        assert variant.requires == ("jax",)


@needs_jax
@pytest.mark.skipif("numba-brute" not in growth.variants(), reason="the oracle needs numba")
def test_sharded_agrees_on_eight_simulated_devices():
    examples = "60" if os.environ.get("CI") else "16"
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8",
               JAX_PLATFORMS="cpu")
    done = subprocess.run([sys.executable, str(HERE / "family_sharded_worker.py"), examples],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "agrees with numba-brute on 8 devices" in done.stdout
    assert "(refused)" in done.stdout and "(ran, agrees with numba-brute)" in done.stdout


@needs_jax
def test_one_device_in_process_matches_blocked():
    model = savings.OptimalSavings(R=1.01, beta=0.96, gamma=1.0, grid=np.linspace(0.01, 4, 31),
                                   y=[0.7, 1.3], P=[[0.9, 0.1], [0.2, 0.8]])
    v0 = np.random.default_rng(3).normal(size=model.shape)
    value, policy = savings.iterate(model, 4, variant="jax-sharded", v0=v0, return_policy=True)
    expected, expected_policy = savings.iterate(model, 4, variant="jax-blocked", v0=v0,
                                                return_policy=True)
    np.testing.assert_allclose(value, expected, rtol=0, atol=1e-12 * np.max(np.abs(expected)))
    np.testing.assert_array_equal(policy, expected_policy)


@needs_jax
def test_memory_cap_is_checked_before_the_run():
    from vfi.family.jax import iterate_sharded, sharded_memory_bytes

    model = growth.afv2015(40)
    need = sharded_memory_bytes(model.spec)
    assert need > 40 * 5 * 8  # at least the value itself
    with pytest.raises(MemoryError, match=r"needs .* MiB per device on 1 device\(s\)"):
        iterate_sharded(model.spec, model.initial_value(), 1, memory_cap=need - 1)
    value, _ = iterate_sharded(model.spec, model.initial_value(), 1, memory_cap=need)
    assert value.shape == model.shape
