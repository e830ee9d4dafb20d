"""Accuracy tracked beside speed: sup error against the continuous closed form.

A change that speeds a variant up by making it wrong shows here. beta = 0.9 and 310
steps bring every variant within 1e-14 of its discrete fixed point, so what remains is
the discretisation error, about 0.128 / sqrt(n / 100).
"""
import numpy as np

from .common import cake_grid, prepare_cake, variant_names

BETA, STEPS = 0.9, 310


class SupErrorToClosedForm:
    params = [variant_names("cake"), [100, 1_000, 10_000]]
    param_names = ["variant", "n"]
    unit = "sup |v - V|"
    timeout = 300

    def setup(self, variant, n):
        import vfi

        run = prepare_cake(variant, n, STEPS, BETA, budget=4.0)
        self.error = float(np.max(np.abs(run() - vfi.closed_form(cake_grid(n), BETA))))

    def track_sup_error(self, variant, n):
        return self.error
