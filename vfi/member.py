"""The member contract: what every model of the library exposes, written once.

A member is one object (:class:`Member` or a subclass) made and registered by its
package with :func:`vfi.registry.register_member`; its module binds the API by name
with :meth:`Member.export`, which also gives the names for ``__all__``::

    GROWTH = registry.register_member(FamilyMember("growth", StochasticGrowth, case=case))
    __all__ = ["GROWTH", "case", *GROWTH.export(globals())]   # iterate, bellman, solve, ...

Every member has the same functions with the same signatures:

    iterate(model, num_iter, *, variant=None, v0=None, return_policy=False)
    bellman(model, v, *, variant=None)
    solve(model, *, tol, method="auto", variant=None, max_iter=10_000, v0=None, sweeps=20, ...)
    variants(), unavailable_variants(), default_variant()
    case(n, ...)            # the member's headline model with n grid points

A model is a frozen, validated object with ``grid``, ``beta``, ``spec`` (the family's
arrays), ``shape`` (of a value function), ``initial_value(v0)`` and ``with_grid(grid)``.
Where a member's default differs (cake's ``tol``, its ``v0``) the member lists it in
:attr:`Member.differences` with the reason, and its docstring says so.
"""
from __future__ import annotations

import numpy as np

from vfi import allocator, registry, solvers
from vfi.validation import as_count

#: The functions every member exposes (the contract test reads this list).
API = ("iterate", "bellman", "solve", "variants", "unavailable_variants", "default_variant",
       "case")


class Member:
    """The API of one member.

    ``name``: its registry key (the ``problem`` of its variants); ``model_type``: its model
    class; ``preference``: variants tried, in order, when none is named; ``case``: a
    function ``case(n=..., **parameters)`` returning the member's headline model (what
    the command line solves and times, and the benchmarks run), every parameter a keyword
    with a default; ``timing``: ``(n, num_iter)`` of ``python -m vfi time``'s case;
    ``reference``: the variant others are compared with; ``differences``: the defaults
    that differ from the other members', ``{"solve.tol": "why"}``.
    """

    differences: dict[str, str] = {}
    #: solve's methods ("auto": the member's fastest exact one).
    methods: tuple[str, ...] = (*solvers.METHODS, "auto")

    def __init__(self, name: str, model_type: type, preference: tuple[str, ...], *,
                 case, timing: tuple[int, int], reference: str, summary: str = ""):
        self.name = name
        self.problem = name  # the registry's word for it
        self.model_type = model_type
        self.preference = preference
        self.case = case
        self.timing = timing
        self.reference = reference
        self.summary = summary or name

    def __repr__(self) -> str:
        return f"<member {self.name}>"

    def export(self, namespace: dict, *extra: str) -> list[str]:
        """Bind the API's functions (and the ``extra`` methods named) in ``namespace``, a
        module's ``globals()``, under their own names; returns the names bound."""
        names = [name for name in (*API, *extra) if name != "case"]
        namespace.update({name: getattr(self, name) for name in names})
        return names

    # ---- variants ---------------------------------------------------------------------

    def variants(self) -> list[str]:
        """Names of the variants that can run in this environment."""
        return registry.variants(self.name)

    def unavailable_variants(self) -> dict[str, str]:
        """``{name: reason}`` for the known variants that cannot run here."""
        return registry.unavailable_variants(self.name)

    def default_variant(self) -> str:
        """The first variant of the member's preference available here."""
        available = set(self.variants())
        return next(name for name in self.preference if name in available)

    def variant_name(self, variant) -> str:
        """The canonical name of ``variant`` (default: :meth:`default_variant`)."""
        if variant is None:
            return self.default_variant()
        return registry.get_variant(self.name, variant).name

    # ---- hooks ------------------------------------------------------------------------

    def check_model(self, model):
        """``model`` if it is the member's model, else TypeError naming the class. Every
        call of the API passes here first: the allocator is tuned here, once
        (:func:`vfi.allocator.tune`)."""
        if not isinstance(model, self.model_type):
            raise TypeError(f"model must be a {self.model_type.__module__.rsplit('.', 1)[0]}."
                            f"{self.model_type.__name__}, got {type(model).__name__}")
        allocator.tune()
        return model

    model = check_model  # the family's name for it

    def run_kernel(self, kernel, model, v, num_iter):
        """Call a kernel of the member's protocol (the family's: ``kernel(spec, v, n)``)."""
        return kernel(model.spec, v, num_iter)

    def fast_iterate(self, model, num_iter, variant, v0, return_policy):
        """``iterate``'s result by a compiled path for the plain call, or None (then the
        general path runs)."""
        return None

    # ---- the API ----------------------------------------------------------------------

    def kernel(self, model, variant):
        """``step(v, num_iter=1) -> (value, policy)`` of the named (or default) variant."""
        kernel = registry.lookup(self.name, self.variant_name(variant))

        def step(v, num_iter=1):
            value, policy = self.run_kernel(kernel, model, v, num_iter)
            return np.asarray(value, dtype=np.float64), np.asarray(policy, dtype=np.int64)

        return step

    def iterate(self, model, num_iter, *, variant=None, v0=None, return_policy=False):
        """Apply the Bellman operator ``num_iter`` times from ``v0`` (default: the model's
        ``initial_value()``).

        Parameters
        ----------
        model : the member's model class
        num_iter : int
            Number of Bellman steps, >= 0 (>= 1 when ``return_policy``).
        variant : str, optional
            A name from ``variants()``; default ``default_variant()``.
        v0 : array_like, optional
            Shape ``model.shape``, finite; never modified.
        return_policy : bool
            Also return the last step's policy: indices into the grid, first maximiser.

        Returns
        -------
        value : ndarray of float64, shape ``model.shape``
        policy : ndarray of int64, same shape, only when ``return_policy``
        """
        model = self.check_model(model)
        fast = self.fast_iterate(model, num_iter, variant, v0, return_policy)
        if fast is not None:
            return fast
        return self.general_iterate(model, num_iter, variant, v0, return_policy)

    def general_iterate(self, model, num_iter, variant, v0, return_policy):
        """:meth:`iterate` without the fast-path hook (for a front that tried it)."""
        num_iter = as_count("num_iter", num_iter)
        if return_policy and num_iter == 0:
            raise ValueError("num_iter must be >= 1 when return_policy=True "
                             "(the policy is the argmax of the last Bellman step)")
        v = model.initial_value(v0)
        step = self.kernel(model, variant)
        if num_iter == 0:
            return v
        value, policy = step(v, num_iter)
        return (value, policy) if return_policy else value

    def bellman(self, model, v, *, variant=None):
        """One Bellman step: ``(TV, policy)``, with the checks of :meth:`iterate`."""
        return self.iterate(model, 1, variant=variant, v0=v, return_policy=True)

    def solve(self, model, *, tol=1e-8, method="auto", variant=None, max_iter=10_000, v0=None,
              sweeps=20):
        raise NotImplementedError
