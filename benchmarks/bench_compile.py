"""Import, compile and first-call cost of each JIT variant, in a fresh process (timeraw_).

``cache="cold"`` turns the on-disk compilation caches off (``VFI_JIT_CACHE=0``): the full
compile, what a user pays once per environment and source version. ``cache="warm"`` is
every later process, loading the compiled kernels from the cache that setup filled (a
commit that breaks the caching shows here, cold and warm converging).
"""
from .common import skip_unless_runnable, variant_names

JIT_BACKENDS = ("numba", "jax")
FIRST_CALL = """
import numpy as np
import vfi
vfi.iterate(np.linspace(0.1, 1.0, 100), 0.95, 2, variant={variant!r})
"""


class FirstCall:
    params = [[name for name in variant_names("cake") if name.split("-")[0] in JIT_BACKENDS]
              or ["none-registered"], ["cold", "warm"]]
    param_names = ["variant", "cache"]
    repeat = (2, 2, 60.0)  # two fresh processes each: a cold compile is seconds, and steady
    number = 1
    rounds = 1
    timeout = 300

    def setup(self, variant, cache):
        skip_unless_runnable("cake", variant)
        if cache == "warm":
            import numpy as np

            import vfi

            try:
                from vfi import compile_cache  # noqa: F401
            except ImportError:
                raise NotImplementedError("no on-disk JIT cache at this commit") from None
            vfi.iterate(np.linspace(0.1, 1.0, 100), 0.95, 2, variant=variant)  # fill it

    def timeraw_import_compile_call(self, variant, cache):
        off = "import os; os.environ['VFI_JIT_CACHE'] = '0'\n" if cache == "cold" else ""
        return off + FIRST_CALL.format(variant=variant)


class ImportVfi:
    """`import vfi` must stay cheap: numba and jax are imported only when used."""

    repeat = (5, 10, 30.0)
    number = 1
    rounds = 1

    def timeraw_import(self):
        return "import vfi"
