"""Agreement, Bellman, stopping and bad-input tests, once, over the member table
(``tests/members.py``): a new member is tested here with no new test."""
import numpy as np
import pytest
from helpers import assert_family_policies_agree, assert_values_agree
from members import rows

from vfi import registry


def start(model, seed=0):
    """A start that is not the default one: the default plus a smooth bump."""
    rng = np.random.default_rng(seed)
    return model.initial_value() + 0.1 * rng.random(model.shape)


@rows()
def test_every_variant_agrees_with_the_reference(row):
    member, model = row.member, row.model()
    v0 = start(model)
    reference, chosen = member.iterate(model, 5, variant=member.reference, v0=v0,
                                       return_policy=True)
    before = member.iterate(model, 4, variant=member.reference, v0=v0)
    for variant in member.variants():
        value, policy = member.iterate(model, 5, variant=variant, v0=v0, return_policy=True)
        assert_values_agree(value, reference, rtol=row.rtol)
        assert_family_policies_agree(policy, chosen, model, before, rtol=row.rtol)


@rows()
def test_the_bellman_operator_is_monotone_shifts_constants_and_contracts(row):
    member, model = row.member, row.model()
    v, w = start(model, 1), start(model, 2)
    low = np.minimum(v, w)
    tv, _ = member.bellman(model, v)
    tw, _ = member.bellman(model, w)
    tlow, _ = member.bellman(model, low)
    scale = max(1.0, float(np.max(np.abs(tv))))
    slack = 1e-12 * scale
    assert np.all(tlow <= np.minimum(tv, tw) + slack)
    shifted, _ = member.bellman(model, v + 1.0)
    assert_values_agree(shifted, tv + model.beta, rtol=1e-12)
    assert np.max(np.abs(tv - tw)) <= model.beta * np.max(np.abs(v - w)) + slack


@rows()
def test_every_method_stops_within_its_guaranteed_bound(row):
    member, model = row.member, row.model()
    exact = member.solve(model, tol=1e-11, method="howard")
    for method in member.methods:
        if method == "exact":
            continue  # cake eating's one merge: tests/test_maxplus.py
        result = member.solve(model, tol=1e-6, method=method)
        assert result.converged and result.error_bound <= 1e-6, method
        distance = float(np.max(np.abs(result.value - exact.value)))
        assert distance <= result.error_bound + exact.error_bound + 1e-12, method


@rows()
@pytest.mark.parametrize("call, error, message", [
    (lambda m, model: m.iterate(model, -1), ValueError, "num_iter must be >= 0"),
    (lambda m, model: m.iterate(model, 1.5), TypeError, "num_iter must be an integer"),
    (lambda m, model: m.iterate(model, 0, return_policy=True), ValueError, "return_policy"),
    (lambda m, model: m.iterate(model, 1, variant="fortran-magic"), ValueError,
     "variant must be one of"),
    (lambda m, model: m.iterate(model, 1, v0=np.zeros(3)), ValueError, "v0 must have shape"),
    (lambda m, model: m.bellman(model, np.full(model.shape, np.nan)), ValueError,
     "v0 must be finite"),
    (lambda m, model: m.solve(model, tol=-1.0), ValueError, "tol must be positive"),
    (lambda m, model: m.solve(model, method="newton"), ValueError, "method must be one of"),
    (lambda m, model: m.solve(model, max_iter=0), ValueError, "max_iter must be >= 1"),
    (lambda m, model: m.iterate("a grid", 1), TypeError, "model must be a"),
    (lambda m, model: model.with_grid(model.grid[::-1]), ValueError,
     "grid must be strictly increasing"),
])
def test_bad_input_names_the_parameter_and_the_rule(row, call, error, message):
    model = row.model()
    with pytest.raises(error, match=message):
        call(row.member, model)


@rows()
def test_every_member_names_its_reference_and_default(row):
    member = row.member
    assert member.reference in registry.variants(member.name, include_unavailable=True)
    assert member.default_variant() in member.variants()
    assert set(member.variants()).isdisjoint(member.unavailable_variants())
