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

The rule the compare used before (:func:`decide_all`: a normal z with a cluster-bootstrap
standard error, Holm over K, a 1.10 threshold on the point estimate) is kept while its
callers move.
"""
from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

__all__ = ["Decision", "Summary", "MIN_PAIRS", "ALPHA", "POWER", "MIN_THRESHOLD", "VERDICTS",
           "FLAGGED", "log_ratios", "summarize", "min_detectable_effect", "holm",
           "verdict_of", "decide", "decide_all", "confirm", "threshold_from_aa",
           "exit_status"]

MIN_PAIRS = 6
ALPHA = 0.05
POWER = 0.95
MIN_THRESHOLD = 1.10
BOOTSTRAP = 2000
VERDICTS = ("regressed", "improved", "same", "inconclusive")
FLAGGED = ("regressed", "improved")
MEDIAN_SE = math.sqrt(math.pi / 2)  # 1.2533: se(median) / se(mean) for normal data
MAD_SIGMA = 1.4826                  # sigma / MAD for normal data


@dataclass(frozen=True)
class Decision:
    """The outcome of one benchmark's paired comparison.

    ``ratio`` is the median B/A ratio, ``[low, high]`` its interval at confidence
    :math:`1 - \\alpha`, ``p_value`` the two-sided p-value before any adjustment (nan
    when not computed), ``verdict`` one of :data:`VERDICTS` and ``mde`` the minimum
    detectable effect (a ratio > 1; nan when not computed).
    """
    ratio: float
    low: float
    high: float
    p_value: float
    verdict: str
    mde: float = float("nan")


@dataclass(frozen=True)
class Summary:
    """Median ratio, its interval, the standard error of its log and the pairs used."""
    ratio: float
    low: float
    high: float
    se: float
    pairs: int
    groups: int


def _positive(values, name: str) -> np.ndarray:
    """``values`` as a float array, or a ValueError naming ``name``."""
    x = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(x)) or not np.all(x > 0):
        raise ValueError(f"{name} must contain only finite values > 0")
    return x


def log_ratios(a, b) -> np.ndarray:
    """:math:`\\log(b_i / a_i)` of equal-length sequences of positive times."""
    a, b = _positive(a, "a").ravel(), _positive(b, "b").ravel()
    if a.size != b.size:
        raise ValueError(f"a and b must have the same length (got {a.size} and {b.size})")
    return np.log(b / a)


def _groups(x) -> np.ndarray:
    """Log ratios as a (G, J) array: one row per process pair (a 1-d input is one row)."""
    rows = [np.asarray(g, dtype=float).ravel() for g in
            (x if isinstance(x, (list, tuple)) and x and np.ndim(x[0]) == 1 else [x])]
    rows = [r for r in rows if r.size]
    if not rows:
        return np.empty((0, 0))
    if not all(np.all(np.isfinite(r)) for r in rows):
        raise ValueError("log ratios must be finite")
    width = min(r.size for r in rows)  # equal J per process pair, by design
    return np.stack([r[:width] for r in rows])


def summarize(groups, confidence: float = 1 - ALPHA, seed: int = 0,
              resamples: int = BOOTSTRAP) -> Summary:
    r"""Median ratio, its interval and the standard error of its log, by cluster bootstrap.

    Each resample draws :math:`G` process pairs with replacement and, within each, its
    :math:`J` log ratios with replacement; the statistic is the median of the pooled
    draw. The standard error :math:`s` is the resamples' standard deviation times
    :math:`\sqrt{G / (G - 1)}` (for :math:`G > 1`); the interval is
    :math:`\exp(\operatorname{median} x \pm z_{(1+c)/2}\, s)`. With one process pair the
    bootstrap runs over samples only.

    Parameters
    ----------
    groups : sequence of sequences of float, or sequence of float
        Log ratios per process pair (a flat sequence is one process pair).
    confidence : float
        Confidence level :math:`c` of the interval, in (0, 1).
    seed : int
        Seed of the resampling, so the result is reproducible.
    resamples : int
        Bootstrap resamples.

    Returns
    -------
    Summary

    Examples
    --------
    >>> s = summarize([[0.20, 0.22, 0.25, 0.21], [0.24, 0.23, 0.19, 0.22]])
    >>> round(s.ratio, 3), s.low < s.ratio < s.high, s.pairs, s.groups
    (1.246, True, 8, 2)
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1) (got {confidence})")
    x = _groups(groups)
    g, j = x.shape
    if g * j < 2:
        raise ValueError(f"need at least 2 log ratios (got {g * j})")
    center = float(np.median(x))
    rng = np.random.default_rng(seed)
    rows = rng.integers(g, size=(resamples, g)) if g > 1 else np.zeros((resamples, 1), int)
    cols = rng.integers(j, size=(resamples, g, j))
    draws = np.median(x[rows[:, :, None], cols].reshape(resamples, g * j), axis=1)
    se = float(np.std(draws, ddof=1)) * (math.sqrt(g / (g - 1)) if g > 1 else 1.0)
    half = stats.norm.ppf((1 + confidence) / 2) * se
    return Summary(math.exp(center), math.exp(center - half), math.exp(center + half), se,
                   g * j, g)


def min_detectable_effect(se: float, alpha: float = ALPHA, power: float = POWER,
                          threshold: float = 1.0) -> float:
    r"""The smallest ratio a measurement with log standard error ``se`` would catch.

    A true ratio :math:`r` is flagged with probability ``power`` when
    :math:`\log r \ge (z_{1-\alpha/2} + z_{\text{power}})\, s`, and only when it exceeds
    the threshold, so

    .. math:: \text{mde} = \max\bigl(t,\ \exp((z_{1-\alpha/2} + z_{\text{power}})\, s)\bigr).

    Examples
    --------
    >>> round(min_detectable_effect(0.02, alpha=0.05 / 14), 3)
    1.095
    >>> min_detectable_effect(0.001, threshold=1.1)
    1.1
    """
    if not (math.isfinite(se) and se >= 0):
        raise ValueError(f"se must be a finite number >= 0 (got {se})")
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(max(threshold, math.exp(z * se)))


def holm(p_values: Sequence[float], alpha: float = ALPHA) -> list[bool]:
    """Which hypotheses Holm's step-down method rejects at family-wise level ``alpha``.

    The p-values are taken in increasing order; the k-th smallest (k = 0, 1, ...) is
    rejected while it stays below ``alpha / (K - k)``, and the first that does not stops
    the procedure. nan p-values are never rejected and do not count in K.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03, 0.5], alpha=0.05)
    [True, False, False, False]
    >>> holm([0.001, 0.012, float("nan")], alpha=0.05)
    [True, True, False]
    """
    p = np.asarray(p_values, dtype=float)
    valid = np.flatnonzero(~np.isnan(p))
    rejected = [False] * p.size
    for k, i in enumerate(valid[np.argsort(p[valid], kind="stable")]):
        if p[i] >= alpha / (valid.size - k):
            break
        rejected[i] = True
    return rejected


def verdict_of(s: Summary, significant: bool, threshold: float) -> str:
    r"""regressed / improved when significant and past :math:`t` (:math:`1/t`); same when
    the interval lies within :math:`[1/t, t]` (an equivalence test); else inconclusive."""
    if s.pairs < MIN_PAIRS:
        return "inconclusive"
    if significant and s.ratio > threshold:
        return "regressed"
    if significant and s.ratio < 1 / threshold:
        return "improved"
    if 1 / threshold <= s.low and s.high <= threshold:
        return "same"
    return "inconclusive"


def _p_value(s: Summary) -> float:
    if s.se == 0:
        return 1.0 if s.ratio == 1 else 0.0
    return float(2 * stats.norm.sf(abs(math.log(s.ratio)) / s.se))


def _check(threshold: float, alpha: float) -> None:
    if not (math.isfinite(threshold) and threshold > 1):
        raise ValueError(f"threshold must be a finite number > 1 (got {threshold})")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1) (got {alpha})")


def decide_all(cases: Sequence, thresholds: Sequence[float], alpha: float = ALPHA, *,
               seed: int = 0, resamples: int = BOOTSTRAP) -> list[Decision]:
    r"""Verdicts of K benchmarks compared together, false alarms controlled per comparison.

    Each case is summarised (:func:`summarize`), its p-value computed from
    :math:`z = \log \hat r / s`, and the K p-values adjusted by :func:`holm` at ``alpha``.
    A case's verdict is :func:`verdict_of` its summary, with "significant" meaning
    rejected by Holm; its ``mde`` is :func:`min_detectable_effect` at the Bonferroni level
    :math:`\alpha / K` (Holm's first step, the level every case can count on).

    Parameters
    ----------
    cases : sequence
        Per case, its log ratios per process pair (see :func:`summarize`); None for a
        case that could not be measured (it gets nan and "inconclusive", and does not
        count in K).
    thresholds : sequence of float
        Per case, the smallest ratio :math:`t > 1` worth reporting.
    alpha : float
        Family-wise error rate of the comparison.
    seed : int
        Seed of the bootstrap.
    resamples : int
        Bootstrap resamples per case.

    Returns
    -------
    list of Decision

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> noise = lambda shift: [shift + 0.03 * rng.standard_normal(8) for _ in range(3)]
    >>> [d.verdict for d in decide_all([noise(0.0), noise(0.223)], [1.1, 1.1])]
    ['same', 'regressed']
    """
    if len(cases) != len(thresholds):
        raise ValueError("cases and thresholds must have the same length")
    for t in thresholds:
        _check(t, alpha)
    summaries = [None if c is None else summarize(c, 1 - alpha, seed, resamples)
                 for c in cases]
    p = [math.nan if s is None or s.pairs < MIN_PAIRS else _p_value(s) for s in summaries]
    k = max(1, sum(not math.isnan(v) for v in p))
    decisions = []
    for s, pv, significant, t in zip(summaries, p, holm(p, alpha), thresholds, strict=True):
        if s is None:
            nan = math.nan
            decisions.append(Decision(nan, nan, nan, nan, "inconclusive", nan))
            continue
        mde = min_detectable_effect(s.se, alpha / k, POWER, t)
        decisions.append(Decision(s.ratio, s.low, s.high, pv, verdict_of(s, significant, t),
                                  mde))
    return decisions


def decide(a: Sequence[float], b: Sequence[float], threshold: float,
           alpha: float = ALPHA, *, seed: int = 0) -> Decision:
    """Verdict of one benchmark's pairs ``a`` (baseline) and ``b`` (candidate), all taken
    as one process pair: :func:`decide_all` with K = 1.

    Examples
    --------
    >>> a = [1.0, 1.1, 0.9, 1.05, 0.95, 1.0, 1.02, 0.98, 1.01, 0.99]
    >>> decide(a, [1.25 * t for t in a], threshold=1.1).verdict
    'regressed'
    """
    x = log_ratios(a, b)
    if x.size < 2:
        nan = math.nan
        return Decision(nan, nan, nan, nan, "inconclusive", nan)
    return decide_all([[x]], [threshold], alpha, seed=seed)[0]


def confirm(first: Decision, second: Decision) -> str:
    """Final verdict once a flagged benchmark has been measured a second time.

    =========================  ======================  ================
    first                      second                  final
    =========================  ======================  ================
    same / inconclusive        (not needed)            first, as is
    regressed (improved)       the same flag           that flag
    regressed (improved)       same                    same
    regressed (improved)       anything else           inconclusive
    =========================  ======================  ================

    Examples
    --------
    >>> flagged = Decision(1.3, 1.2, 1.4, 0.002, "regressed")
    >>> confirm(flagged, flagged), confirm(flagged, Decision(1.0, 0.98, 1.02, 0.8, "same"))
    ('regressed', 'same')
    """
    for name, d in (("first", first), ("second", second)):
        if d.verdict not in VERDICTS:
            raise ValueError(f"{name}.verdict must be one of {VERDICTS} (got {d.verdict!r})")
    if first.verdict not in FLAGGED:
        return first.verdict
    if second.verdict in (first.verdict, "same"):
        return second.verdict
    return "inconclusive"


def threshold_from_aa(ratio_runs: Iterable[Sequence[float]], minimum: float = MIN_THRESHOLD,
                      z: float = 3.0) -> float:
    r"""Threshold calibrated from A/A comparisons (the same code on both sides).

    For A/A run :math:`k` with log ratios :math:`x_{k1}, \dots, x_{kn_k}`, the robust
    standard error of its median log ratio is

    .. math::

        s_k = 1.2533 \cdot 1.4826 \cdot
              \frac{\operatorname{median}_i |x_{ki} - \operatorname{median} x_k|}{\sqrt{n_k}}

    Pooling with :math:`s = \operatorname{median}_k s_k`, and with :math:`m` the largest
    :math:`|\log \hat r_k|` over the runs' median ratios,

    .. math:: t = \max\bigl(\text{minimum},\ e^{z s},\ e^{m}\bigr),

    so the threshold lies :math:`z` standard errors out and no A/A run's own median ratio
    (nor its inverse) would have exceeded it.

    Examples
    --------
    >>> threshold_from_aa([[1.0, 1.01, 0.99, 1.02, 0.98]])
    1.1
    """
    runs = [np.log(_positive(run, "ratio_runs")).ravel() for run in ratio_runs]
    if not runs:
        raise ValueError("ratio_runs must hold at least one A/A run")
    if any(x.size < 2 for x in runs):
        raise ValueError("ratio_runs must hold at least 2 ratios in every run")
    if not (math.isfinite(minimum) and minimum >= 1):
        raise ValueError(f"minimum must be a finite number >= 1 (got {minimum})")
    if not (math.isfinite(z) and z > 0):
        raise ValueError(f"z must be a finite number > 0 (got {z})")
    se = [MEDIAN_SE * MAD_SIGMA * np.median(np.abs(x - np.median(x))) / math.sqrt(x.size)
          for x in runs]
    worst = max(max(abs(float(np.median(x))), abs(math.log(np.median(np.exp(x)))))
                for x in runs)
    return float(max(minimum, math.exp(z * float(np.median(se))), math.exp(worst)))


def exit_status(verdicts: Iterable[str]) -> int:
    """Process exit status of a comparison: 1 if any verdict is "regressed", else 0.

    Examples
    --------
    >>> exit_status(["same", "improved", "inconclusive"]), exit_status(["same", "regressed"])
    (0, 1)
    """
    verdicts = list(verdicts)
    bad = [v for v in verdicts if v not in VERDICTS]
    if bad:
        raise ValueError(f"verdicts must be among {VERDICTS} (got {bad[0]!r})")
    return int("regressed" in verdicts)


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


def decide_units(units, level: float, confirm_units: int, confirm_level: float,
                 floor: float = DEFAULT_FLOOR, rule: Rule = Rule(),
                 trim: float = 0.0) -> Decision:
    """One point's decision at one look: :func:`t_bounds` at ``level``, :func:`classify`
    and :func:`min_detectable_effect_of`; fewer than :data:`MIN_UNITS` units give
    ``inconclusive`` (with too few for an interval, only the ratio). ``p_value`` is the
    one-sided p-value of the flag test in the observed direction (the estimate against
    the floor).

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
    center, low, high, se = (float(v) for v in t_bounds(y, level, trim))
    mde = float(min_detectable_effect_of(se, y.size, level, max(confirm_units, 2),
                                         confirm_level, floor, rule.power, trim))
    code = int(classify(low, high, floor, rule.margin)) if y.size >= MIN_UNITS \
        else INCONCLUSIVE
    distance = abs(center) - math.log(floor)
    if se == 0:
        p = 1.0 if distance <= 0 else 0.0
    else:
        p = float(stats.t.sf(distance / se, trimmed_count(y.size, trim) - 1))
    return Decision(math.exp(center), math.exp(low), math.exp(high), p, VERDICTS[code], mde)


def confirm_codes(first, second):
    """Vectorised :func:`confirm` on verdict codes."""
    first, second = np.asarray(first), np.asarray(second)
    flagged = (first == REGRESSED) | (first == IMPROVED)
    kept = (second == first) | (second == SAME)
    return np.where(~flagged, first, np.where(kept, second, INCONCLUSIVE))


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
