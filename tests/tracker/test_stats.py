"""vfi_bench.asvkit.stats: the decision rule of a paired comparison, on simulated data.

Simulated process pairs carry a process-level shift of the log ratio (memory layout) on
top of heavy-tailed per-pair noise, and each pair shares a drift factor that multiplies
its A and B times alike (it cancels in the ratio, as pairing intends).
"""
import itertools
import math

import numpy as np
import pytest
from scipy import stats

from vfi_bench.asvkit import stats as st

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


def heavy_groups(rng, shift=0.0, groups=3, pairs=6, scale=0.04, process=0.01):
    """Log ratios of one benchmark: ``groups`` process pairs of ``pairs`` sample pairs,
    log-t(3) noise of scale ``scale``, a 3x outlier in 5 % of samples, and a normal
    process-pair shift of sd ``process``; the true log ratio is ``shift``."""
    out = []
    for _ in range(groups):
        x = shift + process * rng.standard_normal() + scale * rng.standard_t(3, pairs)
        outlier = rng.random(pairs) < 0.05
        x = np.where(outlier, x + np.log(3) * rng.choice([-1, 1], pairs), x)
        out.append(x)
    return out


def decision(verdict):
    return st.Decision(1.0, 0.9, 1.1, 0.5, verdict, 1.2)


# ---- multiplicity: false alarms per comparison, not per benchmark --------------------

def test_30_identical_benchmarks_flag_in_at_most_5_percent_of_compares():
    """200 simulated compares of K = 30 unchanged benchmarks with heavy-tailed noise.

    A compare counts as a false alarm when any of its 30 benchmarks is flagged. The
    one-sided 95 % Clopper-Pearson upper bound of that rate must be below 5 %: a bound
    that holds whatever the true rate (it allows at most 4 alarms in 200).
    """
    rng = np.random.default_rng(11)
    trials, alarms = 200, 0
    for _ in range(trials):
        cases = [heavy_groups(rng) for _ in range(30)]
        verdicts = [d.verdict for d in st.decide_all(cases, [THRESHOLD] * 30, resamples=500)]
        alarms += any(v in st.FLAGGED for v in verdicts)
    assert stats.beta.ppf(0.95, alarms + 1, trials - alarms) < 0.05, f"{alarms} in {trials}"


def test_without_holm_the_same_data_would_alarm_often():
    """The premise of the test above: per benchmark at alpha = 0.05, K = 30 benchmarks
    with more noise would alarm in many compares (here the threshold is at its minimum
    and the noise large enough for single benchmarks to reach it)."""
    rng = np.random.default_rng(12)
    alarms = holm_alarms = 0
    for _ in range(100):
        cases = [heavy_groups(rng, scale=0.12, process=0.05) for _ in range(30)]
        summaries = [st.summarize(c, resamples=500) for c in cases]
        p = [st._p_value(s) for s in summaries]
        alarms += any(pv < 0.05 and abs(math.log(s.ratio)) > math.log(1.01)
                      for pv, s in zip(p, summaries, strict=True))
        holm_alarms += any(st.holm(p))
    assert alarms >= 30 and holm_alarms <= 10


def test_a_125x_shift_in_one_of_30_is_caught_in_at_least_95_percent():
    rng = np.random.default_rng(13)
    trials, caught, others = 100, 0, 0
    for _ in range(trials):
        cases = [heavy_groups(rng) for _ in range(29)] + [heavy_groups(rng, math.log(1.25))]
        verdicts = [d.verdict for d in st.decide_all(cases, [THRESHOLD] * 30, resamples=500)]
        caught += verdicts[-1] == "regressed"
        others += any(v in st.FLAGGED for v in verdicts[:-1])
    assert caught >= 95 and others <= 5


def test_holm_step_down():
    assert st.holm([0.01, 0.04, 0.03, 0.5]) == [True, False, False, False]
    assert st.holm([0.001, 0.012, 0.02]) == [True, True, True]  # 0.0167, 0.025, 0.05
    assert st.holm([0.03, 0.001, 0.04]) == [False, True, False]  # stops: 0.03 > 0.025
    assert st.holm([float("nan"), 0.03]) == [False, True]  # nan does not count in K
    assert st.holm([]) == []


# ---- one benchmark -------------------------------------------------------------------

@pytest.mark.parametrize("n", [10, 20])
@pytest.mark.parametrize("factor, verdict", [(1.25, "regressed"), (0.8, "improved")])
def test_known_shift_is_detected_and_covered(n, factor, verdict):
    d = st.decide(*shifted_pairs(seed=n, n=n, factor=factor), THRESHOLD)
    assert d.verdict == verdict
    assert d.low <= factor <= d.high
    assert d.p_value < st.ALPHA
    assert d.mde < factor if factor > 1 else d.mde < 1 / factor


def test_known_shift_power_and_coverage_over_seeds():
    detected = covered = total = 0
    for n in (10, 20):
        for factor, verdict in ((1.25, "regressed"), (0.8, "improved")):
            for seed in range(50):
                d = st.decide(*shifted_pairs(seed, n, factor), THRESHOLD)
                detected += d.verdict == verdict
                covered += d.low <= factor <= d.high
                total += 1
    assert detected >= 0.98 * total
    assert covered >= 0.85 * total  # a 95 % interval covering 85 % would be badly broken


def test_too_few_pairs_is_inconclusive_even_for_a_huge_shift():
    a, b = shifted_pairs(seed=1, n=st.MIN_PAIRS - 1, factor=3.0)
    d = st.decide(a, b, THRESHOLD)
    assert d.verdict == "inconclusive"
    assert d.ratio == pytest.approx(3.0, rel=0.1) and d.low <= d.ratio <= d.high
    one = st.decide(a[:1], b[:1], THRESHOLD)
    assert one.verdict == "inconclusive" and math.isnan(one.ratio) and math.isnan(one.mde)


def test_quiet_unchanged_data_is_same():
    d = st.decide(*shifted_pairs(seed=3, n=20, factor=1.0, sigma=0.02), THRESHOLD)
    assert d.verdict == "same"
    assert 1 / THRESHOLD <= d.low <= d.ratio <= d.high <= THRESHOLD


def test_noisy_data_is_inconclusive_and_says_which_mde_it_reached():
    d = st.decide(*shifted_pairs(4, 20, 1.0, sigma=0.5), THRESHOLD)
    assert d.low < 1 / THRESHOLD or d.high > THRESHOLD  # the premise: too noisy to tell
    assert d.verdict == "inconclusive" and d.mde > 1.25


def test_process_pairs_are_the_unit_of_the_spread():
    """Three process pairs that disagree (layouts +-10 %) with no noise inside them: the
    spread must come from the process pairs, not from the 30 identical samples."""
    groups = [np.full(10, v) for v in (-0.1, 0.0, 0.1)]
    s = st.summarize(groups)
    assert s.se > 0.03 and s.groups == 3 and s.pairs == 30
    pooled = st.summarize([np.concatenate(groups)])  # as if one process pair
    assert pooled.se < s.se


def test_summarize_is_seeded_and_handles_constant_ratios():
    x = [0.1 * np.random.default_rng(6).standard_normal(15)]
    assert st.summarize(x, seed=7) == st.summarize(x, seed=7)
    s = st.summarize([np.full(5, math.log(1.2))])
    assert (s.ratio, s.low, s.high, s.se) == pytest.approx((1.2, 1.2, 1.2, 0.0))


def test_min_detectable_effect():
    assert st.min_detectable_effect(0.0, threshold=1.1) == 1.1
    z = stats.norm.ppf(1 - 0.05 / 28) + stats.norm.ppf(0.95)
    assert st.min_detectable_effect(0.03, 0.05 / 14) == pytest.approx(math.exp(z * 0.03))
    smaller = [st.min_detectable_effect(0.03, 0.05 / k) for k in (1, 14, 30)]
    assert all(a < b for a, b in itertools.pairwise(smaller))  # more benchmarks, larger mde


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
    assert st.confirm(decision(first), decision(second)) == final


def aa_runs(sigma, runs=5, n=20, seed=8):
    """Per-pair ratios of A/A runs: the same standard normals scaled by ``sigma``."""
    z = np.random.default_rng(seed).standard_normal((runs, n))
    return list(np.exp(sigma * z))


def test_threshold_from_aa_bounds_and_growth():
    assert st.threshold_from_aa(aa_runs(0.01)) == pytest.approx(st.MIN_THRESHOLD)
    sigmas = [0.01, 0.2, 0.4, 0.8]
    thresholds = [st.threshold_from_aa(aa_runs(s)) for s in sigmas]
    assert all(t >= st.MIN_THRESHOLD for t in thresholds)
    assert all(x < y for x, y in itertools.pairwise(thresholds[1:]))
    assert thresholds[-1] > 1.5
    for sigma, t in zip(sigmas, thresholds, strict=True):
        for run in aa_runs(sigma):
            assert 1 / t <= np.exp(np.median(np.log(run))) <= t


def test_the_threshold_decides_when_the_change_is_real_but_small():
    # B steadily 15% slower, quiet: past the default 1.10, within a calibrated 1.30.
    rng = np.random.default_rng(14)
    groups = [math.log(1.15) + 0.01 * rng.standard_normal(6) for _ in range(3)]
    assert st.decide_all([groups], [1.10])[0].verdict == "regressed"
    assert st.decide_all([groups], [1.30])[0].verdict == "same"


@pytest.mark.parametrize("call, name", [
    (lambda: st.decide([1.0] * 10, [1.0] * 9, THRESHOLD), "same length"),
    (lambda: st.decide([1.0] * 9 + [float("nan")], [1.0] * 10, THRESHOLD), "^a must"),
    (lambda: st.decide([1.0] * 10, [1.0] * 9 + [0.0], THRESHOLD), "^b must"),
    (lambda: st.decide([1.0] * 10, [1.0] * 9 + [-2.0], THRESHOLD), "finite values > 0"),
    (lambda: st.decide([1.0] * 10, [1.0] * 10, 0.9), "^threshold"),
    (lambda: st.decide([1.0] * 10, [1.0] * 10, THRESHOLD, alpha=1.5), "^alpha"),
    (lambda: st.summarize([0.1]), "at least 2"),
    (lambda: st.summarize([0.1, 0.2], confidence=1.0), "^confidence"),
    (lambda: st.decide_all([[0.1] * 10], []), "same length"),
    (lambda: st.min_detectable_effect(float("nan")), "^se"),
    (lambda: st.threshold_from_aa([]), "^ratio_runs"),
    (lambda: st.threshold_from_aa([[1.0, -1.0]]), "^ratio_runs"),
    (lambda: st.threshold_from_aa([[1.0, 1.1]], minimum=0.5), "^minimum"),
    (lambda: st.threshold_from_aa([[1.0, 1.1]], z=0), "^z"),
    (lambda: st.confirm(decision("bad"), decision("same")), "^first"),
    (lambda: st.exit_status(["same", "slower"]), "^verdicts"),
])
def test_bad_input_raises_naming_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_exit_status():
    assert st.exit_status([]) == 0
    assert st.exit_status(["same", "improved", "inconclusive"]) == 0
    assert st.exit_status(["same", "regressed", "improved"]) == 1


# ==== the sequential rule ==============================================================
#
# Units are process pairs (their median log ratio) or, for timeraw points, single sample
# pairs; each stage tests at sqrt(alpha / 2K) one-sided, spent over the looks.

def brownian_crossings(fractions, levels, paths, seed):
    """Share of standard Brownian paths observed at ``fractions`` whose first crossing of
    the boundaries z_{1 - level} is at each look."""
    rng = np.random.default_rng(seed)
    steps = np.diff(np.concatenate([[0.0], fractions]))
    w = np.cumsum(rng.standard_normal((paths, len(fractions))) * np.sqrt(steps), axis=1)
    z = w / np.sqrt(fractions)
    over = z >= stats.norm.isf(np.asarray(levels))
    first = np.where(over.any(axis=1), over.argmax(axis=1), -1)
    return np.array([np.mean(first == k) for k in range(len(fractions))])


@pytest.mark.parametrize("fractions", [(0.5, 1.0), (3 / 6, 4 / 6, 5 / 6, 1.0),
                                       (0.2, 0.4, 0.6, 0.8, 1.0)])
def test_sequential_levels_spend_the_obrien_fleming_function_at_each_look(fractions):
    alpha = 0.03
    levels = st.sequential_levels(fractions, alpha)
    spent = np.diff(np.concatenate([[0.0], st.obrien_fleming_spent(fractions, alpha)]))
    crossings = brownian_crossings(np.array(fractions), levels, 1_000_000, seed=21)
    # 10^6 paths: the standard error of a crossing share of 0.01 is 1e-4
    assert crossings == pytest.approx(spent, abs=6e-4)
    assert crossings.sum() == pytest.approx(alpha, abs=6e-4)
    assert all(a < b for a, b in itertools.pairwise(levels))  # later looks are looser
    assert levels[-1] < alpha  # but each below the fixed-sample level


def test_testing_each_look_at_the_full_level_would_not_hold_it():
    """The premise: looks without spending (the rule before) exceed the level."""
    fractions = np.array((3 / 6, 4 / 6, 5 / 6, 1.0))
    crossings = brownian_crossings(fractions, [0.03] * 4, 400_000, seed=22)
    assert crossings.sum() > 0.05


def test_t_bounds_are_scipys_t_interval_and_yuens_trimmed_t():
    rng = np.random.default_rng(23)
    y = rng.standard_normal(9)
    center, low, high, se = st.t_bounds(y, 0.025)
    expected = stats.ttest_1samp(y, 0.0).confidence_interval(0.95)
    assert (low, high) == pytest.approx((expected.low, expected.high))
    assert se == pytest.approx(stats.sem(y))
    y = np.append(y, [25.0, -30.0])  # two stalls, cut by a 20 % trim (2 of 11 per end)
    center, low, high, se = st.t_bounds(y, 0.025, trim=0.2)
    kept = np.sort(y)[2:-2]
    winsorised = np.asarray(stats.mstats.winsorize(y, limits=(2 / 11, 2 / 11)))
    yuen_se = math.sqrt(10 * winsorised.var(ddof=1) / (7 * 6))
    assert center == pytest.approx(kept.mean()) and se == pytest.approx(yuen_se)
    assert high - center == pytest.approx(stats.t.isf(0.025, 6) * yuen_se)
    _, plain_low, plain_high, _ = st.t_bounds(y, 0.025)
    assert abs(center) < 1 and high - low < (plain_high - plain_low) / 4  # stalls cut


def test_t_bounds_vectorise_over_leading_axes():
    y = np.random.default_rng(24).standard_normal((4, 3, 7))
    together = st.t_bounds(y, 0.01, trim=0.2)
    one = st.t_bounds(y[2, 1], 0.01, trim=0.2)
    assert [float(v[2, 1]) for v in together] == pytest.approx([float(v) for v in one])


@pytest.mark.parametrize("low, high, code", [
    (math.log(1.031), 0.5, st.REGRESSED),      # above the floor: flagged, however small
    (math.log(1.029), math.log(1.05), st.SAME),  # not past the floor, within the margin
    (math.log(1.029), math.log(1.2), st.INCONCLUSIVE),
    (-0.5, -math.log(1.031), st.IMPROVED),
    (-math.log(1.09), math.log(1.09), st.SAME),
    (-math.log(1.11), math.log(1.09), st.INCONCLUSIVE),
])
def test_classify_separates_the_floor_from_the_margin(low, high, code):
    assert int(st.classify(low, high, 1.03, 1.10)) == code


def test_confirm_codes_is_confirm_on_every_pair():
    for first, second in itertools.product(range(4), repeat=2):
        expected = st.confirm(decision(st.VERDICTS[first]), decision(st.VERDICTS[second]))
        assert st.VERDICTS[int(st.confirm_codes(first, second))] == expected


def test_unit_values_are_medians_per_process_pair_or_every_pooled_sample():
    groups = [[0.1, 0.3, 0.2], [0.0, 5.0, -0.1], [0.4, 0.4, 0.5]]
    assert list(st.unit_values(groups)) == pytest.approx([0.2, 0.0, 0.4])
    pooled = st.unit_values(groups, isolated=True)
    assert sorted(pooled) == sorted(v for g in groups for v in g)


def test_stage_alpha_multiplies_to_the_family_rate():
    for k in (1, 14, 31):
        rule = st.Rule(points=k)
        assert 2 * k * rule.stage_alpha ** 2 == pytest.approx(st.ALPHA)


def test_the_mde_grows_with_the_spread_and_shrinks_with_units():
    mde = [float(st.min_detectable_effect_of(0.02, n, 0.01, n, 0.03)) for n in (3, 6, 12)]
    assert all(a > b for a, b in itertools.pairwise(mde))
    wider = st.min_detectable_effect_of(np.array([0.01, 0.02, 0.04]), 6, 0.01, 6, 0.03)
    assert all(a < b for a, b in itertools.pairwise(wider))
    assert float(st.min_detectable_effect_of(0.0, 6, 0.01, 6, 0.03, floor=1.02)) == \
        pytest.approx(1.02)  # no spread: just past the floor


def test_the_mde_is_caught_with_its_power_by_each_stage_when_the_spread_is_known():
    """Normal units, se known up to its own estimate: at the mde (spread bound at the
    confidence used) both stages together flag in at least 95 % of 20,000 draws."""
    rng = np.random.default_rng(25)
    n, level, sd = 6, 0.01, 0.03
    draws = rng.standard_normal((20_000, 2, n)) * sd
    se_bound = sd / math.sqrt(n) * math.sqrt(
        stats.chi2.ppf(1 - st.SPREAD_CONFIDENCE, n - 1) / (n - 1))  # so upper = sd/sqrt(n)
    mde = float(st.min_detectable_effect_of(se_bound, n, level, n, level, floor=1.03))
    _, low, _, _ = st.t_bounds(draws + math.log(mde), level)
    caught = np.mean(np.all(low > math.log(1.03), axis=1))
    assert caught == pytest.approx(st.POWER, abs=0.006)


def test_decide_units_flags_past_the_floor_and_needs_three_units():
    d = st.decide_units([0.05, 0.06, 0.055, 0.052], 0.01, 4, 0.04)
    assert d.verdict == "regressed" and 1.03 < d.low < d.ratio < d.high and d.mde > 1.03
    assert d.p_value < 0.01
    two = st.decide_units([0.5, 0.6], 0.01, 4, 0.04)
    assert two.verdict == "inconclusive" and two.ratio == pytest.approx(math.exp(0.55))
    one = st.decide_units([0.5], 0.01, 4, 0.04)
    assert one.verdict == "inconclusive" and one.ratio == pytest.approx(math.exp(0.5))
    assert math.isnan(one.low) and math.isnan(one.mde)
    assert math.isnan(st.decide_units([], 0.01, 4, 0.04).ratio)
    same = st.decide_units([0.001, -0.002, 0.0, 0.002, -0.001], 0.01, 5, 0.04)
    assert same.verdict == "same"


def test_variance_components_recover_the_between_and_within_variances():
    rng = np.random.default_rng(26)
    groups = 0.03 * rng.standard_normal((400, 1)) + 0.05 * rng.standard_normal((400, 8))
    between, within = st.variance_components(list(groups))
    assert math.sqrt(between) == pytest.approx(0.03, rel=0.1)
    assert math.sqrt(within) == pytest.approx(0.05, rel=0.03)


def test_design_takes_the_square_root_split_and_the_fewest_process_pairs():
    rule = st.Rule(points=14)
    d = st.design(between=0.03 ** 2, within=0.06 ** 2, cost_ratio=10, target=1.15, rule=rule)
    assert d.pairs == round(math.sqrt(10 * st.MEDIAN_VARIANCE * 0.06 ** 2 / 0.03 ** 2))
    assert d.mde <= 1.15 and d.processes > st.MIN_UNITS
    fewer = st.design(0.03 ** 2, 0.06 ** 2, 10, 1.15, rule, max_processes=d.processes - 1)
    assert fewer.mde > 1.15  # one process pair fewer would not reach the target
    cheap_processes = st.design(0.03 ** 2, 0.06 ** 2, 1, 1.15, rule)
    assert cheap_processes.pairs < d.pairs  # cheaper processes: more of them, fewer pairs
    assert cheap_processes.pairs == 5  # the stall-robust minimum


def test_floor_from_aa_goes_down_on_a_quiet_machine_and_up_on_a_biased_one():
    rng = np.random.default_rng(27)
    quiet = [0.002 * rng.standard_normal(6) for _ in range(3)]
    assert st.floor_from_aa(quiet) == pytest.approx(st.MIN_FLOOR)
    assert st.floor_from_aa(quiet) < st.DEFAULT_FLOOR
    biased = [0.035 + 0.01 * rng.standard_normal(6) for _ in range(3)]
    assert st.floor_from_aa(biased) > math.exp(0.035) > st.DEFAULT_FLOOR


@pytest.mark.parametrize("call, name", [
    (lambda: st.sequential_levels([0.5, 0.9], 0.01), "^fractions"),
    (lambda: st.sequential_levels([0.5, 0.5, 1.0], 0.01), "^fractions"),
    (lambda: st.sequential_levels([1.0], 0.7), "^alpha"),
    (lambda: st.Rule(points=0), "^points"),
    (lambda: st.Rule(alpha=1.0), "^alpha"),
    (lambda: st.Rule(margin=1.0), "^margin"),
    (lambda: st.Looks(0), "first, step and count"),
    (lambda: st.t_bounds([0.1], 0.01), "at least 2"),
    (lambda: st.min_detectable_effect_of(0.1, 1, 0.01, 3, 0.01), "at least 2"),
    (lambda: st.design(-1.0, 0.1, 1, 1.2), "^between"),
    (lambda: st.design(0.1, 0.1, 0, 1.2), "^cost_ratio"),
    (lambda: st.design(0.1, 0.1, 1, 1.01), "^target"),
    (lambda: st.floor_from_aa([[0.1]]), "^runs"),
    (lambda: st.floor_from_aa([[0.1, 0.2]], minimum=0.9), "^minimum"),
    (lambda: st.unit_values([[0.1, float("inf")]]), "finite"),
])
def test_bad_input_to_the_sequential_rule_raises_naming_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()
