"""numba and jax are optional: without them `import vfi` works and the variants say why not."""
import json
import subprocess
import sys
import textwrap

import pytest

import vfi
from vfi import registry

SCRIPT = textwrap.dedent("""
    import json
    import sys
    for name in {blocked!r}:
        sys.modules[name] = None  # makes `import name` raise ImportError, as if not installed
    import numpy as np
    import vfi
    names = vfi.variants()
    missing = vfi.unavailable_variants()
    assert "numpy-masked" in names and "python-loops" in names, names
    for name, reason in missing.items():
        assert name not in names
    for blocked in {blocked!r}:
        assert any(blocked in reason for reason in missing.values()), missing
    for name in missing:
        try:
            vfi.iterate(np.linspace(0.1, 1, 5), 0.9, 2, variant=name)
        except vfi.VariantUnavailable as exc:
            assert "unavailable" in str(exc) and name in str(exc)
        else:
            raise AssertionError(name + " ran without its dependency")
    print(json.dumps(sorted(missing)))
""")


@pytest.mark.parametrize("blocked", [("numba",), ("jax",), ("numba", "jax")])
def test_import_and_listing_without_optional_dependency(blocked):
    result = subprocess.run([sys.executable, "-c", SCRIPT.format(blocked=blocked)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    expected = sorted(name for name in registry.variants("cake", include_unavailable=True)
                      if set(registry.get_variant("cake", name).requires) & set(blocked))
    assert listed == expected


def test_import_vfi_does_not_import_numba_or_jax():
    code = "import sys, vfi; print('numba' in sys.modules, 'jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_unavailable_reason_is_none_for_runnable_variants():
    for name in vfi.variants():
        assert registry.get_variant("cake", name).unavailable_reason is None
