"""The documentation runs: the Python blocks of the README and of
``docs/fourth-member.md``, executed as written, in order, in one namespace (as a reader
pasting them would), and the worked fourth member linted with the project's own ruff
rules and checked against the brute force.

A block preceded by ``<!-- not run by tests/test_docs.py: WHY -->`` is left out, and
WHY must name the test that runs it instead. The doctests of ``vfi`` and ``vfi_bench``
run in ``make test`` too (``--doctest-modules`` in pyproject.toml).
"""
import contextlib
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(<!-- not run by tests/test_docs.py: (?P<why>.*?) -->\n)?"
                   r"```python\n(?P<code>.*?)```", re.S)


#: The pages whose Python blocks run, in this order, in one namespace.
PAGES = ("README.md", "docs/fourth-member.md")


def blocks():
    """``[(code, why_not_run or None)]`` of :data:`PAGES`, in order."""
    text = "\n".join((REPO / page).read_text() for page in PAGES)
    return [(m["code"], m["why"]) for m in BLOCK.finditer(text)]


def test_every_block_runs_or_says_which_test_runs_it():
    assert len(blocks()) >= 5
    for _, why in blocks():
        if why is not None:
            named = re.findall(r"tests/\w+\.py", why)
            assert named and all((REPO / n).is_file() for n in named), why


@contextlib.contextmanager
def registry_without(problem):
    """The registry with ``problem``'s variants and member set aside, restored after: the
    page's fourth member registers "wages", which a real ``vfi/wages/__init__.py``
    (someone following the page) has registered already."""
    from vfi import registry

    tables = {"_REGISTRY": registry._REGISTRY, "_ALIASES": registry._ALIASES,
              "_LOADED": registry._LOADED, "_MEMBERS": registry._MEMBERS}
    saved = {name: dict(table) for name, table in tables.items()}
    for table in tables.values():
        for key in [k for k in table if problem in (k, k[0] if isinstance(k, tuple) else k)]:
            del table[key]
    try:
        yield
    finally:
        for name, table in tables.items():
            table.clear()
            table.update(saved[name])


@pytest.fixture(scope="module")
def namespace():
    """Every runnable block executed in order; the namespace they leave."""
    scope = {"__name__": "readme"}
    with registry_without("wages"):
        for code, why in blocks():
            if why is None:
                exec(compile(code, "README.md", "exec"), scope)
        yield scope


def test_readme_blocks_run(namespace):
    assert "wages" in __import__("vfi").registry.problems()
    assert namespace["result"].converged  # the last solve of the page (savings)


def test_the_fourth_member_passes_the_projects_lint(tmp_path):
    code = next(code for code, _ in blocks() if code.startswith("# vfi/wages/__init__.py"))
    module = tmp_path / "vfi" / "wages" / "__init__.py"
    module.parent.mkdir(parents=True)
    module.write_text(code)
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--config",
                           str(REPO / "pyproject.toml"), str(module)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_fourth_member_agrees_with_the_brute_force(namespace):
    wages = namespace["Wages"]
    grid = np.linspace(0.0, 4.0, 37)
    model = wages(grid, np.array([0.5, 1.0]), np.array([[0.9, 0.1], [0.2, 0.8]]), 1.02, 0.9)
    variants = namespace["variants"]()
    assert "numba-brute" in variants and len(variants) >= 4
    reference, policy = namespace["iterate"](model, 25, variant="numba-brute",
                                             return_policy=True)
    for variant in variants:
        value, chosen = namespace["iterate"](model, 25, variant=variant, return_policy=True)
        np.testing.assert_allclose(value, reference, rtol=1e-12, atol=1e-12, err_msg=variant)
        assert np.array_equal(chosen, policy), variant
    assert namespace["solve"](model, tol=1e-8).error_bound <= 1e-8
