"""The registry: names, lookup errors, and availability reasons."""
import pytest

from vfi import registry


def test_names_are_backend_algorithm_and_unique():
    for problem in registry.problems():
        names = registry.variants(problem, include_unavailable=True)
        assert len(names) == len(set(names))
        for name in names:
            variant = registry.get_variant(problem, name)
            assert f"{variant.backend}-{variant.algorithm}" == name


def test_register_refuses_bad_and_duplicate_names():
    with pytest.raises(ValueError, match="backend-algorithm"):
        registry.register("cake", "numpy", "vfi.cake.numpy:iterate_masked")
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("cake", "numpy-masked", "vfi.cake.numpy:iterate_masked")


def test_missing_dependency_is_reported_not_raised():
    variant = registry.Variant("cake", "fake-thing", "vfi.cake.numpy:iterate_masked",
                               requires=("a_module_that_does_not_exist_anywhere",))
    assert not variant.available
    assert "a_module_that_does_not_exist_anywhere" in variant.unavailable_reason
    with pytest.raises(registry.VariantUnavailable, match="fake-thing"):
        variant.load()


def test_lookup_unknown_name_and_wrong_type():
    with pytest.raises(ValueError, match="numpy-masked"):
        registry.lookup("cake", "nope-nope")
    with pytest.raises(ValueError, match="variant must be one of"):
        registry.lookup("cake", 42)
