"""Import, compile and first-call cost of each JIT variant, in a fresh process (timeraw_)."""
from .common import skip_unless_runnable, variant_names

JIT_BACKENDS = ("numba", "jax")


class FirstCall:
    params = [[name for name in variant_names("cake") if name.split("-")[0] in JIT_BACKENDS]
              or ["none-registered"]]
    param_names = ["variant"]
    repeat = (3, 5, 60.0)
    number = 1
    timeout = 300

    def setup(self, variant):
        skip_unless_runnable("cake", variant)

    def timeraw_import_compile_call(self, variant):
        return f"""
import numpy as np
import vfi
vfi.iterate(np.linspace(0.1, 1.0, 100), 0.95, 2, variant={variant!r})
"""


class ImportVfi:
    """`import vfi` must stay cheap: numba and jax are imported only when used."""

    repeat = (5, 10, 30.0)
    number = 1

    def timeraw_import(self):
        return "import vfi"
