"""Hypothesis profiles: ``ci`` (more examples, used by `make test` under CI) and ``dev``."""
import os

from hypothesis import HealthCheck, settings

# A deadline still catches a pathological slowdown, but it must tolerate a JIT compile
# inside an example: jax compiles once per new grid size, numba once per signature.
settings.register_profile("ci", max_examples=150, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
