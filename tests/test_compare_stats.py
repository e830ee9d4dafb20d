"""scripts/compare_stats.py: the statistics of a paired A/B comparison, on simulated pairs.

Each simulated pair shares a heavy-tailed drift factor (the machine slowing down for a
while) that multiplies its A and B times alike; on top of it each time has its own noise.
"""
import itertools
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import compare_stats as cs

THRESHOLD = 1.10


def drift(rng, n):
    """Shared per-pair factor: log-t with 2 degrees of freedom (occasional huge stalls)."""
    return np.exp(0.3 * rng.standard_t(2, n))


def shifted_pairs(seed, n, factor, sigma=0.05):
    """``n`` pairs of times whose B is ``factor`` times A, lognormal noise ``sigma`` each."""
    rng = np.random.default_rng(seed)
    d = drift(rng, n)
    a = 0.02 * d * np.exp(sigma * rng.standard_normal(n))
    b = 0.02 * factor * d * np.exp(sigma * rng.standard_normal(n))
    return a, b


def heavy_aa_pairs(seed, n):
    """A/A pairs: log-t(2) noise on each time and a 3x outlier in 5 % of single samples."""
    rng = np.random.default_rng(seed)
    d = drift(rng, n)
    a, b = (0.02 * d * np.exp(0.05 * rng.standard_t(2, n)) for _ in range(2))
    a = np.where(rng.random(n) < 0.05, 3 * a, a)
    b = np.where(rng.random(n) < 0.05, 3 * b, b)
    return a, b


def decision(verdict):
    return cs.Decision(1.0, 0.9, 1.1, 0.5, verdict)


@pytest.mark.parametrize("n", [10, 20])
@pytest.mark.parametrize("factor, verdict", [(1.25, "regressed"), (0.8, "improved")])
def test_known_shift_is_detected_and_covered(n, factor, verdict):
    d = cs.decide(*shifted_pairs(seed=n, n=n, factor=factor), THRESHOLD)
    assert d.verdict == verdict
    assert d.low <= factor <= d.high
    assert d.p_value < cs.ALPHA


def test_known_shift_power_and_coverage_over_seeds():
    """50 seeds x {10, 20} pairs x {1.25, 0.8}: 200/200 detected, 192/200 covered when written."""
    detected = covered = total = 0
    for n in (10, 20):
        for factor, verdict in ((1.25, "regressed"), (0.8, "improved")):
            for seed in range(50):
                d = cs.decide(*shifted_pairs(seed, n, factor), THRESHOLD)
                detected += d.verdict == verdict
                covered += d.low <= factor <= d.high
                total += 1
    assert detected >= 0.98 * total
    # A 95 % interval whose coverage fell to 85 % would be badly broken.
    assert covered >= 0.85 * total


def test_identical_heavy_tailed_distributions_rarely_flagged():
    """False alarms ("regressed" or "improved") on A/A pairs over 200 seeds.

    The seeds make the count fixed (1 of 200 at 10 pairs when written). We assert that
    the one-sided 95 % Clopper-Pearson upper bound of the false-alarm rate, the
    ``0.95`` quantile of Beta(k + 1, n - k), is below ALPHA: a binomial bound that holds
    whatever the true rate, so passing shows the rate < ALPHA at 95 % confidence (it
    allows at most 4 false alarms in 200).
    """
    trials = 200
    alarms = sum(cs.decide(*heavy_aa_pairs(seed, cs.MIN_PAIRS), THRESHOLD).verdict
                 in ("regressed", "improved") for seed in range(trials))
    upper = stats.beta.ppf(0.95, alarms + 1, trials - alarms)
    assert upper < cs.ALPHA, f"{alarms} false alarms in {trials}"


def test_too_few_pairs_is_inconclusive_even_for_a_huge_shift():
    a, b = shifted_pairs(seed=1, n=cs.MIN_PAIRS - 1, factor=3.0)
    d = cs.decide(a, b, THRESHOLD)
    assert d.verdict == "inconclusive"
    assert d.ratio == pytest.approx(3.0, rel=0.1) and d.low <= d.ratio <= d.high
    assert math.isnan(d.p_value)
    one = cs.decide(a[:1], b[:1], THRESHOLD)
    assert one.verdict == "inconclusive" and math.isnan(one.ratio) and math.isnan(one.high)


def test_quiet_unchanged_data_is_same():
    d = cs.decide(*shifted_pairs(seed=3, n=20, factor=1.0, sigma=0.02), THRESHOLD)
    assert d.verdict == "same"
    assert 1 / THRESHOLD <= d.low <= d.ratio <= d.high <= THRESHOLD


@pytest.mark.parametrize("seed, n, factor, sigma", [(4, 20, 1.0, 0.5), (5, 12, 1.0, 0.2)])
def test_noisy_data_straddling_the_threshold_is_inconclusive(seed, n, factor, sigma):
    d = cs.decide(*shifted_pairs(seed, n, factor, sigma), THRESHOLD)
    assert d.low < 1 / THRESHOLD or d.high > THRESHOLD  # the premise: too noisy to tell
    assert d.verdict == "inconclusive"  # seed 5: median 1.13 > threshold, p = 0.27


def test_median_ratio_interval_is_seeded_and_handles_constant_ratios():
    ratios = np.exp(0.1 * np.random.default_rng(6).standard_normal(15))
    assert cs.median_ratio_interval(ratios, seed=7) == cs.median_ratio_interval(ratios, seed=7)
    m, lo, hi = cs.median_ratio_interval(ratios, confidence=0.9)
    assert m == pytest.approx(np.median(ratios)) and lo < m < hi
    assert cs.median_ratio_interval([1.2] * 5) == pytest.approx((1.2, 1.2, 1.2))


@pytest.mark.parametrize("first, second, final", [
    ("regressed", "regressed", "regressed"),
    ("regressed", "same", "same"),
    ("regressed", "inconclusive", "inconclusive"),
    ("regressed", "improved", "inconclusive"),
    ("improved", "improved", "improved"),
    ("improved", "same", "same"),
    ("improved", "inconclusive", "inconclusive"),
    ("improved", "regressed", "inconclusive"),
    ("same", "regressed", "same"),
    ("inconclusive", "regressed", "inconclusive"),
    ("inconclusive", "same", "inconclusive"),
])
def test_confirm_truth_table(first, second, final):
    assert cs.confirm(decision(first), decision(second)) == final


def aa_runs(sigma, runs=5, n=20, seed=8):
    """Per-pair ratios of A/A runs: the same standard normals scaled by ``sigma``."""
    z = np.random.default_rng(seed).standard_normal((runs, n))
    return list(np.exp(sigma * z))


def test_threshold_from_aa_bounds_and_growth():
    quiet = cs.threshold_from_aa(aa_runs(0.01))
    assert quiet == pytest.approx(cs.MIN_THRESHOLD)
    sigmas = [0.01, 0.2, 0.4, 0.8]
    thresholds = [cs.threshold_from_aa(aa_runs(s)) for s in sigmas]
    assert all(t >= cs.MIN_THRESHOLD for t in thresholds)
    assert all(x < y for x, y in itertools.pairwise(thresholds[1:]))
    assert thresholds[-1] > 1.5
    for sigma, t in zip(sigmas, thresholds, strict=True):
        for run in aa_runs(sigma):
            m = np.exp(np.median(np.log(run)))
            assert 1 / t <= m <= t


def test_threshold_from_aa_formula_and_biased_run():
    runs = aa_runs(0.3, runs=3, n=10)
    s = np.median([1.2533 * 1.4826 * np.median(np.abs(x - np.median(x))) / np.sqrt(x.size)
                   for x in map(np.log, runs)])
    assert cs.threshold_from_aa(runs, minimum=1.0, z=2.0) == pytest.approx(
        max(np.exp(2.0 * s), *(np.exp(abs(np.median(np.log(r)))) for r in runs)), rel=1e-4)
    # Even n: np.median averages the middle two ratios, above their geometric mean.
    biased = [np.full(10, 1.3) * np.exp(0.05 * np.arange(10))] + aa_runs(0.01)
    t = cs.threshold_from_aa(biased)
    assert t >= np.median(biased[0]) and t >= cs.decide([1.0] * 10, biased[0], t).ratio
    assert cs.decide([1.0] * 10, biased[0], t).verdict != "regressed"


@pytest.mark.parametrize("call, name", [
    (lambda: cs.decide([1.0] * 10, [1.0] * 9, THRESHOLD), "same length"),
    (lambda: cs.decide([1.0] * 9 + [float("nan")], [1.0] * 10, THRESHOLD), "^a must"),
    (lambda: cs.decide([1.0] * 10, [1.0] * 9 + [0.0], THRESHOLD), "^b must"),
    (lambda: cs.decide([1.0] * 10, [1.0] * 9 + [-2.0], THRESHOLD), "finite values > 0"),
    (lambda: cs.decide([1.0] * 10, [1.0] * 10, 0.9), "^threshold"),
    (lambda: cs.decide([1.0] * 10, [1.0] * 10, THRESHOLD, alpha=1.5), "^alpha"),
    (lambda: cs.median_ratio_interval([1.0]), "^ratios"),
    (lambda: cs.median_ratio_interval([1.0, 2.0], confidence=1.0), "^confidence"),
    (lambda: cs.threshold_from_aa([]), "^ratio_runs"),
    (lambda: cs.threshold_from_aa([[1.0, -1.0]]), "^ratio_runs"),
    (lambda: cs.threshold_from_aa([[1.0, 1.1]], minimum=0.5), "^minimum"),
    (lambda: cs.threshold_from_aa([[1.0, 1.1]], z=0), "^z"),
    (lambda: cs.confirm(decision("bad"), decision("same")), "^first"),
    (lambda: cs.exit_status(["same", "slower"]), "^verdicts"),
])
def test_bad_input_raises_naming_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_exit_status():
    assert cs.exit_status([]) == 0
    assert cs.exit_status(["same", "improved", "inconclusive"]) == 0
    assert cs.exit_status(["same", "regressed", "improved"]) == 1
    assert cs.exit_status(d.verdict for d in [decision("regressed")]) == 1
