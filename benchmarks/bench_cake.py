"""The notebook's case for every cake-eating variant: n = 100, beta = 0.95, 100 steps."""
from .common import prepare_cake, variant_names

NOTEBOOK_N, NOTEBOOK_STEPS = 100, 100


class NotebookCase:
    params = [variant_names("cake")]
    param_names = ["variant"]
    # Many short samples: the spread between two identical runs is what a regression
    # check compares against (see README, "Benchmarks").
    # One round of 10-20 samples, at most 4 s: the per-commit tier spends its minutes in
    # process starts, and make compare, not this history, is what tells a change apart.
    rounds = 1
    repeat = (10, 20, 4.0)
    warmup_time = 0.2

    def setup(self, variant):
        self.run = prepare_cake(variant, NOTEBOOK_N, NOTEBOOK_STEPS, budget=10.0)

    def time_iterate(self, variant):
        self.run()

    def peakmem_iterate(self, variant):
        self.run()
