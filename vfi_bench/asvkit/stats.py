r"""Statistics of a paired A/B performance comparison of K benchmarks: "did it get slower?".

Each benchmark is measured in :math:`G` *process pairs* (one long-lived process per side),
and within process pair :math:`g` as :math:`J` sample pairs: sample pair :math:`j` times
the baseline A and the candidate B back to back (order randomised) and yields
:math:`x_{gj} = \log(b_{gj} / a_{gj})`. Pairing puts A and B in the same time window, so
a slow-down of the machine that multiplies both times cancels in :math:`x_{gj}` (paired
"duet" benchmarking reports 5-37x less noise than comparing two separate sets).

Samples taken in one process are not independent: memory layout and address-space
randomisation shift a whole process's times. So the unit of resampling is the process
pair: the spread of the estimate comes from a two-stage (cluster) bootstrap, process
pairs first, then samples within each (:func:`summarize`).

The estimate is the median ratio :math:`\hat r = \exp(\operatorname{median} x)`, with
standard error :math:`s` of :math:`\log \hat r` and a two-sided p-value of
:math:`z = \log \hat r / s` (normal; :math:`s` is inflated by :math:`\sqrt{G/(G-1)}`, the
usual small-cluster correction). With K benchmarks in one comparison, false alarms are
counted per comparison, so the p-values are adjusted by Holm's step-down method
(:func:`holm`), which controls the family-wise error rate at :math:`\alpha`. A change is
reported only when it is both significant after that adjustment and larger than a
threshold calibrated from A/A runs (:func:`threshold_from_aa`); a flagged benchmark is
measured once more in fresh processes (:func:`confirm`). Each decision carries the
*minimum detectable effect* (:func:`min_detectable_effect`): the smallest ratio the
measurement could have caught at the chosen error rates. Too few or too noisy pairs give
``"inconclusive"``, which is never a pass.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

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
