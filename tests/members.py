"""The member table: every registered member (:func:`vfi.registry.members`), one row each,
that the contract, agreement, Bellman, stopping, bad-input and CLI tests run over.

A new member needs no row: it is found through the registry with the defaults below. A
row only says what differs (a smaller case where the member's default is large).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from vfi import registry


@dataclass(frozen=True)
class Row:
    """A member and the small case the tests build (``member.case(**small)``)."""

    member: object
    small: dict = field(default_factory=lambda: {"n": 40})
    #: Agreement of every variant with the reference, relative to max |v|.
    rtol: float = 1e-10

    @property
    def name(self) -> str:
        return self.member.name

    def model(self, **changes):
        """The small case, skipped (saying why) where it needs an optional package."""
        try:
            return self.member.case(**{**self.small, **changes})
        except ImportError as exc:
            pytest.skip(f"{self.name}'s case needs an optional package: {exc}")

    def cli_options(self) -> list[str]:
        """The small case as command-line options."""
        return [f"--{k.replace('_', '-')}={v}" for k, v in self.small.items()]


#: What differs from the defaults, by member name.
SMALL = {"growth": {"n": 60}, "savings": {"n": 30, "y_size": 4}}
RTOL = {"cake": 1e-12}

ROWS = [Row(member, SMALL.get(member.name, {"n": 40}), RTOL.get(member.name, 1e-10))
        for member in registry.members()]


def rows(*names):
    """``pytest.mark.parametrize`` over the rows (all, or those named), ids by name."""
    chosen = [row for row in ROWS if not names or row.name in names]
    return pytest.mark.parametrize("row", chosen, ids=[row.name for row in chosen])


def needs(member_or_name, variant: str):
    """Skip unless ``variant`` of the member runs here (its reason as the skip's)."""
    name = getattr(member_or_name, "name", member_or_name)
    reason = registry.unavailable_variants(name).get(variant)
    return pytest.mark.skipif(reason is not None, reason=f"{variant}: {reason}")
