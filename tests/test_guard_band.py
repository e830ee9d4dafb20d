"""The growth model's log-free scan (``vfi.family.numba.log_free_scan_column``) takes
exactly the decisions of the scan with a logarithm per comparison, so its policy is the
brute force's first maximiser wherever that scan's was.

It compares c_{j+1} with c_j exp((w_j - w_{j+1}) / param); where the two tests are within
rounding of each other (the guard band) it takes the log test. Here: the exp it relies on
is as accurate as the band assumes; random models and starts give bitwise the same step as
the log scan; states planted at near-ties, a few ulps either side, pick the brute force's
choice; and a case built inside the band picks a different choice with the guard off.
"""
import math

import numpy as np
import pytest
from growth_strategies import models, start_values
from hypothesis import given
from hypothesis import strategies as st

import vfi.growth as growth
from vfi.family.spec import LOG, FamilySpec

pytestmark = pytest.mark.skipif("numba-brute" not in growth.variants(),
                                reason="the log-free scan is a numba kernel")

EPS = np.finfo(np.float64).eps


def family_numba():
    from vfi.family import numba

    return numba


def step(spec, v, algorithm):
    value, policy, _ = family_numba().iterate(spec, v, 1, algorithm)
    return value, policy


def test_exp_is_within_the_error_the_band_assumes():
    x = np.concatenate([np.linspace(-family_numba().EXP_CAP, family_numba().EXP_CAP, 100_001),
                        np.random.default_rng(0).normal(scale=2.0, size=100_000),
                        np.linspace(-1e-3, 1e-3, 1001)])
    out = np.empty_like(x)
    family_numba().exp_array(x, out)
    reference = np.array([math.exp(t) for t in x])  # glibc: within one ulp
    worst = float(np.max(np.abs(out / reference - 1.0))) / EPS
    assert worst <= family_numba().EXP_ERROR_EPS - 1.0


@given(data=st.data())
def test_log_free_step_is_the_log_scan_bit_for_bit(data):
    model = data.draw(models(), label="model")
    v = data.draw(start_values(model), label="v0")
    steps = data.draw(st.integers(0, 5), label="steps before")
    v = growth.iterate(model, steps, variant="numba-brute", v0=v)
    value, policy = step(model.spec, v, family_numba().MONOTONE)
    reference, ref_policy = step(model.spec, v, family_numba().MONOTONE_LOGS)
    np.testing.assert_array_equal(policy, ref_policy)
    np.testing.assert_array_equal(value, reference)


def tie_resource(k0, k1, w0, w1, param):
    """r with param log(r - k0) + w0 = param log(r - k1) + w1 (in real arithmetic)."""
    e = math.exp((w1 - w0) / param)
    return (e * k1 - k0) / (e - 1.0)


def nudged(x, ulps):
    for _ in range(abs(ulps)):
        x = np.nextafter(x, np.inf if ulps > 0 else -np.inf)
    return float(x)


@st.composite
def near_ties(draw):
    """A log model with P = I and beta = 1/2 (w = v / 2 exactly), v concave and increasing,
    and in each column one state whose resources make choices j and j + 1 tie in real
    arithmetic, moved by a few ulps: the float64 objectives are within rounding."""
    n = draw(st.integers(3, 60), label="n")
    m = draw(st.integers(1, 3), label="m")
    param = draw(st.floats(0.01, 1.0), label="param")
    steps = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=n - 1, max_size=n - 1)))
    k = 0.1 + np.concatenate([[0.0], np.cumsum(steps)]) / steps.sum()
    v = np.empty((n, m))
    r = np.empty((n, m))
    for s in range(m):
        scale = draw(st.floats(0.05, 3.0), label="slope scale")
        v[:, s] = 2.0 * scale * param * np.log(k + draw(st.floats(0.05, 2.0)))
        w = v[:, s] / 2.0
        j = draw(st.integers(0, n - 2), label="tied choice")
        tie = nudged(tie_resource(k[j], k[j + 1], w[j], w[j + 1], param),
                     draw(st.integers(-40, 40), label="ulps"))
        low = k[0] + draw(st.floats(1e-3, 0.5)) * (tie - k[0])
        r[:, s] = np.sort(np.concatenate([np.linspace(low, 2.0 * tie, n - 1), [tie]]))
    return FamilySpec(k, r, np.eye(m), 0.5, LOG, param), v


@given(case=near_ties())
def test_near_ties_pick_the_brute_force_first_maximiser(case):
    spec, v = case
    value, policy = step(spec, v, family_numba().MONOTONE)
    reference, ref_policy = step(spec, v, family_numba().BRUTE)
    np.testing.assert_array_equal(policy, ref_policy)
    np.testing.assert_array_equal(value, reference)
    np.testing.assert_array_equal(policy, step(spec, v, family_numba().MONOTONE_LOGS)[1])


def two_choice_case(ri, param=0.05, k=(0.2, 0.21), w=(0.0, 0.02)):
    """Choices k0 < k1 at one state (resources ri) after a state that can only take k0."""
    k = np.array(k)
    spec = FamilySpec(k, np.array([[k[0] + 1e-3], [ri]]), np.eye(1), 0.5, LOG, param)
    return spec, 2.0 * np.array(w)[:, None]


def scan_policy(spec, v, guard):
    """The log-free scan's choice at the second state, and how many log tests it took."""
    out, policy = np.empty((2, 1)), np.zeros((2, 1), dtype=np.int64)
    w = np.ascontiguousarray(v[:, 0] / 2.0)
    tests = family_numba().log_free_scan_column(spec.choices, spec.resources, w, 0, spec.param, out,
                                       policy, guard)
    return int(policy[1, 0]), tests


def test_a_case_inside_the_band_needs_the_guard():
    """Resources swept ulp by ulp across a tie: without the guard the multiply test
    disagrees with the log test at some of them; with it the scan is the brute force."""
    tie = tie_resource(0.2, 0.21, 0.0, 0.02, 0.05)
    unguarded_wrong = 0
    for ulps in range(-300, 301):
        spec, v = two_choice_case(nudged(tie, ulps))
        expected = int(step(spec, v, family_numba().BRUTE)[1][1, 0])
        guarded, tests = scan_policy(spec, v, family_numba().GUARD)
        assert guarded == expected, f"{ulps} ulps from the tie"
        assert int(step(spec, v, family_numba().MONOTONE)[1][1, 0]) == expected
        unguarded, _ = scan_policy(spec, v, 0.0)
        if unguarded != expected:
            unguarded_wrong += 1
            assert tests > 0, "a disagreement outside the band the guard covers"
    assert unguarded_wrong > 0


def test_far_from_a_tie_no_log_test_is_taken():
    tie = tie_resource(0.2, 0.21, 0.0, 0.02, 0.05)
    for ri in (0.9 * tie, 1.1 * tie):
        spec, v = two_choice_case(ri)
        assert scan_policy(spec, v, family_numba().GUARD)[1] == 0


def test_other_utilities_keep_the_log_scan():
    """The log-free scan is for u = param log c: a CRRA model's step is MONOTONE_LOGS's."""
    import vfi.savings as savings

    model = savings.quantecon(w_max=10, y_size=12)
    v = savings.iterate(model, 3, variant="numba-brute")
    value, policy = step(model.spec, v, family_numba().MONOTONE)
    reference, ref_policy = step(model.spec, v, family_numba().MONOTONE_LOGS)
    np.testing.assert_array_equal(policy, ref_policy)
    np.testing.assert_array_equal(value, reference)
