"""The on-disk JIT caches (vfi.compile_cache) are used, and can never serve stale code.

The proof runs a copy of the package (a temporary install on ``PYTHONPATH``) in fresh
processes with a cache folder of its own: the second process loads the kernel from the
cache; after a helper in *another* module is edited (the case Numba's own timestamp
check misses: ``cake/numba_parallel.py`` calls ``family/numba.py``'s ``first_max``), the
next process compiles afresh and returns the edited kernel's value. The cache is kept per
module and what it imports: an edit the kernel cannot see keeps its entries, and a second
copy of the same code at another path (a second asv environment) loads them.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vfi import compile_cache

pytest.importorskip("numba")

REPO = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, numba, numpy as np
import vfi
from vfi.cake import numba_parallel
grid = np.linspace(0.1, 1.0, 40)
v = vfi.iterate(grid, 0.9, 1, variant="numba-parallel", v0=np.zeros(40))
hits = sum(sum(f.stats.cache_hits.values()) for f in vars(numba_parallel).values()
           if isinstance(f, numba.core.registry.CPUDispatcher))
print(json.dumps({"file": vfi.__file__, "value": v.tolist(), "hits": hits}))
"""

# In the family's first_max, the brute-force search of numba-parallel: every candidate
# gains 1.0.
ORIGINAL = "        candidate = _utility(ri - k[j], kind, param) + w[j]\n"
EDITED = ORIGINAL.replace("w[j]\n", "w[j] + 1.0\n")


def run_copy(site: Path, cache: Path, **env):
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=600, cwd=site,
                          env=dict(os.environ, PYTHONPATH=str(site), VFI_CACHE_DIR=str(cache),
                                   **env))
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(report["file"]).resolve().is_relative_to(site.resolve()), report["file"]
    return np.array(report["value"]), report["hits"]


@pytest.fixture
def temporary_install(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(REPO / "vfi", site / "vfi",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return site, tmp_path / "cache"


def test_cache_is_used_then_a_source_edit_elsewhere_recompiles(temporary_install):
    site, cache = temporary_install
    first, hits = run_copy(site, cache)
    assert hits == 0  # an empty cache: compiled here, and written
    assert any((cache / "numba-modules").rglob("*.nbi")), "numba wrote no cache index"
    again, hits = run_copy(site, cache)
    assert hits > 0, "the second process compiled again instead of loading the cache"
    np.testing.assert_array_equal(again, first)

    helper = site / "vfi" / "family" / "numba.py"
    kernel_file = site / "vfi" / "cake" / "numba_parallel.py"
    kernel_stamp = kernel_file.stat().st_mtime_ns
    text = helper.read_text()
    assert text.count(ORIGINAL) == 1, "the edit below no longer matches vfi/family/numba.py"
    helper.write_text(text.replace(ORIGINAL, EDITED))
    assert kernel_file.stat().st_mtime_ns == kernel_stamp  # numba's own check sees nothing

    edited, hits = run_copy(site, cache)
    assert hits == 0, "a kernel was loaded from the cache of the old source"
    np.testing.assert_allclose(edited, first + 1.0, rtol=0, atol=1e-12)


def test_cache_off_compiles_every_time(temporary_install):
    site, cache = temporary_install
    for _ in range(2):
        _, hits = run_copy(site, cache, VFI_JIT_CACHE="0")
        assert hits == 0
    assert not (cache / "numba").exists()
    assert not (cache / "numba-modules").exists()


def test_a_second_install_of_the_same_code_loads_the_first_ones_kernels(temporary_install):
    site, cache = temporary_install
    first, hits = run_copy(site, cache)
    assert hits == 0
    other = site.parent / "other-env" / "site"
    shutil.copytree(site / "vfi", other / "vfi", ignore=shutil.ignore_patterns("__pycache__"))
    again, hits = run_copy(other, cache)
    assert hits > 0, "the same code at another path compiled again"
    np.testing.assert_array_equal(again, first)


def append_to_an_unimported_module(vfi_root: Path) -> None:
    unrelated = vfi_root / "cake" / "maxplus.py"  # numba_parallel does not import it
    unrelated.write_text(unrelated.read_text() + "\n_edited = 1\n")


def comment_lines_above_the_kernels(vfi_root: Path) -> None:
    for module in ("cake/numba_parallel.py", "family/numba.py"):
        path = vfi_root / module
        path.write_text("# a comment\n\n# and another\n" + path.read_text())


@pytest.mark.parametrize("edit", [append_to_an_unimported_module,
                                  comment_lines_above_the_kernels])
def test_an_edit_the_kernel_cannot_see_keeps_its_cache(temporary_install, edit):
    site, cache = temporary_install
    first, _ = run_copy(site, cache)
    edit(site / "vfi")
    again, hits = run_copy(site, cache)
    assert hits > 0, f"{edit.__name__} recompiled the kernel"
    np.testing.assert_array_equal(again, first)


def make_package(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_dependencies_follow_every_import_form_within_the_package(tmp_path):
    make_package(tmp_path, {
        "pkg/__init__.py": "from pkg.sub import kernel\n",
        "pkg/sub/__init__.py": "VALUE = 1\n",
        "pkg/sub/kernel.py": "from . import helper\nfrom .rules import RULE\n"
                             "from pkg.sub import VALUE\nimport numpy\n",
        "pkg/sub/helper.py": "def f():\n    import pkg.far\n",
        "pkg/sub/rules.py": "RULE = 2\n",
        "pkg/far.py": "",
        "pkg/unrelated.py": "from pkg.sub import kernel\n",
    })
    found = compile_cache.dependencies(tmp_path / "pkg/sub/kernel.py", tmp_path)
    names = sorted(p.relative_to(tmp_path).as_posix() for p in found)
    assert names == ["pkg/far.py", "pkg/sub/__init__.py", "pkg/sub/helper.py",
                     "pkg/sub/kernel.py", "pkg/sub/rules.py"]


def test_module_digest_sees_the_kernels_imports_and_not_the_rest(tmp_path):
    package = tmp_path / "vfi"
    shutil.copytree(REPO / "vfi", package, ignore=shutil.ignore_patterns("__pycache__"))
    kernel = package / "cake" / "numba_parallel.py"
    closure = compile_cache.dependencies(kernel, tmp_path)
    assert package / "family" / "numba.py" in closure
    assert package / "cake" / "maxplus.py" not in closure

    def digest():
        compile_cache.module_digest.cache_clear()
        return compile_cache.module_digest.__wrapped__(kernel, root=tmp_path)
    before = digest()
    for path in sorted(package.rglob("*.py")):
        text = path.read_text()
        path.write_text(text + "\n_edited = 1\n")
        assert (digest() != before) == (path in closure), path
        path.write_text(text + "\n# a comment, no code\n")
        assert digest() == before, path
        path.write_text(text)


def test_digest_covers_every_source_file(tmp_path):
    package = tmp_path / "vfi"
    shutil.copytree(REPO / "vfi", package, ignore=shutil.ignore_patterns("__pycache__"))
    before = compile_cache.digest_of(package)
    assert before == compile_cache.digest_of(REPO / "vfi")
    for path in sorted(package.rglob("*.py")):
        text = path.read_text()
        path.write_text(text + "\n_edited = 1\n")  # a change of code: a new digest
        assert compile_cache.digest_of(package) != before, path
        path.write_text(text + "\n# a comment, no code\n")  # keeps the compiled code
        assert compile_cache.digest_of(package) == before, path
        path.write_text(text)
    assert compile_cache.digest_of(package) == before


def test_installed_copies_get_content_stamps(tmp_path):
    """A reinstall of unchanged code keeps Numba's cache: the files' timestamps follow
    their bytes; an editable checkout (not under site-packages) is left alone."""
    installed = tmp_path / "lib" / "site-packages" / "vfi"
    shutil.copytree(REPO / "vfi", installed, ignore=shutil.ignore_patterns("__pycache__"))
    assert compile_cache.stamp_installed(installed) > 0
    module = installed / "registry.py"
    stamp = int(module.stat().st_mtime)
    assert stamp == compile_cache.content_stamp(module.read_bytes())
    module.write_text(module.read_text() + "\n# edited\n")  # as a reinstall would write it
    compile_cache.stamp_installed(installed)
    assert int(module.stat().st_mtime) != stamp  # new bytes, new stamp
    checkout = tmp_path / "checkout" / "vfi"
    shutil.copytree(REPO / "vfi", checkout, ignore=shutil.ignore_patterns("__pycache__"))
    assert compile_cache.stamp_installed(checkout) == 0


def test_old_digest_folders_are_pruned(tmp_path):
    parent = tmp_path / "numba"
    for k in range(compile_cache.KEEP_DIGESTS + 5):
        folder = parent / f"{k:016x}"
        folder.mkdir(parents=True)
        os.utime(folder, (k, k))
    compile_cache._prune(parent, keep="current")
    kept = sorted(p.name for p in parent.iterdir())
    assert len(kept) == compile_cache.KEEP_DIGESTS - 1
    assert kept[0] == f"{5 + 1:016x}"  # the oldest ones went
