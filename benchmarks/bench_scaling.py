"""Every cake-eating variant over the grid size n (10 Bellman steps per call)."""
from .common import prepare_cake, variant_names

SCALING_STEPS = 10


class Scaling:
    params = [variant_names("cake"), [100, 1_000, 10_000, 100_000, 1_000_000]]
    param_names = ["variant", "n"]
    repeat = (3, 7, 4.0)  # at least 3 samples; calls near the 2 s budget stop there
    timeout = 240

    def setup(self, variant, n):
        self.run = prepare_cake(variant, n, SCALING_STEPS)

    def time_iterate(self, variant, n):
        self.run()

    def peakmem_iterate(self, variant, n):
        self.run()
