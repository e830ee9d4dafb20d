"""vfi_bench.asvkit.stats: the decision rule of a paired comparison, on simulated data
(its error rates over whole compares: tests/tracker/test_simulate.py).

Simulated process pairs carry a process-level shift of the log ratio (memory layout) on
top of heavy-tailed per-pair noise with stalls.
"""
import itertools
import math

import numpy as np
import pytest
from scipy import stats

from vfi_bench.asvkit import stats as st


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


def units_of(rng, shift=0.0, groups=6, **kwargs):
    """Unit values (medians per process pair) of :func:`heavy_groups`."""
    return st.unit_values(heavy_groups(rng, shift, groups, **kwargs))


def decided(units, points=1, floor=st.DEFAULT_FLOOR, trim=0.0):
    """:func:`st.decide_units` at one look of the whole stage level of K ``points``."""
    rule = st.Rule(points=points)
    n = np.size(units)
    return st.decide_units(units, rule.stage_alpha, n, rule.stage_alpha, floor, rule, trim)


# ---- one benchmark -------------------------------------------------------------------

@pytest.mark.parametrize("groups", [6, 10])
@pytest.mark.parametrize("factor, verdict", [(1.25, "regressed"), (0.8, "improved")])
def test_known_shift_is_detected_and_covered(groups, factor, verdict):
    d = decided(units_of(np.random.default_rng(groups), math.log(factor), groups), 14)
    assert d.verdict == verdict
    assert d.low <= factor <= d.high
    assert d.p_value < st.Rule(points=14).stage_alpha
    assert d.mde < 1.25


def test_known_shift_power_and_coverage_over_seeds():
    rule = st.Rule(points=14)
    detected = covered = total = 0
    rng = np.random.default_rng(5)
    for factor, verdict in ((1.25, "regressed"), (0.8, "improved")):
        for _ in range(100):
            d = decided(units_of(rng, math.log(factor), 6), 14)
            detected += d.verdict == verdict
            # one-sided bounds at the stage level: the interval covers 1 - 2 a_s
            covered += d.low <= factor <= d.high
            total += 1
    assert detected >= 0.95 * total
    assert covered >= (1 - 2 * rule.stage_alpha - 0.05) * total


def test_too_few_units_is_inconclusive_even_for_a_huge_shift():
    d = decided([math.log(3.0), math.log(3.1)])
    assert d.verdict == "inconclusive" and d.ratio == pytest.approx(3.05, rel=0.01)
    one = decided([math.log(3.0)])
    assert one.verdict == "inconclusive" and math.isnan(one.low) and math.isnan(one.mde)
    assert one.ratio == pytest.approx(3.0)


def test_quiet_unchanged_data_is_same():
    d = decided(units_of(np.random.default_rng(3), 0.0, 6, scale=0.01, process=0.005))
    assert d.verdict == "same"
    assert 1 / st.DEFAULT_MARGIN <= d.low <= d.ratio <= d.high <= st.DEFAULT_MARGIN


def test_noisy_data_is_inconclusive_and_says_which_mde_it_reached():
    d = decided(units_of(np.random.default_rng(4), 0.0, 6, scale=0.5, process=0.2), 14)
    assert d.low < 1 / st.DEFAULT_MARGIN or d.high > st.DEFAULT_MARGIN  # too noisy
    assert d.verdict == "inconclusive" and d.mde > 1.25


def test_process_pairs_are_the_unit_of_the_spread():
    """Six process pairs that disagree (layouts +-10 %) with no noise inside them: the
    spread comes from the process pairs, not from the 60 identical samples."""
    groups = [np.full(10, v) for v in (-0.1, 0.0, 0.1, -0.1, 0.0, 0.1)]
    units = st.unit_values(groups)
    assert units.size == 6
    d = decided(units)
    pooled = decided(st.unit_values(groups, isolated=True))  # as if 60 independent
    assert d.high - d.low > 2 * (pooled.high - pooled.low)


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
    assert st.confirm_verdicts(first, second) == final
    code = st.confirm_codes(st.VERDICTS.index(first), st.VERDICTS.index(second))
    assert st.VERDICTS[int(code)] == final


def test_the_floor_decides_when_the_change_is_real_but_small():
    # B steadily 6 % slower, quiet: past the default floor 1.03, not past a floor 1.08
    # (and then within the margin: same).
    rng = np.random.default_rng(14)
    units = st.unit_values([math.log(1.06) + 0.005 * rng.standard_normal(6)
                            for _ in range(6)])
    assert decided(units).verdict == "regressed"
    assert decided(units, floor=1.08).verdict == "same"


def test_decide_look_is_decide_units_on_every_row():
    rng = np.random.default_rng(15)
    rule = st.Rule(points=14)
    units = np.stack([units_of(rng, s, 5) for s in (0.0, 0.3, -0.3, 0.0, 0.05)])
    look = st.decide_look(units, 0.01, 5, rule.stage_alpha, 1.03, rule)
    for row, code, mde in zip(units, look.code, look.mde, strict=True):
        d = st.decide_units(row, 0.01, 5, rule.stage_alpha, 1.03, rule)
        assert d.verdict == st.VERDICTS[int(code)] and d.mde == pytest.approx(float(mde))
    assert [st.VERDICTS[c] for c in look.code[1:3]] == ["regressed", "improved"]
    assert np.all(st.decide_look(units[:, :2], 0.01, 5, 0.01).code == st.INCONCLUSIVE)


def test_undecided_is_inconclusive_with_the_mde_above_the_target():
    code = np.array([st.INCONCLUSIVE, st.INCONCLUSIVE, st.INCONCLUSIVE, st.SAME])
    mde = np.array([1.3, 1.1, math.nan, 1.3])
    assert list(st.undecided(code, mde, 1.2)) == [True, False, True, False]


def test_confirm_look_keeps_a_flag_only_when_the_fresh_units_repeat_it():
    rule = st.Rule(points=3)
    first = np.array([st.REGRESSED, st.REGRESSED, st.SAME])
    fresh = np.array([[0.3, 0.31, 0.29, 0.3, 0.32], [0.0, 0.001, -0.001, 0.0, 0.002],
                      [0.3, 0.31, 0.29, 0.3, 0.32]])
    final, second = st.confirm_look(first, fresh, rule=rule)
    assert [st.VERDICTS[c] for c in final] == ["regressed", "same", "same"]
    assert [st.VERDICTS[c] for c in second.code] == ["regressed", "same", "regressed"]


def test_looks_of_pools_timeraw_samples_and_adds_one_process_pair_otherwise():
    assert st.looks_of(5, 5, 3) == st.Looks(5, 1, 4)
    assert st.looks_of(5, 5, 3).units(3) == 8
    assert st.looks_of(5, 8, 2, isolated=True) == st.Looks(8, 8, 3)
    assert st.looks_of(5, 2, 0, isolated=True) == st.Looks(st.MIN_PAIRS, st.MIN_PAIRS, 1)
    assert (st.trim_of(True), st.trim_of(False)) == (st.POOLED_TRIM, 0.0)


@pytest.mark.parametrize("call, name", [
    (lambda: st.confirm_verdicts("bad", "same"), "^first"),
    (lambda: st.confirm_verdicts("same", "slower"), "^second"),
])
def test_bad_input_raises_naming_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


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


def test_confirm_codes_keeps_every_unflagged_first_and_vectorises():
    first, second = np.meshgrid(range(4), range(4), indexing="ij")
    final = st.confirm_codes(first, second)
    for f, g in itertools.product(range(4), repeat=2):
        assert final[f, g] == int(st.confirm_codes(f, g))
        if f in (st.SAME, st.INCONCLUSIVE):
            assert final[f, g] == f
        else:
            assert final[f, g] in (f, st.SAME, st.INCONCLUSIVE)
            assert (final[f, g] == f) == (g == f)


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


def test_instruction_limit_is_half_a_percent_unless_the_aa_counts_spread():
    assert st.instruction_limit([1.0, 1.0, 1.0]) == st.MIN_INSTRUCTION_LIMIT == 1.005
    assert st.instruction_limit([1.001]) == 1.005
    assert st.instruction_limit([1.028, 0.995]) == pytest.approx(math.exp(2 * math.log(1.028)))
    with pytest.raises(ValueError, match="^aa_ratios"):
        st.instruction_limit([])
    with pytest.raises(ValueError, match="^minimum"):
        st.instruction_limit([1.0], minimum=1.0)
