"""Every member's headline case, every variant: what ``python -m vfi time MEMBER`` times.

The members and their variants come from the registry of the commit being measured
(:func:`vfi.registry.members`), so a new member is benchmarked with no edit here: its
``case(n)`` at ``timing = (n, steps)``, ``steps`` Bellman steps per call. A commit from
before the members records one skipped row.
"""
import time

from .common import BUDGET_SCALE, registry


def member_variants() -> list[str]:
    """``"member:variant"`` for every registered variant of every member, or a placeholder."""
    try:
        members = registry.members()
    except Exception:  # no registry, or one from before the members
        return ["none:none-registered"]
    return [f"{member.name}:{name}" for member in members
            for name in registry.variants(member.name, include_unavailable=True)]


#: A call expected (from one timed step) to take longer than this is skipped, not timed.
BUDGET_SECONDS = 3.0


class MemberHeadline:
    params = [member_variants()]
    param_names = ["member_variant"]
    number = 1
    rounds = 1
    repeat = (3, 10, 4.0)
    warmup_time = 0.0
    timeout = 300

    def setup(self, member_variant):
        name, variant = member_variant.split(":", 1)
        try:
            member = registry.member(name)
        except Exception:
            raise NotImplementedError(f"no member {name!r} at this commit") from None
        reason = registry.unavailable_variants(name).get(variant)
        if reason is not None:
            raise NotImplementedError(f"{variant} unavailable: {reason}")
        n, steps = member.timing
        try:
            model = member.case(n=n)
        except ImportError as exc:
            raise NotImplementedError(f"{name}'s case needs an optional package: {exc}") from None
        member.iterate(model, 1, variant=variant)  # compile at the timed shapes and dtypes
        start = time.perf_counter()
        member.iterate(model, 1, variant=variant)
        estimate = (time.perf_counter() - start) * steps
        budget = BUDGET_SECONDS * BUDGET_SCALE
        if estimate > budget:
            raise NotImplementedError(f"{member_variant}: about {estimate:.1f} s a call, over "
                                      f"the {budget:g} s budget")
        self.run = lambda: member.iterate(model, steps, variant=variant)

    def time_iterate(self, member_variant):
        self.run()
