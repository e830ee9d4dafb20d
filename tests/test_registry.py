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


def test_every_kernel_has_its_problems_declared_signature():
    """Kernel signatures are stated once (registry.CakeKernel, registry.FamilyKernel)."""
    import vfi  # noqa: F401  (registers every problem)

    assert {"cake", "growth", "savings"} <= set(registry.problems())
    for problem in registry.problems():
        protocol = registry.kernel_protocol(problem)
        for name in registry.variants(problem):
            kernel = registry.lookup(problem, name)
            assert registry.signature_matches(problem, kernel), \
                f"{problem} {name}: {kernel.__name__} does not match {protocol.__name__}"


def test_signature_check_can_fail():
    def wrong(grid, v, num_iter):
        return v, v

    assert not registry.signature_matches("cake", wrong)
    assert not registry.signature_matches("growth", wrong)


def test_alias_names_the_renamed_variant():
    import vfi.growth  # noqa: F401

    assert registry.lookup("growth", "jax-vmap") is registry.lookup("growth", "jax-blocked") \
        or "jax-blocked" not in registry.variants("growth")
    assert "jax-vmap" not in registry.variants("growth", include_unavailable=True)
    with pytest.raises(ValueError, match="variant must be one of"):
        registry.alias("growth", "old-name", "no-such-variant")
