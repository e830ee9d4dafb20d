"""The decision procedure of ``compare`` as it runs (looks, extra process pairs,
confirmation) on simulated compares: the stated error rates hold.

Every test is seeded. A false-alarm rate is accepted when the one-sided 95 %
Clopper-Pearson upper bound over 2,000 compares is below 5 % (it holds whatever the true
rate is); a power when its 95 % lower bound is above 95 %.
"""
import math

import numpy as np
import pytest

from vfi_bench.asvkit import simulate as sim
from vfi_bench.asvkit import stats as st

COMPARES = 2000
SETTINGS = [pytest.param(noise, isolated, id=label) for label, noise, isolated in sim.SETTINGS]


def compares_of(noise, isolated, points, seed, **kwargs):
    procedure = sim.Procedure(isolated=isolated)
    return sim.run_compares(noise, procedure, np.zeros(points), COMPARES, seed, **kwargs)


@pytest.mark.parametrize("points", sim.POINTS)
@pytest.mark.parametrize("noise, isolated", SETTINGS)
def test_family_wise_false_alarms_at_most_5_percent(noise, isolated, points):
    outcome = compares_of(noise, isolated, points, seed=points)
    alarms = int(outcome.any_flagged().sum())
    assert sim.upper_bound(alarms, COMPARES) < st.ALPHA, f"{alarms} in {COMPARES}"


@pytest.mark.parametrize("points", sim.POINTS)
@pytest.mark.parametrize("noise, isolated", SETTINGS)
def test_the_level_holds_without_the_floor(noise, isolated, points):
    """The t tests, the spending and the confirmation alone hold the level: the floor
    is not what keeps false alarms down (floor 1.0: any bound past 1 flags)."""
    outcome = compares_of(noise, isolated, points, seed=100 + points, floor=1.0)
    alarms = int(outcome.any_flagged().sum())
    assert sim.upper_bound(alarms, COMPARES) < st.ALPHA, f"{alarms} in {COMPARES}"


def test_looks_without_spending_would_break_the_level():
    """The premise of the spending: the same compares with every look at the whole stage
    level (optional stopping) and no floor alarm more often, beyond 5 %."""
    noise = sim.Noise(process_sd=0.05)
    spent = compares_of(noise, False, 31, seed=7, floor=1.0)
    unspent = compares_of(noise, False, 31, seed=7, floor=1.0, spend=False)
    assert unspent.any_flagged().mean() > st.ALPHA > spent.any_flagged().mean()


@pytest.mark.parametrize("points", sim.POINTS)
@pytest.mark.parametrize("noise, isolated", SETTINGS)
def test_a_change_of_the_reported_mde_is_caught_in_at_least_95_percent(noise, isolated,
                                                                        points):
    """The median mde the A/A compares report, planted in one point of K: confirmed
    ``regressed`` in at least 95 % of the compares (3,000 of them for margin)."""
    rates = sim.rates(noise, sim.Procedure(isolated=isolated), points, 3000, seed=200 + points)
    assert rates.power_bound > st.POWER, f"{rates.caught} of 3000 at x{rates.mde:.3f}"
    assert rates.mde > st.DEFAULT_FLOOR


def test_with_enough_process_pairs_the_mde_is_where_the_power_is():
    """One look at 5 process pairs of 5: at the reported mde at least 95 % are caught,
    at half its log less than half: the mde is not a bound far above the truth. (With 3
    process pairs the spread's bound on 2 degrees of freedom makes it looser.)"""
    noise, procedure = sim.Noise(process_sd=0.03), sim.Procedure(5, 5, 0)
    rates = sim.rates(noise, procedure, 14, 1000, seed=9)
    assert rates.caught >= 950
    half = np.zeros(14)
    half[0] = math.log(rates.mde) / 2
    smaller = sim.run_compares(noise, procedure, half, 1000, seed=10)
    assert np.mean(smaller.final[:, 0] == st.REGRESSED) < 0.5


def test_points_stop_as_soon_as_decided_and_the_undecided_take_every_look():
    quiet = sim.run_compares(sim.Noise(0.0, sample_scale=0.002, outlier_rate=0.0),
                             sim.Procedure(), np.zeros(5), 200, seed=11)
    assert np.all(quiet.looks == 1) and np.all(quiet.final == st.SAME)
    noisy = sim.run_compares(sim.Noise(0.5, sample_scale=0.5), sim.Procedure(), np.zeros(5),
                             200, seed=12)
    assert np.all(noisy.looks[noisy.first == st.INCONCLUSIVE] == 1 + sim.Procedure().extra)


def test_a_flag_must_repeat_in_the_fresh_process_pairs():
    """With a large real change first flags are confirmed (all but a fresh set hit by
    stalls: 1 in 500 here); with none, first-stage flags (no floor, so some occur) are
    mostly not."""
    big = np.zeros(14)
    big[0] = math.log(2.0)
    caught = sim.run_compares(sim.Noise(0.03), sim.Procedure(), big, 500, seed=13)
    flagged = caught.first[:, 0] == st.REGRESSED
    assert flagged.sum() >= 495
    assert np.mean(caught.final[:, 0][flagged] == st.REGRESSED) >= 0.99
    aa = compares_of(sim.Noise(0.05), False, 31, seed=14, floor=1.0)
    first_flags = np.isin(aa.first, (st.REGRESSED, st.IMPROVED)).sum()
    final_flags = np.isin(aa.final, (st.REGRESSED, st.IMPROVED)).sum()
    assert first_flags > 10 * max(final_flags, 1)


def test_the_table_has_a_row_per_setting_and_k():
    text = sim.table(compares=50, seed=1)
    lines = text.splitlines()
    assert len(lines) == 2 + len(sim.SETTINGS) * len(sim.POINTS)
    assert all(line.count("|") == 9 for line in lines)
