"""One registry of solver variants, keyed by problem and ``backend-algorithm`` name.

A variant is declared by one :func:`register` line that names the problem, the
variant, the kernel as ``"module:function"`` and the optional packages it needs.
Nothing is imported at declaration: a kernel module is imported on first
:func:`lookup`, so ``import vfi`` never pays for (or fails on) numba or jax.
Everything else (the public API, the solve methods, the tests, the benchmarks,
the command line) reads this registry; nothing keeps its own list of variants.
"""
from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from vfi.validation import did_you_mean, plain

__all__ = ["Variant", "VariantUnavailable", "register", "lookup", "variants",
           "unavailable_variants", "get_variant", "problems", "alias", "declare_problem",
           "kernel_protocol", "signature_matches", "CakeKernel", "FamilyKernel",
           "registration_count", "on_register", "register_member", "members", "member"]


class CakeKernel(Protocol):
    """A cake-eating kernel: ``num_iter`` Bellman steps from v on a validated grid.

    Returns ``(value, policy)``: float64 (n,) and the last step's first maximisers, int64
    (n,). ``v`` is only read; nothing is kept between calls.
    """

    def __call__(self, grid: np.ndarray, beta: float, v: np.ndarray,
                 num_iter: int) -> tuple[np.ndarray, np.ndarray]: ...


class FamilyKernel(Protocol):
    """A savings-family kernel: ``num_iter`` Bellman steps from v, shape (n, m).

    ``spec`` is the member's :class:`vfi.family.spec.FamilySpec`. Returns
    ``(value, policy)`` of shape (n, m), float64 and int64; ``v`` is only read.
    """

    def __call__(self, spec, v: np.ndarray, num_iter: int) -> tuple[np.ndarray, np.ndarray]: ...


_PROTOCOLS: dict[str, type] = {}


def declare_problem(problem: str, protocol: type) -> None:
    """State once the call signature every kernel of ``problem`` has."""
    _PROTOCOLS[problem] = protocol


def kernel_protocol(problem: str) -> type:
    return _PROTOCOLS[problem]


def _parameters(function) -> list[str]:
    return [p.name for p in inspect.signature(function).parameters.values()
            if p.default is inspect.Parameter.empty and p.name != "self"]


def signature_matches(problem: str, kernel: Callable) -> bool:
    """True when ``kernel``'s required parameters are those of the problem's protocol."""
    return _parameters(kernel) == _parameters(kernel_protocol(problem).__call__)


class VariantUnavailable(RuntimeError):
    """A known variant whose optional dependency is missing in this environment."""


@functools.cache
def _import_failure(module: str) -> str | None:
    """Why ``module`` cannot be imported here, or None when it can."""
    try:
        importlib.import_module(module)
    except Exception as exc:  # a broken install is as unavailable as a missing one
        return f"{module} is not importable ({type(exc).__name__}: {exc})"
    return None


@dataclass(frozen=True)
class Variant:
    """A registered kernel: ``kernel`` is ``"module:function"``, imported lazily.

    ``fast_path``, when given, is another ``"module:function"`` the variant runs: a
    compiled path that the plain default call takes instead of ``kernel`` (it checks its
    own inputs and returns False where the general path must run). :attr:`entry_points`
    lists every function the variant runs, so whatever wraps or measures a variant
    through the registry reaches what users run.
    """

    problem: str
    name: str
    kernel: str
    requires: tuple[str, ...] = ()
    description: str = ""
    fast_path: str | None = None
    cost: str | None = None

    @property
    def entry_points(self) -> tuple[str, ...]:
        return (self.kernel,) + ((self.fast_path,) if self.fast_path else ())

    @property
    def backend(self) -> str:
        return self.name.split("-", 1)[0]

    @property
    def algorithm(self) -> str:
        return self.name.split("-", 1)[1]

    @property
    def unavailable_reason(self) -> str | None:
        """None when the variant can run here, else why it cannot."""
        for module in self.requires:
            reason = _import_failure(module)
            if reason is not None:
                return reason
        return None

    @property
    def available(self) -> bool:
        return self.unavailable_reason is None

    def load(self, entry: str | None = None) -> Callable:
        """The kernel (or ``entry``, one of :attr:`entry_points`), imported now."""
        reason = self.unavailable_reason
        if reason is not None:
            raise VariantUnavailable(f"variant {self.name!r} of problem {self.problem!r} "
                                     f"is unavailable: {reason}")
        module, function = (entry or self.kernel).split(":")
        return getattr(importlib.import_module(module), function)


_REGISTRY: dict[tuple[str, str], Variant] = {}
_ALIASES: dict[tuple[str, str], str] = {}


#: How the (state, choice) pairs of one Bellman step grow with n grid points: every
#: feasible choice of every state, or a search that visits a few per state.
COST_CLASSES = ("n^2/2", "n log2 n", "n")
BRUTE_FORCE, N_LOG_N, LINEAR = COST_CLASSES


def register(problem: str, name: str, kernel: str, *, requires: tuple[str, ...] = (),
             description: str = "", fast_path: str | None = None,
             cost: str | None = None) -> Variant:
    """Declare variant ``name`` (``backend-algorithm``) of ``problem``.

    ``cost`` is its cost class, one of :data:`COST_CLASSES`: what the benchmarks'
    budgets and tiers read to decide which sizes it runs at.
    """
    if "-" not in name:
        raise ValueError(f"variant name must be 'backend-algorithm', got {name!r}")
    if (problem, name) in _REGISTRY:
        raise ValueError(f"variant {name!r} of problem {problem!r} is registered twice")
    if cost not in COST_CLASSES:
        raise ValueError(f"cost must be one of {COST_CLASSES} (the pairs of one step), "
                         f"got {cost!r} for variant {name!r}")
    variant = Variant(problem, name, kernel, tuple(requires), description, fast_path, cost)
    _REGISTRY[problem, name] = variant
    for listener in _LISTENERS:
        listener(variant)
    return variant


_LISTENERS: list[Callable] = []


def on_register(listener: Callable) -> None:
    """Call ``listener(variant)`` after every later :func:`register`: how a cache of what
    is registered (the cake member's fast path) knows to look again, at no cost per call."""
    _LISTENERS.append(listener)


def registration_count() -> int:
    """Changes whenever a variant is registered: a key for caches of what is registered."""
    return len(_REGISTRY)


def alias(problem: str, old: str, name: str) -> None:
    """Let ``old`` keep naming variant ``name`` (a renamed variant); not listed by variants()."""
    get_variant(problem, name)
    _ALIASES[problem, old] = name


def problems() -> list[str]:
    """Names of the problems that have registered variants."""
    return sorted({problem for problem, _ in _REGISTRY})


def _known(problem: str) -> list[Variant]:
    return [v for (p, _), v in _REGISTRY.items() if p == problem]


def get_variant(problem: str, name: object) -> Variant:
    """The :class:`Variant` record, or ValueError listing the known names."""
    if isinstance(name, str):
        name = _ALIASES.get((problem, name), name)
    if not isinstance(name, str) or (problem, name) not in _REGISTRY:
        known = [v.name for v in _known(problem)]
        raise ValueError(f"variant must be one of the known {problem} variants "
                         f"({', '.join(known)}); got {plain(name)}{did_you_mean(name, known)}")
    return _REGISTRY[problem, name]



_LOADED: dict[tuple[str, str], Callable] = {}


def lookup(problem: str, name: object) -> Callable:
    """The kernel of variant ``name``; ValueError if unknown, VariantUnavailable if not here."""
    kernel = _LOADED.get((problem, name)) if isinstance(name, str) else None
    if kernel is None:
        kernel = _LOADED[problem, name] = get_variant(problem, name).load()
    return kernel


def variants(problem: str, *, include_unavailable: bool = False) -> list[str]:
    """Names of the variants of ``problem`` that can run in this environment."""
    return list(_variants(problem, include_unavailable, len(_REGISTRY)))


@functools.lru_cache(maxsize=64)
def _variants(problem: str, include_unavailable: bool, registered: int) -> tuple[str, ...]:
    # Availability is fixed for a process (imports are tried once); ``registered`` makes
    # a new register() line a new key.
    return tuple(v.name for v in _known(problem) if include_unavailable or v.available)


def unavailable_variants(problem: str) -> dict[str, str]:
    """``{name: reason}`` for the known variants of ``problem`` that cannot run here."""
    return {v.name: v.unavailable_reason for v in _known(problem) if not v.available}


# ---- members: the models, each one object with the API of vfi.member ------------------

_MEMBERS: dict[str, object] = {}


def register_member(member):
    """Declare ``member`` (a :class:`vfi.member.Member`); returns it, for the module to bind."""
    if member.name in _MEMBERS and _MEMBERS[member.name] is not member:
        raise ValueError(f"member {member.name!r} is registered twice")
    _MEMBERS[member.name] = member
    return member


def _discover() -> None:
    """Import every package under ``vfi/``: a member registers itself on import, so a
    new member is one new package and nothing else."""
    import pkgutil

    import vfi

    for info in pkgutil.iter_modules(vfi.__path__):
        if info.ispkg:
            importlib.import_module(f"vfi.{info.name}")


def members() -> list:
    """Every member, by name (cake, growth, savings, ...)."""
    _discover()
    return [_MEMBERS[name] for name in sorted(_MEMBERS)]


def member(name: object):
    """The member called ``name``, or ValueError listing the known names."""
    known = [m.name for m in members()]
    if not isinstance(name, str) or name not in _MEMBERS:
        raise ValueError(f"member must be one of {', '.join(known)}; got {plain(name)}"
                         f"{did_you_mean(name, known)}")
    return _MEMBERS[name]
