r"""Simulated compares: the whole decision procedure of ``compare``, vectorised over compares.

    python -m vfi_bench.asvkit.simulate [--compares 2000] [--seed 0] [--processes 5]
        [--pairs 5] [--extra 3] [--target-mde 1.2]

A compare of K points runs as ``compare`` runs it (:func:`run_compares`): the first look
at ``processes`` process pairs of ``pairs`` sample pairs each; up to ``extra`` more
looks, one more process pair each, for the points still undecided (a point stops as
soon as it is decided, or inconclusive with its mde at most ``target_mde``); then every
flagged point measured again in ``processes`` fresh process pairs and
:func:`.stats.confirm_look` of the two verdicts. Each look decides with
:func:`.stats.decide_look` at the level :func:`.stats.sequential_levels` gives it: the
functions ``compare`` decides with (:func:`.compare.decide_cases`), so these error rates
are the compare's. The defaults (5 process pairs of 5, 3 more looks, target mde 1.2) are
the compare's too (``--pairs`` here counts per process pair, ``compare``'s counts all).

The data (:class:`Noise`): the log ratio of sample pair :math:`j` in process pair
:math:`g` of a point whose true log ratio is :math:`\delta` is

.. math:: x_{gj} = \delta + b_g + s\, T_{gj} + O_{gj},

:math:`b_g \sim N(0, \sigma_b^2)` the process pair's offset (memory layout; or a
Student t(3) of that sd, for process pairs that land far off),
:math:`T_{gj}` Student t with 3 degrees of freedom (heavy tails), and
:math:`O_{gj} = \pm \log 3` in a share of the samples (a stall on one side). A
``timeraw_`` point (``isolated``) takes every sample pair in processes of its own: its
:math:`b` is drawn per sample pair, and its samples are pooled as independent units.

:func:`table` prints, per setting, the family-wise false-alarm rate over the compares
(any point confirmed ``regressed`` or ``improved`` when nothing changed), the same with
no floor (the t tests alone), the median mde reported, and the power at that mde (one
point of the K changed by that ratio, confirmed ``regressed``).
"""
from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

from vfi_bench.asvkit import stats

#: The slowdown ``make regression-drill`` plants.
DRILL_RATIO = 1.25
#: What a stall does to one side of a sample pair.
OUTLIER_FACTOR = 3.0
TAIL_DF = 3


@dataclass(frozen=True)
class Noise:
    """The noise of one point: ``process_sd`` the sd of a process pair's offset of the
    log ratio (normal, or Student t with ``process_df`` degrees of freedom scaled to that
    sd), ``sample_scale`` the scale of the t(3) noise of a sample pair's log ratio,
    ``outlier_rate`` the share of sample pairs with a x3 stall on one side."""
    process_sd: float = 0.03
    sample_scale: float = 0.04
    outlier_rate: float = 0.05
    process_df: int | None = None

    def offsets(self, rng: np.random.Generator, shape) -> np.ndarray:
        """Process offsets of sd ``process_sd``."""
        if self.process_df is None:
            return self.process_sd * rng.standard_normal(shape)
        unit_variance = math.sqrt((self.process_df - 2) / self.process_df)
        return self.process_sd * unit_variance * rng.standard_t(self.process_df, shape)


@dataclass(frozen=True)
class Procedure:
    """How a compare measures: ``processes`` process pairs of ``pairs`` sample pairs at
    the first look, ``extra`` more looks of one process pair each for the points still
    inconclusive with an mde above ``target_mde``, and the confirmation in ``processes``
    fresh process pairs. An ``isolated`` (``timeraw_``) point takes
    ``max(MIN_PAIRS, pairs)`` sample pairs per look instead, each its own unit, pooled.
    The defaults are ``compare``'s (:data:`.stats.PROCESSES` ...), and so are the looks
    (:func:`.stats.looks_of`)."""
    processes: int = stats.PROCESSES
    pairs: int = stats.PAIRS_PER_PROCESS
    extra: int = stats.EXTRA_LOOKS
    isolated: bool = False
    target_mde: float = stats.TARGET_MDE

    @property
    def looks(self) -> stats.Looks:
        return stats.looks_of(self.processes, self.pairs, self.extra, self.isolated)

    @property
    def confirm_units(self) -> int:
        return self.looks.confirm

    @property
    def trim(self) -> float:
        """:func:`.stats.trim_of`: pooled samples are trimmed, medians are not."""
        return stats.trim_of(self.isolated)


@dataclass(frozen=True)
class Compares:
    """Outcomes of simulated compares, arrays of shape (compares, K): the final verdict
    codes, the first stage's, the mde reported at the look where the point stopped,
    and the looks it took."""
    final: np.ndarray
    first: np.ndarray
    mde: np.ndarray
    looks: np.ndarray

    def any_flagged(self, points=slice(None)) -> np.ndarray:
        """Per compare, whether any of ``points`` ended regressed or improved."""
        final = self.final[:, points]
        return np.any((final == stats.REGRESSED) | (final == stats.IMPROVED), axis=-1)


def sample_noise(rng: np.random.Generator, noise: Noise, shape) -> np.ndarray:
    """Log-ratio noise of sample pairs: t(3) of scale ``sample_scale`` plus stalls."""
    tails = noise.sample_scale * rng.standard_t(TAIL_DF, shape)
    stalls = rng.random(shape) < noise.outlier_rate
    return tails + np.where(stalls, math.log(OUTLIER_FACTOR) * rng.choice([-1, 1], shape), 0.0)


def draw_units(rng: np.random.Generator, noise: Noise, procedure: Procedure, compares: int,
               shifts: np.ndarray, units: int) -> np.ndarray:
    """Unit values of shape (compares, K, units): per process pair the median of its
    ``pairs`` log ratios, or (isolated) one log ratio per unit, each with its own
    process offset."""
    k = shifts.size
    if procedure.isolated:
        offsets = noise.offsets(rng, (compares, k, units))
        return shifts[:, None] + offsets + sample_noise(rng, noise, (compares, k, units))
    offsets = noise.offsets(rng, (compares, k, units, 1))
    samples = sample_noise(rng, noise, (compares, k, units, procedure.pairs))
    return shifts[:, None] + np.median(offsets + samples, axis=-1)


def run_compares(noise: Noise, procedure: Procedure, shifts: Sequence[float],
                 compares: int, seed: int, floor: float = stats.DEFAULT_FLOOR,
                 rule: stats.Rule | None = None, spend: bool = True) -> Compares:
    """``compares`` simulated compares of the points whose true log ratios are
    ``shifts``, decided by the whole procedure (:func:`decide_compares`). ``spend=False``
    tests every look at the whole stage level instead (optional stopping, as the rule
    before did): only to show what the spending buys."""
    shifts = np.asarray(shifts, dtype=float)
    rng = np.random.default_rng(seed)
    looks = procedure.looks
    units = draw_units(rng, noise, procedure, compares, shifts, looks.units(looks.count - 1))
    fresh = draw_units(rng, noise, procedure, compares, shifts, procedure.confirm_units)
    return decide_compares(units, fresh, procedure, floor, rule, spend)


def decide_compares(units: np.ndarray, fresh: np.ndarray, procedure: Procedure,
                    floor: float = stats.DEFAULT_FLOOR, rule: stats.Rule | None = None,
                    spend: bool = True) -> Compares:
    """The procedure on given unit values: ``units`` (compares, K, units at the last
    look) for the first stage, of which look ``l`` sees the first
    ``procedure.looks.units(l)``; ``fresh`` (compares, K, confirmation units) for the
    confirmation, read only for the points flagged."""
    rule = rule or stats.Rule(points=units.shape[1])
    looks = procedure.looks
    levels = looks.levels(rule.stage_alpha) if spend else [rule.stage_alpha] * looks.count
    code = np.full(units.shape[:2], stats.INCONCLUSIVE)
    mde = np.full(code.shape, math.nan)
    taken = np.zeros(code.shape, dtype=int)
    pending = np.ones(code.shape, dtype=bool)
    for look, level in enumerate(levels):
        now = stats.decide_look(units[..., :looks.units(look)], level, procedure.confirm_units,
                                rule.stage_alpha, floor, rule, procedure.trim)
        code = np.where(pending, now.code, code)
        mde = np.where(pending, now.mde, mde)
        taken = np.where(pending, look + 1, taken)
        pending &= stats.undecided(now.code, now.mde, procedure.target_mde)
    final, _ = stats.confirm_look(code, fresh, floor, rule, procedure.trim)
    return Compares(final, code, mde, taken)


# ---- rates -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Rates:
    """One setting's rates: false alarms in ``compares`` A/A compares (with the floor
    and without), the median mde reported, and the compares (of ``compares``) in which
    a change of that ratio in one point was caught, and of :data:`DRILL_RATIO`."""
    compares: int
    false_alarms: int
    false_alarms_no_floor: int
    mde: float
    caught: int
    caught_at_drill: int

    @property
    def false_alarm_bound(self) -> float:
        """One-sided 95 % Clopper-Pearson upper bound of the false-alarm rate."""
        return upper_bound(self.false_alarms, self.compares)

    @property
    def power_bound(self) -> float:
        """One-sided 95 % Clopper-Pearson lower bound of the power at the mde."""
        return 1 - upper_bound(self.compares - self.caught, self.compares)


def upper_bound(events: int, trials: int, confidence: float = 0.95) -> float:
    """Clopper-Pearson one-sided upper bound of a rate seen ``events`` times in ``trials``."""
    if events >= trials:
        return 1.0
    return float(scipy_stats.beta.ppf(confidence, events + 1, trials - events))


def rates(noise: Noise, procedure: Procedure, points: int, compares: int, seed: int,
          floor: float = stats.DEFAULT_FLOOR) -> Rates:
    """False alarms of ``compares`` A/A compares of ``points`` points, and the power at
    their median reported mde (the first point changed by that ratio, in fresh
    simulations)."""
    null = np.zeros(points)
    aa = run_compares(noise, procedure, null, compares, seed, floor)
    bare = run_compares(noise, procedure, null, compares, seed, floor=1.0)
    mde = float(np.median(aa.mde))
    changed = np.concatenate([[math.log(mde)], null[1:]])
    ab = run_compares(noise, procedure, changed, compares, seed + 1, floor)
    caught = int(np.sum(ab.final[:, 0] == stats.REGRESSED))
    drill = np.concatenate([[math.log(DRILL_RATIO)], null[1:]])
    at_drill = run_compares(noise, procedure, drill, compares, seed + 2, floor)
    return Rates(compares, int(aa.any_flagged().sum()), int(bare.any_flagged().sum()), mde,
                 caught, int(np.sum(at_drill.final[:, 0] == stats.REGRESSED)))


#: The settings of the table: (label, noise, isolated).
SETTINGS = (
    ("process pairs, offsets 0", Noise(process_sd=0.0), False),
    ("process pairs, offsets 3 %", Noise(process_sd=0.03), False),
    ("process pairs, offsets 5 %", Noise(process_sd=0.05), False),
    ("process pairs, t(3) offsets 5 %", Noise(process_sd=0.05, process_df=3), False),
    ("timeraw (pooled), offsets 3 %", Noise(process_sd=0.03), True),
)
POINTS = (14, 31)


def table(compares: int = 2000, seed: int = 0, procedure: Procedure = Procedure()) -> str:
    """The markdown table of :data:`SETTINGS` x :data:`POINTS`."""
    rows = ["| setting | K | compares | false alarms (95 % bound) | without the floor "
            "| median mde | caught at the mde (95 % bound) | caught at x1.25 |",
            "|---|---|---|---|---|---|---|---|"]
    for label, noise, isolated in SETTINGS:
        plan = Procedure(procedure.processes, procedure.pairs, procedure.extra, isolated,
                         procedure.target_mde)
        for k in POINTS:
            r = rates(noise, plan, k, compares, seed, stats.DEFAULT_FLOOR)
            rows.append(f"| {label} | {k} | {r.compares} | {r.false_alarms} "
                        f"({r.false_alarm_bound:.2%}) | {r.false_alarms_no_floor} | "
                        f"{r.mde:.3f} | {r.caught} ({r.power_bound:.1%}) | "
                        f"{r.caught_at_drill} |")
    return "\n".join(rows)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--compares", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--processes", type=int, default=Procedure.processes)
    p.add_argument("--pairs", type=int, default=Procedure.pairs)
    p.add_argument("--extra", type=int, default=Procedure.extra)
    p.add_argument("--target-mde", type=float, default=Procedure.target_mde)
    args = p.parse_args(argv)
    procedure = Procedure(args.processes, args.pairs, args.extra,
                          target_mde=args.target_mde)
    print(f"{args.compares} simulated compares per row; {procedure.processes} process pairs "
          f"x {procedure.pairs} sample pairs, up to {procedure.extra} more looks "
          f"(target mde {procedure.target_mde:g}), "
          f"floor {stats.DEFAULT_FLOOR}, alpha {stats.ALPHA}, seed {args.seed}")
    print(table(args.compares, args.seed, procedure))
    return 0


if __name__ == "__main__":
    sys.exit(main())
