"""Run by test_family_sharded.py in a subprocess whose XLA_FLAGS give JAX 8 CPU devices.

Not collected by pytest (no test_ prefix): the device count is fixed when JAX is imported.
Exits non-zero (an assertion or a hypothesis failure) when the family's jax-sharded
disagrees with numba-brute on a drawn growth or savings model (grid sizes not divisible
by 8, on 1, 3 or 8 of the devices), or when the memory-cap demonstration fails: a model
whose one-device working set is over the stated cap must be refused on one device and
run, agreeing with numba-brute, on eight.
"""
import sys

import growth_strategies as grow
import jax
import numpy as np
import savings_strategies as saving
from hypothesis import given, settings
from hypothesis import strategies as st

import vfi.growth as growth
import vfi.savings as savings
from vfi.family.jax import iterate_sharded, sharded_memory_bytes

DEVICES = 8
#: Few sizes (JAX compiles once per mesh, shape and utility), none a multiple of 8.
SIZES = st.sampled_from([2, 13, 45, 101])
#: The stated cap of the demonstration, bytes per device, and its model: growth on 601
#: capital points x 5 productivity states (one lax.map batch of 601 x 5 x 601 candidates).
MEMORY_CAP = 16 * 2**20
CAP_MODEL_N = 601

MEMBERS = {
    "growth": (growth, grow, grow.models(sizes=SIZES, states=st.integers(2, 5))),
    "savings": (savings, saving, saving.models(sizes=SIZES, states=st.integers(1, 5))),
}


def check(member, model, v0, num_iter, devices):
    api, helpers, _ = MEMBERS[member]
    before = api.iterate(model, num_iter - 1, variant="numba-brute", v0=v0)
    reference, ref_policy = api.bellman(model, before, variant="numba-brute")
    value, policy = iterate_sharded(model.spec, model.initial_value(v0), num_iter,
                                    devices=devices)
    assert value.shape == model.shape and value.dtype == np.float64
    assert policy.shape == model.shape and policy.dtype == np.int64
    helpers.assert_values_agree(value, reference)
    helpers.assert_policies_agree(policy, ref_policy, model, before)


def agrees(examples):
    @settings(max_examples=examples, deadline=None, database=None)
    @given(member=st.sampled_from(sorted(MEMBERS)), used=st.sampled_from([1, 3, DEVICES]),
           num_iter=st.integers(1, 6), data=st.data())
    def check_drawn(member, used, num_iter, data):
        model = data.draw(MEMBERS[member][2], label="model")
        assert model.n % DEVICES != 0
        v0 = data.draw(MEMBERS[member][1].start_values(model), label="v0")
        check(member, model, v0, num_iter, jax.devices()[:used])

    check_drawn()


def memory_cap_demonstration():
    model = growth.afv2015(CAP_MODEL_N)
    one = sharded_memory_bytes(model.spec, jax.devices()[:1])
    split = sharded_memory_bytes(model.spec, jax.devices())
    assert split < MEMORY_CAP < one, (one, split)
    try:
        iterate_sharded(model.spec, model.initial_value(), 5, devices=jax.devices()[:1],
                        memory_cap=MEMORY_CAP)
    except MemoryError as exc:
        assert "over the cap of 16.0 MiB" in str(exc), exc
    else:
        raise AssertionError("one device ran a model over the memory cap")
    value, _ = iterate_sharded(model.spec, model.initial_value(), 5, devices=jax.devices(),
                               memory_cap=MEMORY_CAP)
    grow.assert_values_agree(value, growth.iterate(model, 5, variant="numba-brute"))
    print(f"memory cap {MEMORY_CAP / 2**20:.1f} MiB per device: growth {model.n} x {model.m} "
          f"needs {one / 2**20:.1f} MiB on 1 device (refused), {split / 2**20:.1f} MiB per "
          f"device on {DEVICES} (ran, agrees with numba-brute)")


if __name__ == "__main__":
    assert len(jax.devices()) == DEVICES, f"expected {DEVICES} devices, got {jax.devices()}"
    agrees(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
    # The registered variants, through the public APIs, use every device.
    for api, model in ((growth, growth.afv2015(203)),
                       (savings, savings.OptimalSavings(
                           R=1.01, beta=0.96, gamma=2.0, grid=np.linspace(0.01, 5.0, 77),
                           y=[0.5, 1.0, 1.5], P=np.full((3, 3), 1 / 3)))):
        value = api.iterate(model, 8, variant="jax-sharded")
        grow.assert_values_agree(value, api.iterate(model, 8, variant="numba-brute"))
    memory_cap_demonstration()
    print(f"family jax-sharded agrees with numba-brute on {DEVICES} devices")
