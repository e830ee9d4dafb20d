"""The member contract (vfi.member): every registered member exposes the same functions
with the same signatures and defaults, and its model the same attributes."""
import importlib
import inspect
import sys

import numpy as np
import pytest

import vfi
from vfi import registry
from vfi.member import API

MEMBERS = registry.members()

#: The parameters every member's functions share, in order (members may add keywords
#: after them, as the family's solve adds warm_start and exact_policy).
COMMON = {
    "iterate": ["model", "num_iter", "variant", "v0", "return_policy"],
    "bellman": ["model", "v", "variant"],
    "solve": ["model", "tol", "method", "variant", "max_iter", "v0", "sweeps"],
}


def parameters(member, function):
    return inspect.signature(getattr(member, function)).parameters


def test_the_three_members_are_registered():
    assert {"cake", "growth", "savings"} <= {member.name for member in MEMBERS}


@pytest.mark.parametrize("function", sorted(COMMON))
def test_signatures_and_defaults_agree_over_the_members(function):
    """One test over the registry's members: same names, kinds and defaults, except the
    defaults a member lists in ``differences``, each said in its docstring."""
    first = MEMBERS[0]
    for member in MEMBERS:
        params = parameters(member, function)
        assert list(params)[:len(COMMON[function])] == COMMON[function], (member, function)
        for name in COMMON[function]:
            mine, theirs = params[name], parameters(first, function)[name]
            assert mine.kind == theirs.kind, (member, function, name)
            if name == "model" or name in ("num_iter", "v"):
                assert mine.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
            else:
                assert mine.kind is inspect.Parameter.KEYWORD_ONLY, (member, function, name)
            key = f"{function}.{name}"
            if key in member.differences or key in first.differences:
                continue
            assert mine.default == theirs.default, (member, function, name)


def test_every_difference_is_said_in_the_docstring():
    for member in MEMBERS:
        for key, why in member.differences.items():
            function, name = key.split(".")
            assert why
            doc = inspect.getdoc(getattr(member, function))
            default = parameters(member, function)[name].default
            said = repr(default) if default is not None else why.split(":")[0]
            assert said.strip("'") in doc, (member, key)


def test_the_api_is_bound_by_name_in_the_members_module():
    for member in MEMBERS:
        module = sys.modules.get(f"vfi.{member.name}")
        if module is None:
            continue
        for function in API:
            bound = getattr(module, function)
            assert bound == getattr(member, function), (member, function)


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: m.name)
def test_the_model_has_the_contracts_attributes(member):
    for name, param in inspect.signature(member.case).parameters.items():
        assert param.default is not inspect.Parameter.empty, (member, name)
    try:
        model = member.case(n=member.timing[0])
    except ImportError as exc:
        pytest.skip(f"{member.name}'s case needs an optional package: {exc}")
    assert isinstance(model, member.model_type)
    assert model.n == member.timing[0] and model.shape[0] == model.n
    assert model.spec.choices is model.grid or np.array_equal(model.spec.choices, model.grid)
    coarse = model.with_grid(model.grid[::2])
    assert coarse.n == len(model.grid[::2]) and type(coarse) is type(model)
    assert model.initial_value().shape == model.shape
    assert member.default_variant() in member.variants()
    assert member.reference in registry.variants(member.name, include_unavailable=True)
    value = member.iterate(model, 2, variant=member.reference)
    assert value.shape == model.shape and value.dtype == np.float64
    with pytest.raises(ValueError, match="grid must be strictly increasing"):
        model.with_grid(model.grid[::-1])


def test_cake_eating_refuses_a_decreasing_grid():
    with pytest.raises(ValueError, match="grid must be strictly increasing"):
        vfi.CakeEating(np.linspace(1, 0.1, 40), 0.9)


def test_members_are_found_by_name():
    assert registry.member("cake") is vfi.CAKE
    with pytest.raises(ValueError, match="did you mean 'growth'"):
        registry.member("grwth")


def test_the_notebook_front_is_the_cake_member():
    grid = np.linspace(0.1, 1, 100)
    model = vfi.CakeEating(grid, 0.95)
    np.testing.assert_array_equal(vfi.iterate(grid, 0.95, 100), vfi.cake.iterate(model, 100))
    assert importlib.import_module("vfi.cake").solve(model).converged
