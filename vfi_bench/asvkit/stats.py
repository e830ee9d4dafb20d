r"""Statistics of a paired A/B performance comparison of K benchmarks: "did it get slower?".

Each benchmark point is measured in :math:`G` *process pairs* (one long-lived process per
side), and within process pair :math:`g` as :math:`J` sample pairs: sample pair :math:`j`
times the baseline A and the candidate B back to back (order randomised) and yields
:math:`x_{gj} = \log(b_{gj} / a_{gj})`. Pairing puts A and B in the same time window, so
a slow-down of the machine that multiplies both times cancels in :math:`x_{gj}`.

**The rule** (:class:`Rule`, :func:`decide_units`, :func:`sequential_levels`). Samples
taken in one process are not independent (memory layout and address-space randomisation
shift a whole process's times), so the unit is the process pair: its value is
:math:`y_g = \operatorname{median}_j x_{gj}` (:func:`unit_values`; a ``timeraw_`` point,
one process per sample, contributes every sample pair as a unit of its own). With
:math:`n` units, mean :math:`\bar y` and standard deviation :math:`s`, the one-sided
bounds at level :math:`a` are

.. math:: \bar y \mp t_{1-a,\,n-1}\, s / \sqrt n

(a t reference on :math:`n - 1` degrees of freedom: exact for normal units whatever
:math:`n`). The verdict at a look with interval :math:`[l, h]`, floor :math:`f` and
equivalence margin :math:`t`:

* ``regressed`` when :math:`l > \log f`, ``improved`` when :math:`h < -\log f`: the
  floor (about 1.02-1.03, :func:`floor_from_aa` calibrates it from A/A records, up or
  down) only absorbs systematic A/A bias; it is not a size threshold;
* ``same`` when :math:`[l, h] \subset [-\log t, \log t]`;
* ``inconclusive`` otherwise; never a pass.

**Error rates.** A false alarm needs a flag in the first stage and the same flag again in
fresh process pairs (the confirmation): the two stages are independent, so with each
stage at one-sided level :math:`a_s = \sqrt{\alpha / (2K)}` per point and direction,
the family-wise false-alarm rate over K points and both directions is at most
:math:`2K a_s^2 = \alpha` (Bonferroni over points and directions, a product over
stages). The first stage looks up to L times (more process pairs for the points still
undecided; a point stops as soon as it is decided): its :math:`a_s` is spent over the
looks by the O'Brien-Fleming-type function
:math:`a(\tau) = 2 - 2\Phi(z_{1 - a_s/2} / \sqrt\tau)` of the information fraction
:math:`\tau`, with exact group-sequential boundaries (:func:`sequential_levels`).

**The minimum detectable effect** (:func:`min_detectable_effect_of`) is the ratio caught
with probability 0.95 through both stages, from the noncentral t power of each stage
and an upper confidence bound of the units' spread (few units give a wide one).

:func:`design` sizes the process pairs and the sample pairs per process pair from the
between- and within-process variances (:func:`variance_components`).

The compare (:func:`.compare.decide_cases`) and the simulation
(:func:`.simulate.decide_compares`) decide through the same functions:
:func:`decide_look` for one look (:func:`undecided` says which points take the next),
:func:`confirm_look` for the confirmation; :func:`looks_of` gives both the same looks.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

__all__ = ["Decision", "Rule", "Looks", "Look", "ALPHA", "POWER", "VERDICTS", "FLAGGED",
           "DEFAULT_FLOOR", "MIN_FLOOR", "DEFAULT_MARGIN", "PROCESSES", "PAIRS_PER_PROCESS",
           "EXTRA_LOOKS", "TARGET_MDE", "looks_of", "trim_of", "unit_values", "t_bounds",
           "classify", "min_detectable_effect_of", "decide_look", "undecided",
           "confirm_look", "decide_units", "confirm_codes", "confirm_verdicts",
           "sequential_levels", "obrien_fleming_spent", "variance_components", "design",
           "floor_from_aa", "instruction_limit", "spread_limit"]

#: The fewest sample pairs of one look at a ``timeraw_`` point (each its own process).
MIN_PAIRS = 6
ALPHA = 0.05
POWER = 0.95
VERDICTS = ("regressed", "improved", "same", "inconclusive")
FLAGGED = ("regressed", "improved")

#: The default plan of a compare (and of the simulation): the first look at
#: ``PROCESSES`` process pairs of ``PAIRS_PER_PROCESS`` sample pairs each, up to
#: ``EXTRA_LOOKS`` more looks of one process pair each for the points still
#: inconclusive with an mde above ``TARGET_MDE``, and the confirmation in ``PROCESSES``
#: fresh process pairs. Five process pairs give the t four degrees of freedom at the
#: first look: with three (two degrees of freedom) the spread's bound, and so the mde,
#: is more than twice as wide.
PROCESSES = 5
PAIRS_PER_PROCESS = 5
EXTRA_LOOKS = 3
TARGET_MDE = 1.2


@dataclass(frozen=True)
class Decision:
    """The outcome of one benchmark's paired comparison.

    ``ratio`` is the B/A ratio (the exponential of the units' mean log ratio),
    ``[low, high]`` its one-sided bounds at the look's level, ``p_value`` the one-sided
    p-value of the flag test (nan when not computed), ``verdict`` one of
    :data:`VERDICTS` and ``mde`` the minimum detectable effect
    (:func:`min_detectable_effect_of`; nan when not computed).
    """
    ratio: float
    low: float
    high: float
    p_value: float
    verdict: str
    mde: float = float("nan")


def _groups(x) -> np.ndarray:
    """Log ratios as a (G, J) array: one row per process pair (a 1-d input is one row; a
    2-d array, a list of lists and a tuple of arrays are read alike)."""
    by_pair = (isinstance(x, np.ndarray) and x.ndim == 2) or (
        isinstance(x, (list, tuple)) and len(x) > 0 and np.ndim(x[0]) == 1)
    rows = [np.asarray(g, dtype=float).ravel() for g in (x if by_pair else [x])]
    rows = [r for r in rows if r.size]
    if not rows:
        return np.empty((0, 0))
    if not all(np.all(np.isfinite(r)) for r in rows):
        raise ValueError("log ratios must be finite")
    width = min(r.size for r in rows)  # equal J per process pair, by design
    return np.stack([r[:width] for r in rows])


# ---- the sequential rule: process pairs as units, alpha spent over looks --------------

DEFAULT_FLOOR = 1.03
MIN_FLOOR = 1.01
DEFAULT_MARGIN = 1.10
MIN_UNITS = 3
#: Confidence of the upper bound of the units' spread that the mde is computed from.
#: Units are not quite normal (process offsets with heavy tails; pooled samples, even
#: trimmed, more so), so their spread is less certain than a chi-square says. Both are
#: the smallest that give the mde its power in every simulated setting (:mod:`.simulate`).
SPREAD_CONFIDENCE = 0.8
POOLED_SPREAD_CONFIDENCE = 0.95
#: Share of units cut from each end for pooled independent samples (``timeraw_``).
POOLED_TRIM = 0.25
#: se(median) / se(mean) of normal data, squared: the variance cost of a median.
MEDIAN_VARIANCE = math.pi / 2
#: Codes of :data:`VERDICTS` in the vectorised functions.
REGRESSED, IMPROVED, SAME, INCONCLUSIVE = range(4)


@dataclass(frozen=True)
class Rule:
    r"""The error rates of one compare of ``points`` (K) benchmark points.

    ``alpha`` is the family-wise false-alarm rate of the whole compare (any point
    confirmed regressed or improved when nothing changed), ``power`` the probability
    that the mde is caught through both stages, ``margin`` the :math:`t` of ``same``.
    Each stage tests each point and direction at
    :math:`a_s = \sqrt{\alpha / (2K)}` (:attr:`stage_alpha`).
    """
    points: int = 1
    alpha: float = ALPHA
    power: float = POWER
    margin: float = DEFAULT_MARGIN

    def __post_init__(self):
        if not (isinstance(self.points, int) and self.points >= 1):
            raise ValueError(f"points must be an integer >= 1 (got {self.points!r})")
        for name in ("alpha", "power"):
            if not 0 < getattr(self, name) < 1:
                raise ValueError(f"{name} must lie in (0, 1) (got {getattr(self, name)})")
        if not (math.isfinite(self.margin) and self.margin > 1):
            raise ValueError(f"margin must be a finite number > 1 (got {self.margin})")

    @property
    def stage_alpha(self) -> float:
        """One-sided level per point, direction and stage: sqrt(alpha / (2 K))."""
        return math.sqrt(self.alpha / (2 * self.points))


def obrien_fleming_spent(fraction, alpha: float):
    r"""The one-sided :math:`\alpha` spent by information fraction :math:`\tau`:
    :math:`a(\tau) = 2 - 2\Phi(z_{1-\alpha/2} / \sqrt\tau)`, so :math:`a(1) = \alpha`.

    Examples
    --------
    >>> spent = obrien_fleming_spent([0.25, 0.5, 1.0], 0.025)
    >>> [float(round(v, 5)) for v in spent]
    [1e-05, 0.00153, 0.025]
    """
    tau = np.asarray(fraction, dtype=float)
    return 2 * stats.norm.sf(stats.norm.isf(alpha / 2) / np.sqrt(tau))


def _trapezoid_weights(w: np.ndarray) -> np.ndarray:
    gaps = np.diff(w)
    return np.concatenate([[gaps[0] / 2], (gaps[:-1] + gaps[1:]) / 2, [gaps[-1] / 2]])


@functools.lru_cache(maxsize=256)
def _boundaries(fractions: tuple[float, ...], alpha: float, step: float = 0.01) -> tuple:
    # Recursive numerical integration (Armitage, McPherson & Rowe) on the Brownian scale
    # W(tau) = Z sqrt(tau): W has independent N(0, dtau) increments; each look's boundary
    # is solved so that the chance of a first crossing there is that look's spending.
    spent = obrien_fleming_spent(np.array(fractions), alpha)
    z = [float(stats.norm.isf(spent[0]))]
    w = np.append(np.arange(-10.0, z[0] * math.sqrt(fractions[0]), step),
                  z[0] * math.sqrt(fractions[0]))
    density = stats.norm.pdf(w / math.sqrt(fractions[0])) / math.sqrt(fractions[0])
    for look in range(1, len(fractions)):
        sd = math.sqrt(fractions[look] - fractions[look - 1])
        target = spent[look] - spent[look - 1]
        mass = density * _trapezoid_weights(w)

        def excess(b, mass=mass, w=w, sd=sd, target=target):
            return float(mass @ stats.norm.sf((b - w) / sd)) - target

        top = optimize.brentq(excess, w[0], 40.0, xtol=1e-10)
        z.append(top / math.sqrt(fractions[look]))
        new_w = np.append(np.arange(-10.0, top, step), top)
        density = stats.norm.pdf((new_w[:, None] - w[None, :]) / sd) / sd @ mass
        w = new_w
    return tuple(float(stats.norm.sf(v)) for v in z)


def sequential_levels(fractions: Sequence[float], alpha: float) -> tuple[float, ...]:
    r"""Nominal one-sided levels of the looks of a group-sequential test at level ``alpha``.

    For information fractions :math:`0 < \tau_1 < \dots < \tau_L = 1`, boundaries
    :math:`c_l` of standard normal statistics :math:`Z_l` with
    :math:`\operatorname{corr}(Z_i, Z_j) = \sqrt{\tau_i / \tau_j}` are chosen so that
    :math:`P(Z_1 < c_1, \dots, Z_{l-1} < c_{l-1}, Z_l \ge c_l) = a(\tau_l) - a(\tau_{l-1})`
    (:func:`obrien_fleming_spent`); the levels are :math:`1 - \Phi(c_l)`. A t statistic
    with :math:`n_l - 1` degrees of freedom is compared with :math:`t_{1 - \text{level}_l}`
    (the significance-level approach). Looks not taken, or stopping early for ``same``,
    only lower the error rate.

    Examples
    --------
    >>> [round(v, 5) for v in sequential_levels([0.5, 1.0], 0.025)]
    [0.00153, 0.0245]
    >>> sequential_levels([1.0], 0.01)
    (0.01,)
    """
    fractions = tuple(float(f) for f in fractions)
    if not fractions or any(not 0 < f <= 1 for f in fractions) or fractions[-1] != 1.0 \
            or any(b <= a for a, b in itertools.pairwise(fractions)):
        raise ValueError(f"fractions must increase within (0, 1] and end at 1 (got {fractions})")
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must lie in (0, 0.5) (got {alpha})")
    if len(fractions) == 1:
        return (alpha,)
    return _boundaries(fractions, float(alpha))


@dataclass(frozen=True)
class Looks:
    """A first stage of at most ``count`` looks: ``first`` units at the first look and
    ``step`` more at each next one (process pairs; for a ``timeraw_`` point, samples)."""
    first: int
    step: int = 1
    count: int = 1

    def __post_init__(self):
        if not (self.first >= 1 and self.step >= 1 and self.count >= 1):
            raise ValueError(f"first, step and count must be >= 1 (got {self})")

    def units(self, look: int) -> int:
        """Units at look ``look`` (0 is the first)."""
        return self.first + look * self.step

    @property
    def confirm(self) -> int:
        """Units of the confirmation: as many as the first look, and at least
        :data:`MIN_UNITS` (with fewer, nothing could be confirmed)."""
        return max(self.first, MIN_UNITS)

    @property
    def fractions(self) -> tuple[float, ...]:
        last = self.units(self.count - 1)
        return tuple(self.units(k) / last for k in range(self.count))

    def levels(self, alpha: float) -> tuple[float, ...]:
        """:func:`sequential_levels` of these looks."""
        return sequential_levels(self.fractions, alpha)


def unit_values(groups, isolated: bool = False) -> np.ndarray:
    """One value per unit: the median log ratio of each process pair, or, for a point
    whose every sample is a process of its own (``isolated``), every log ratio."""
    if isolated:
        rows = groups if isinstance(groups, (list, tuple)) else [groups]
        values = np.concatenate([np.asarray(r, dtype=float).ravel() for r in rows] or [[]])
    else:
        values = np.array([np.median(np.asarray(g, dtype=float)) for g in groups
                           if np.size(g)])
    if not np.all(np.isfinite(values)):
        raise ValueError("log ratios must be finite")
    return values


def trimmed_count(n: int, trim: float) -> int:
    """Units left after trimming ``floor(trim * n)`` from each end."""
    return n - 2 * math.floor(trim * n)


def t_bounds(units, level, trim: float = 0.0):
    r"""Location, one-sided bounds at ``level`` and standard error of the last axis.

    With no trimming, the mean :math:`\bar y` and :math:`\bar y \mp t_{1-a, n-1}\, s/\sqrt n`.
    With ``trim`` :math:`\gamma > 0`, Yuen's trimmed t: :math:`k = \lfloor \gamma n \rfloor`
    units cut from each end, :math:`h = n - 2k` left, the trimmed mean
    :math:`\bar y_\gamma`, the winsorised variance :math:`s_w^2` and

    .. math:: \bar y_\gamma \mp t_{1-a,\, h-1} \sqrt{\frac{(n-1)\, s_w^2}{h (h - 1)}}

    (robust to stalls among independent samples). ``units`` has shape (..., n);
    ``level`` broadcasts against the leading shape. Returns ``(center, low, high, se)``.

    Examples
    --------
    >>> center, low, high, se = t_bounds([0.0, 0.1, 0.2], 0.025)
    >>> float(round(center, 3)), float(round(high - center, 3)), float(round(se, 4))
    (0.1, 0.248, 0.0577)
    >>> round(float(t_bounds([0.0, 0.1, 0.2, 0.1, 5.0], 0.025, trim=0.2)[0]), 4)  # 5.0 cut
    0.1333
    """
    units = np.sort(np.asarray(units, dtype=float), axis=-1) if trim else \
        np.asarray(units, dtype=float)
    n = units.shape[-1]
    h = trimmed_count(n, trim)
    if h < 2:
        raise ValueError(f"need at least 2 units after trimming (got {n}, trim {trim})")
    cut = (n - h) // 2
    kept = units[..., cut:n - cut]
    center = kept.mean(axis=-1)
    winsorised = np.concatenate([np.repeat(kept[..., :1], cut, axis=-1), kept,
                                 np.repeat(kept[..., -1:], cut, axis=-1)], axis=-1)
    se = winsorised.std(axis=-1, ddof=1) * math.sqrt((n - 1) / (h * (h - 1)))
    half = stats.t.isf(level, h - 1) * se
    return center, center - half, center + half, se


def classify(low, high, floor, margin):
    """Verdict codes (:data:`REGRESSED` ... :data:`INCONCLUSIVE`) of log bounds."""
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    log_floor, log_margin = np.log(floor), np.log(margin)
    code = np.full(np.broadcast(low, high, log_floor).shape, INCONCLUSIVE)
    code = np.where((-log_margin <= low) & (high <= log_margin), SAME, code)
    code = np.where(high < -log_floor, IMPROVED, code)
    return np.where(low > log_floor, REGRESSED, code)


@functools.lru_cache(maxsize=4096)
def _noncentrality(df: int, level: float, power: float) -> float:
    """The noncentrality at which a one-sided t test (``df``, ``level``) has ``power``."""
    critical = stats.t.isf(level, df)
    top = 2 * critical + 10
    while stats.nct.sf(critical, df, top) < power:
        top *= 2
    return optimize.brentq(lambda d: stats.nct.sf(critical, df, d) - power, 0.0, top)


def min_detectable_effect_of(se, units: int, level: float, confirm_units: int,
                             confirm_level: float, floor: float = DEFAULT_FLOOR,
                             power: float = POWER, trim: float = 0.0):
    r"""The ratio caught with probability ``power`` through both stages.

    Each stage must flag with probability :math:`\sqrt{\text{power}}`: stage :math:`s`,
    with :math:`n_s` units at level :math:`a_s` and :math:`\nu_s` degrees of freedom
    (:math:`h_s - 1` after trimming), does when

    .. math:: \log r \ge \log f + \delta(\nu_s, a_s)\, \hat s \sqrt{n / n_s},

    :math:`\delta` the noncentrality at which the one-sided t test has that power, and
    :math:`\hat s = \text{se} \sqrt{\nu / \chi^2_{1-c,\, \nu}}` the upper
    :data:`SPREAD_CONFIDENCE` bound (:data:`POOLED_SPREAD_CONFIDENCE` when ``trim``) of
    the standard error measured with :math:`n` = ``units`` (:math:`\nu` degrees of
    freedom): with few units the spread itself is uncertain. Vectorised over ``se``.

    Examples
    --------
    >>> se = 0.02 / math.sqrt(6)
    >>> round(float(min_detectable_effect_of(se, 6, 0.02, 6, 0.04)), 3)
    1.096
    >>> float(min_detectable_effect_of(0.02 / math.sqrt(3), 3, 0.02, 3, 0.04)) > 1.2  # 2 df
    True
    """
    se = np.asarray(se, dtype=float)
    dfs = {n: trimmed_count(n, trim) - 1 for n in (units, confirm_units)}
    if min(dfs.values()) < 1:
        raise ValueError(f"need at least 2 units per stage (got {units}, {confirm_units})")
    confidence = POOLED_SPREAD_CONFIDENCE if trim else SPREAD_CONFIDENCE
    upper = se * math.sqrt(dfs[units] / stats.chi2.ppf(1 - confidence, dfs[units]))
    per_stage = math.sqrt(power)
    need = max(_noncentrality(dfs[n], a, per_stage) * math.sqrt(units / n)
               for n, a in ((units, level), (confirm_units, confirm_level)))
    return np.exp(math.log(floor) + need * upper)


def looks_of(processes: int = PROCESSES, pairs: int = PAIRS_PER_PROCESS,
             extra: int = EXTRA_LOOKS, isolated: bool = False) -> Looks:
    """The first stage's looks of a point measured in ``processes`` process pairs of
    ``pairs`` sample pairs, with up to ``extra`` more looks: one more process pair each;
    for a ``timeraw_`` point (``isolated``: every sample its own process, every sample
    pair a unit), ``max(MIN_PAIRS, pairs)`` more sample pairs each, pooled with the
    earlier ones (not a new group). The confirmation takes :attr:`Looks.confirm` fresh
    units.

    Examples
    --------
    >>> looks_of(5, 5, 3), looks_of(5, 5, 3, isolated=True)
    (Looks(first=5, step=1, count=4), Looks(first=6, step=6, count=4))
    """
    if isolated:
        per_look = max(MIN_PAIRS, pairs)
        return Looks(per_look, per_look, 1 + extra)
    return Looks(processes, 1, 1 + extra)


def trim_of(isolated: bool) -> float:
    """Pooled samples are trimmed (:data:`POOLED_TRIM`); process pairs' medians are not."""
    return POOLED_TRIM if isolated else 0.0


@dataclass(frozen=True)
class Look:
    """One look's location, one-sided bounds and standard error of the log ratio, the
    verdict codes and the mde: arrays over the leading axes of the units."""
    center: np.ndarray
    low: np.ndarray
    high: np.ndarray
    se: np.ndarray
    code: np.ndarray
    mde: np.ndarray


def decide_look(units, level, confirm_units: int, confirm_level: float,
                floor: float = DEFAULT_FLOOR, rule: Rule = Rule(),
                trim: float = 0.0) -> Look:
    """The decision at one look, vectorised over the leading axes of ``units``
    (shape (..., n)): :func:`t_bounds` at ``level``, :func:`classify` against the floor
    and the margin (``inconclusive`` with fewer than :data:`MIN_UNITS` units), and
    :func:`min_detectable_effect_of` through this look and a confirmation of
    ``confirm_units`` units at ``confirm_level``. What ``compare`` and the simulation
    both decide with.

    Examples
    --------
    >>> look = decide_look([[0.20, 0.22, 0.25, 0.21], [0.01, -0.01, 0.0, 0.005]], 0.01, 4,
    ...                    0.04)
    >>> [VERDICTS[c] for c in look.code]
    ['regressed', 'same']
    """
    units = np.asarray(units, dtype=float)
    n = units.shape[-1]
    center, low, high, se = t_bounds(units, level, trim)
    code = classify(low, high, floor, rule.margin)
    if n < MIN_UNITS:
        code = np.full(np.shape(code), INCONCLUSIVE)
    mde = min_detectable_effect_of(se, n, level, confirm_units, confirm_level, floor,
                                   rule.power, trim)
    return Look(center, low, high, se, code, mde)


def undecided(code, mde, target_mde: float):
    """Which points take the next look: inconclusive, with an mde above ``target_mde``
    (a nan mde is above it)."""
    return (np.asarray(code) == INCONCLUSIVE) & ~(np.asarray(mde) <= target_mde)


def confirm_look(first, fresh, floor: float = DEFAULT_FLOOR, rule: Rule = Rule(),
                 trim: float = 0.0):
    """The final codes of points whose first-stage codes are ``first``, once their
    flagged ones are measured again in fresh process pairs (``fresh``, shape (..., n)):
    :func:`decide_look` of the fresh units at :attr:`Rule.stage_alpha`, then
    :func:`confirm_codes`. Returns the final codes and the fresh look."""
    fresh = np.asarray(fresh, dtype=float)
    n = fresh.shape[-1]
    second = decide_look(fresh, rule.stage_alpha, n, rule.stage_alpha, floor, rule, trim)
    return confirm_codes(first, second.code), second


def decide_units(units, level: float, confirm_units: int, confirm_level: float,
                 floor: float = DEFAULT_FLOOR, rule: Rule = Rule(),
                 trim: float = 0.0) -> Decision:
    """One point's :func:`decide_look` as a :class:`Decision`; with too few units for
    an interval, ``inconclusive`` with only the ratio. ``p_value`` is the one-sided
    p-value of the flag test in the observed direction (the estimate against the
    floor).

    Examples
    --------
    >>> d = decide_units([0.20, 0.22, 0.25, 0.21], 0.01, 4, 0.04)
    >>> d.verdict, round(d.ratio, 3), d.low > 1.03
    ('regressed', 1.246, True)
    """
    y = np.asarray(units, dtype=float).ravel()
    if trimmed_count(y.size, trim) < 2 or trimmed_count(max(confirm_units, 2), trim) < 2:
        nan = math.nan
        ratio = math.exp(float(np.median(y))) if y.size else nan
        return Decision(ratio, nan, nan, nan, "inconclusive", nan)
    look = decide_look(y, level, max(confirm_units, 2), confirm_level, floor, rule, trim)
    center, se = float(look.center), float(look.se)
    distance = abs(center) - math.log(floor)
    if se == 0:
        p = 1.0 if distance <= 0 else 0.0
    else:
        p = float(stats.t.sf(distance / se, trimmed_count(y.size, trim) - 1))
    return Decision(math.exp(center), math.exp(float(look.low)), math.exp(float(look.high)),
                    p, VERDICTS[int(look.code)], float(look.mde))


def confirm_codes(first, second):
    """The final verdict codes once the flagged points are measured a second time.

    =========================  ======================  ================
    first                      second                  final
    =========================  ======================  ================
    same / inconclusive        (not needed)            first, as is
    regressed (improved)       the same flag           that flag
    regressed (improved)       same                    same
    regressed (improved)       anything else           inconclusive
    =========================  ======================  ================

    Vectorised over arrays of codes (:data:`REGRESSED` ... :data:`INCONCLUSIVE`).
    """
    first, second = np.asarray(first), np.asarray(second)
    flagged = (first == REGRESSED) | (first == IMPROVED)
    kept = (second == first) | (second == SAME)
    return np.where(~flagged, first, np.where(kept, second, INCONCLUSIVE))


def confirm_verdicts(first: str, second: str) -> str:
    """:func:`confirm_codes` of two verdicts (:data:`VERDICTS`).

    Examples
    --------
    >>> confirm_verdicts("regressed", "regressed"), confirm_verdicts("regressed", "same")
    ('regressed', 'same')
    >>> confirm_verdicts("regressed", "improved"), confirm_verdicts("same", "regressed")
    ('inconclusive', 'same')
    """
    for name, v in (("first", first), ("second", second)):
        if v not in VERDICTS:
            raise ValueError(f"{name} must be one of {VERDICTS} (got {v!r})")
    return VERDICTS[int(confirm_codes(VERDICTS.index(first), VERDICTS.index(second)))]


# ---- sizing and calibration ----------------------------------------------------------

def variance_components(groups) -> tuple[float, float]:
    r"""Between- and within-process-pair variances of log ratios (one-way ANOVA).

    With :math:`G` process pairs of :math:`J` log ratios each,
    :math:`\hat\sigma_w^2` is the mean within-pair variance and
    :math:`\hat\sigma_b^2 = \max(0, \operatorname{var}_g \bar x_g - \hat\sigma_w^2 / J)`.

    Examples
    --------
    >>> between, within = variance_components([[0.1, 0.1], [-0.1, -0.1]])
    >>> round(between, 3), within
    (0.02, 0.0)
    """
    x = _groups(groups)
    g, j = x.shape
    if g < 2 or j < 2:
        raise ValueError(f"need at least 2 process pairs of 2 log ratios (got {g} x {j})")
    within = float(np.mean(x.var(axis=1, ddof=1)))
    between = max(0.0, float(x.mean(axis=1).var(ddof=1)) - within / j)
    return between, within


@dataclass(frozen=True)
class Design:
    """Process pairs and sample pairs per process pair for one point, and the mde that
    plan reaches at the given spread."""
    processes: int
    pairs: int
    mde: float


def design(between: float, within: float, cost_ratio: float, target: float,
           rule: Rule = Rule(), floor: float = DEFAULT_FLOOR, max_processes: int = 40,
           min_pairs: int = 5, max_pairs: int = 50) -> Design:
    r"""The cheapest (process pairs, pairs per process pair) whose mde reaches ``target``.

    A unit (one process pair's median of :math:`J` log ratios) has variance
    :math:`\sigma_b^2 + \kappa \sigma_w^2 / J` (:math:`\kappa = \pi/2`, the median's
    cost) and costs :math:`c_p + J c_s`; the variance per unit of cost is least at

    .. math:: J^* = \sqrt{\frac{c_p}{c_s} \cdot \frac{\kappa \sigma_w^2}{\sigma_b^2}},

    ``cost_ratio`` being :math:`c_p / c_s` (a process pair's start and setup over one
    sample pair), and at least ``min_pairs``: a median of :math:`J` resists
    :math:`\lfloor (J - 1)/2 \rfloor` stalls, and the simulated compares
    (:mod:`.simulate`) lose power to stalls at :math:`J \le 4`. :math:`G` is then the
    fewest process pairs (at least :data:`MIN_UNITS`) whose
    :func:`min_detectable_effect_of`, at one look of level :attr:`Rule.stage_alpha` in
    each stage, is at most ``target`` (with the spread's upper bound on :math:`G - 1`
    degrees of freedom, as the compare will report it). When no :math:`G` up to
    ``max_processes`` reaches it, the largest is returned with the mde it reaches.

    Examples
    --------
    >>> d = design(between=0.03 ** 2, within=0.04 ** 2, cost_ratio=20, target=1.15,
    ...            rule=Rule(points=14))
    >>> d.pairs, d.processes, round(d.mde, 3)
    (7, 6, 1.131)
    """
    for name, v in (("between", between), ("within", within)):
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"{name} must be a finite variance >= 0 (got {v})")
    if not (math.isfinite(cost_ratio) and cost_ratio > 0):
        raise ValueError(f"cost_ratio must be a finite number > 0 (got {cost_ratio})")
    if not (math.isfinite(target) and target > floor):
        raise ValueError(f"target must be a finite ratio above the floor {floor} (got {target})")
    pairs = max_pairs if between == 0 else math.sqrt(
        cost_ratio * MEDIAN_VARIANCE * within / between)
    if max_processes < MIN_UNITS or not 1 <= min_pairs <= max_pairs:
        raise ValueError(f"need max_processes >= {MIN_UNITS} and 1 <= min_pairs <= max_pairs "
                         f"(got {max_processes}, {min_pairs}, {max_pairs})")
    pairs = int(min(max_pairs, max(min_pairs, round(pairs))))
    spread = math.sqrt(between + MEDIAN_VARIANCE * within / pairs)
    level = rule.stage_alpha
    mde = math.inf
    for processes in range(MIN_UNITS, max_processes + 1):
        mde = float(min_detectable_effect_of(spread / math.sqrt(processes), processes, level,
                                             processes, level, floor, rule.power))
        if mde <= target:
            break
    return Design(processes, pairs, mde)


def floor_from_aa(runs, minimum: float = MIN_FLOOR, confidence: float = 0.95) -> float:
    r"""The flag floor of a machine from A/A records (the same code on both sides).

    ``runs`` holds each A/A compare's unit values (:func:`unit_values`). Their mean
    :math:`\bar y` estimates the systematic bias left between two environments of one
    commit; the floor is the upper ``confidence`` bound of :math:`|\text{bias}|`,

    .. math:: f = \max\bigl(\text{minimum},\ \exp(|\bar y| + t_{c,\,n-1}\, s/\sqrt n)\bigr),

    over all :math:`n` units pooled: lower than the default 1.03 on a quiet machine,
    higher where A/A compares lean one way.

    Examples
    --------
    >>> round(floor_from_aa([[0.001, -0.002, 0.0, 0.002], [0.001, -0.001, 0.0]]), 3)
    1.01
    >>> floor_from_aa([[0.04, 0.05, 0.045], [0.05, 0.04, 0.06]]) > 1.04
    True
    """
    if not (math.isfinite(minimum) and minimum >= 1):
        raise ValueError(f"minimum must be a finite number >= 1 (got {minimum})")
    values = [np.asarray(r, dtype=float).ravel() for r in runs]
    y = np.concatenate(values) if values else np.empty(0)
    if y.size < 2 or not np.all(np.isfinite(y)):
        raise ValueError(f"runs must hold at least 2 finite unit values (got {y.size})")
    bound = abs(float(y.mean())) + stats.t.ppf(confidence, y.size - 1) * float(
        y.std(ddof=1)) / math.sqrt(y.size)
    return float(max(minimum, math.exp(bound)))


# ---- instruction counts --------------------------------------------------------------

#: The instruction-count ratio past which a point whose A/A counts never differed (or
#: was never calibrated) is ``more-instructions``.
MIN_INSTRUCTION_LIMIT = 1.005
#: How many times its widest A/A deviation a point's limit lies out.
INSTRUCTION_SPREADS = 2.0


def instruction_limit(aa_ratios, minimum: float = MIN_INSTRUCTION_LIMIT,
                      spreads: float = INSTRUCTION_SPREADS) -> float:
    r"""The head/base instruction-count ratio past which a point has more instructions,
    from the ratios of its A/A counts (the same commit on both sides):

    .. math:: \ell = \max\bigl(\text{minimum},\ \exp(k \max_i |\log r_i|)\bigr),

    ``minimum`` (0.5 %) for deterministic code, whose counts repeat to the instruction;
    wider for a runtime whose counts vary from run to run (JAX's threads: a few %).

    Examples
    --------
    >>> instruction_limit([1.0, 1.0]), round(instruction_limit([1.02, 0.99]), 4)
    (1.005, 1.0404)
    """
    r = np.asarray(aa_ratios, dtype=float).ravel()
    if r.size == 0 or not np.all(np.isfinite(r)) or not np.all(r > 0):
        raise ValueError(f"aa_ratios must hold finite ratios > 0 (got {r.size})")
    if not (math.isfinite(minimum) and minimum > 1):
        raise ValueError(f"minimum must be a finite number > 1 (got {minimum})")
    return float(max(minimum, math.exp(spreads * float(np.max(np.abs(np.log(r)))))))


def spread_limit(spread: float, spreads: float = INSTRUCTION_SPREADS) -> float:
    r"""The limit a count's own spread sets: :math:`\exp(k s)`, ``s`` the widest log
    distance of one of its regions from their median (:mod:`.callgrind`), on either
    side; 1 for deterministic code (``s = 0``), which leaves the calibrated limit.

    Examples
    --------
    >>> spread_limit(0.0), round(spread_limit(0.03), 4)
    (1.0, 1.0618)
    """
    if not (math.isfinite(spread) and spread >= 0):
        raise ValueError(f"spread must be a finite number >= 0 (got {spread})")
    return math.exp(spreads * spread)
