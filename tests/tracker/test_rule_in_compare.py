"""The rule as ``compare`` runs it: the real :func:`compare.decide_cases` (its looks, extra
process pairs, stopping, confirmation in fresh processes) on log ratios drawn from the
simulation's noise model (:mod:`vfi_bench.asvkit.simulate`: process offsets 0, 3, 5 %
and t(3)-tailed ones, t(3) sample noise with stalls), through a fake ``Measure``.

Each compare's draws are fed both to ``decide_cases`` and to the vectorised
:func:`simulate.decide_compares`: every point's verdicts (first stage and final) and the
looks it took must be the same, so the error rates the simulation states over 2,000
compares (tests/tracker/test_simulate.py) are the compare's. On these few compares the
false alarms and the detections of planted x1.25 slowdowns are checked too.
"""
from __future__ import annotations

import contextlib
import io
import math

import numpy as np
import pytest

from vfi_bench.asvkit import compare
from vfi_bench.asvkit import simulate as sim
from vfi_bench.asvkit import stats as st

POINTS = 14
PLANTED = (0, 7)  # the points slowed x1.25 (drill's ratio)
COMPARES = 120
SETTINGS = [pytest.param(noise, isolated, id=label) for label, noise, isolated in sim.SETTINGS]


def raw_draws(rng, noise: sim.Noise, procedure: sim.Procedure, shifts, units: int,
              compares: int):
    """Log ratios of shape (compares, K, units, pairs): per process pair, its offset plus
    sample noise; for an isolated point (pairs 1) an offset per sample pair."""
    k = len(shifts)
    pairs = 1 if procedure.isolated else procedure.pairs
    offsets = noise.offsets(rng, (compares, k, units, 1))
    samples = sim.sample_noise(rng, noise, (compares, k, units, pairs))
    return np.asarray(shifts)[:, None, None] + offsets + samples


class FakeMeasure:
    """The :data:`compare.Measure` of one compare, serving pre-drawn log ratios: the
    first call the first look's process pairs, each call of one process pair the next
    one (an extra look), the call after those the fresh process pairs."""

    def __init__(self, cases, first, fresh, procedure: sim.Procedure):
        self.cases = {c: k for k, c in enumerate(cases)}
        self.first, self.fresh, self.procedure = first, fresh, procedure
        self.served = dict.fromkeys(cases, 0)
        self.calls = 0

    def groups(self, source, k, start, count):
        if self.procedure.isolated:  # one group of that many samples, pooled by compare
            return [list(source[k, start:start + count, 0])]
        return [list(source[k, g]) for g in range(start, start + count)]

    def __call__(self, cases, processes, pairs, rng):
        assert -(-pairs // processes) == self.procedure.pairs  # compare's per-process count
        looks = self.procedure.looks
        x = {}
        confirming = self.calls > 0 and processes == self.procedure.processes
        for case in cases:
            k = self.cases[case]
            if confirming:
                x[case] = self.groups(self.fresh, k, 0, looks.first)
                continue
            count = looks.first if self.calls == 0 else looks.step
            x[case] = self.groups(self.first, k, self.served[case], count)
            self.served[case] += count
        self.calls += 1
        return x, {}


def cases_of(isolated: bool):
    kind = "timeraw_" if isolated else "time_"
    return [compare.Case(f"bench_sim.{kind}p{k:02d}", None) for k in range(POINTS)]


def run_both(noise, isolated, seed, compares=COMPARES):
    procedure = sim.Procedure(isolated=isolated)
    plan = compare.Plan(processes=procedure.processes,
                        pairs=procedure.processes * procedure.pairs, extra=procedure.extra,
                        target_mde=procedure.target_mde)
    shifts = np.zeros(POINTS)
    shifts[list(PLANTED)] = math.log(sim.DRILL_RATIO)
    rng = np.random.default_rng(seed)
    looks = procedure.looks
    first = raw_draws(rng, noise, procedure, shifts, looks.units(looks.count - 1), compares)
    fresh = raw_draws(rng, noise, procedure, shifts, looks.first, compares)
    cases = cases_of(isolated)
    index = {v: k for k, v in enumerate(st.VERDICTS)}
    found = {"final": [], "first": [], "looks": []}
    for c in range(compares):
        measure = FakeMeasure(cases, first[c], fresh[c], procedure)
        with contextlib.redirect_stdout(io.StringIO()):
            outcomes = compare.decide_cases(cases, measure, plan, seed=c)
        found["final"].append([index[o.verdict] for o in outcomes])
        found["first"].append([index[(o.first or o.decision).verdict] for o in outcomes])
        found["looks"].append([o.looks for o in outcomes])
    found = {key: np.array(v) for key, v in found.items()}
    units = np.median(first, axis=-1) if not isolated else first[..., 0]
    fresh_units = np.median(fresh, axis=-1) if not isolated else fresh[..., 0]
    simulated = sim.decide_compares(units, fresh_units, procedure)
    return found, simulated


@pytest.mark.parametrize("noise, isolated", SETTINGS)
def test_decide_cases_decides_as_the_simulation_and_holds_its_rates(noise, isolated):
    found, simulated = run_both(noise, isolated, seed=31 + int(isolated))
    assert np.array_equal(found["first"], simulated.first)
    assert np.array_equal(found["final"], simulated.final)
    assert np.array_equal(found["looks"], simulated.looks)
    flagged = np.isin(found["final"], (st.REGRESSED, st.IMPROVED))
    null = np.ones(POINTS, dtype=bool)
    null[list(PLANTED)] = False
    alarms = int(flagged[:, null].any(axis=1).sum())
    assert sim.upper_bound(alarms, COMPARES) < 0.06, f"{alarms} false alarms in {COMPARES}"
    caught = found["final"][:, list(PLANTED)] == st.REGRESSED
    assert caught.mean() >= 0.95, f"x1.25 caught in {caught.mean():.1%}"
    # the planted points really went through the confirmation
    assert np.all(found["first"][:, list(PLANTED)][caught] == st.REGRESSED)


def test_the_fake_measure_serves_what_the_plan_asks():
    """The premise: with a noise the rule cannot decide, every point takes every look,
    and nothing is flagged, so nothing is measured again."""
    procedure = sim.Procedure()
    found, simulated = run_both(sim.Noise(process_sd=0.5, sample_scale=0.5), False, seed=5,
                                compares=5)
    undecided = found["first"] == st.INCONCLUSIVE
    assert np.all(found["looks"][undecided] == procedure.extra + 1)
    assert np.array_equal(found["looks"], simulated.looks)
