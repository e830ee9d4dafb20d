"""The decision rule (vfi_bench.asvkit.stats) decides each point on its own data
(issue 32, the mutation check): ``decide_look`` and ``confirm_look`` are vectorised over
the leading axes, and a batch of points gets, point by point, the verdicts, bounds and
mde that each point gets alone, whatever the number of points against the number of
units."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vfi_bench.asvkit import stats


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), points=st.integers(2, 7), units=st.integers(3, 9),
       shift=st.floats(-0.2, 0.2), trim=st.sampled_from([0.0, 0.2]))
def test_a_batch_is_decided_point_by_point(seed, points, units, shift, trim):
    if points == units:
        points += 1  # a batch whose leading axis differs from the units axis
    if stats.trimmed_count(units, trim) < 2:
        trim = 0.0
    rng = np.random.default_rng(seed)
    first_units = shift + 0.02 * rng.standard_normal((points, units))
    fresh = shift + 0.02 * rng.standard_normal((points, units))
    rule = stats.Rule()
    first = stats.decide_look(first_units, rule.stage_alpha, units, rule.stage_alpha,
                              rule=rule, trim=trim)
    codes, second = stats.confirm_look(first.code, fresh, rule=rule, trim=trim)
    for i in range(points):
        alone = stats.decide_look(first_units[i], rule.stage_alpha, units, rule.stage_alpha,
                                  rule=rule, trim=trim)
        code_i, second_i = stats.confirm_look(alone.code, fresh[i], rule=rule, trim=trim)
        assert first.code[i] == alone.code and codes[i] == code_i
        for name in ("center", "low", "high", "se", "mde"):
            np.testing.assert_allclose(getattr(first, name)[i], getattr(alone, name),
                                       rtol=1e-12, err_msg=name)
            np.testing.assert_allclose(getattr(second, name)[i], getattr(second_i, name),
                                       rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("units", [3, 5, 25])
def test_the_mde_is_caught_with_the_rules_power(units):
    """The mde is what the name says: a true ratio at the mde is flagged (regressed
    through both stages) at least ``power`` of the time, approximately (the spread's
    upper bound makes it conservative); at half the mde's log, clearly less often."""
    rng = np.random.default_rng(units)
    rule = stats.Rule()
    sd = 0.02
    draws = 4000
    probe = stats.decide_look(sd * rng.standard_normal((draws, units)), rule.stage_alpha,
                              units, rule.stage_alpha, rule=rule)
    mde = float(np.median(probe.mde))

    def caught(log_ratio):
        first = stats.decide_look(log_ratio + sd * rng.standard_normal((draws, units)),
                                  rule.stage_alpha, units, rule.stage_alpha, rule=rule)
        codes, _ = stats.confirm_look(
            first.code, log_ratio + sd * rng.standard_normal((draws, units)), rule=rule)
        return float(np.mean(codes == stats.REGRESSED))

    assert caught(np.log(mde)) >= rule.power - 0.1
    assert caught(0.5 * np.log(mde)) < rule.power - 0.1


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), pairs=st.integers(2, 6), samples=st.integers(2, 6))
def test_variance_components_read_one_layout_however_given(seed, pairs, samples):
    """Process pairs' log ratios as a list of lists, a list or a tuple of arrays, or a 2-d
    array (one row per process pair) are the same data; a flat sequence (list or array)
    is one process pair, too few."""
    rng = np.random.default_rng(seed)
    data = 0.05 * rng.standard_normal((pairs, samples))
    as_lists = stats.variance_components([list(r) for r in data])
    np.testing.assert_allclose(stats.variance_components(list(data)), as_lists)
    np.testing.assert_allclose(stats.variance_components(tuple(data)), as_lists)
    np.testing.assert_allclose(stats.variance_components(data), as_lists)
    for flat in (data[0], list(data[0])):  # one process pair: too few for the components
        with pytest.raises(ValueError, match="process pairs"):
            stats.variance_components(flat)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), units=st.integers(3, 12),
       center=st.floats(-0.3, 0.3), sd=st.sampled_from([0.0, 0.005, 0.03, 0.3]),
       trim=st.sampled_from([0.0, 0.2]))
def test_the_p_value_agrees_with_the_verdict(seed, units, center, sd, trim):
    """decide_units' p_value is the flag test's: below the level exactly when the point is
    flagged (regressed or improved), 0 or 1 when the units do not vary."""
    if stats.trimmed_count(units, trim) < 3:
        trim = 0.0
    rng = np.random.default_rng(seed)
    if sd == 0.0:  # equal units, with an exactly representable mean: se is 0
        y = np.full(units, round(center * 64) / 64)
    else:
        y = center + sd * rng.standard_normal(units)
    level = 0.01
    decision = stats.decide_units(y, level, units, level, trim=trim)
    flagged = decision.verdict in ("regressed", "improved")
    assert 0.0 <= decision.p_value <= 1.0
    # at the boundary itself (a t statistic within rounding of the critical value) skip
    low, high = np.log(decision.low), np.log(decision.high)
    log_floor = np.log(stats.DEFAULT_FLOOR)
    if min(abs(low - log_floor), abs(high + log_floor)) > 1e-9:
        assert flagged == (decision.p_value < level), decision
    if sd == 0.0:
        assert decision.p_value in (0.0, 1.0)


@pytest.mark.parametrize("max_processes", [stats.MIN_UNITS, stats.MIN_UNITS + 4, 40])
def test_a_design_stays_within_its_bounds(max_processes):
    """design's plan uses at least MIN_UNITS and at most max_processes process pairs and
    pairs within [min_pairs, max_pairs]; a max_processes below MIN_UNITS (where nothing
    could be confirmed) is refused."""
    plan = stats.design(0.0004, 0.001, 4.0, 1.2, max_processes=max_processes,
                        min_pairs=2, max_pairs=20)
    assert stats.MIN_UNITS <= plan.processes <= max_processes
    assert 2 <= plan.pairs <= 20
    with pytest.raises(ValueError, match="max_processes"):
        stats.design(0.0004, 0.001, 4.0, 1.2, max_processes=stats.MIN_UNITS - 1)


@pytest.mark.parametrize("bad", [(0.0, 1.0), (-0.5, 1.0), (0.5, 0.5, 1.0), (0.5, 0.9)])
def test_sequential_levels_refuse_fractions_outside_the_rule(bad):
    """Information fractions must increase within (0, 1] and end at 1: anything else is
    a named error, never levels computed from it."""
    with pytest.raises(ValueError, match="fractions must"):
        stats.sequential_levels(bad, 0.025)
