"""On-disk compilation caches for the JIT backends, that can never serve stale code.

Compiling the Numba kernels costs seconds per process (3 s for ``numba-concave``'s first
call, 6 s for the growth model's), which every benchmark process, test worker and
command-line call used to pay again. Both JIT backends keep their compiled code on disk:

- **Numba**: every kernel is decorated with :func:`njit`, which is ``numba.njit`` with
  ``cache=True``. Numba's own invalidation looks only at the decorated function's file,
  so an edit to a helper in another module (``cake/numba_parallel.py`` calls
  ``family/numba.py``'s ``divide``) would go unseen. Here each module's kernels are kept
  in a folder named after a digest of that module *and every module of the package it
  imports, transitively* (:func:`module_digest`; the locator is
  :class:`vfi.numba_locator.ModuleCacheLocator`, given to Numba through
  ``numba.config.CACHE_LOCATOR_CLASSES``): an edit recompiles only the kernels whose
  code can see it, and two installs of the same code at different paths (the two asv
  environments of a compare, given one ``VFI_CACHE_DIR``) share every entry. The digest
  reads each module's tokens without comments or blank lines, so a comment-only change
  keeps the folder. A Numba without ``CACHE_LOCATOR_CLASSES`` falls back to one folder
  per digest of the *whole* package (:func:`digest_of`), with the installed files'
  timestamps set from their contents (:func:`stamp_installed`) so that a reinstall of the
  same code keeps its entries. Numba also keys each entry on its own version, the Python
  version and the CPU, so a shared or copied cache is not misused.
- **JAX**: the persistent compilation cache (``jax_compilation_cache_dir``). Its key is
  the compiled computation itself (with the jax, jaxlib and backend versions), so a
  changed kernel is a different key by construction.

Where the caches live: ``$VFI_CACHE_DIR`` when set; else ``<sys.prefix>/.vfi-cache``
(one per environment: asv's, ``.venv``) when that is writable; else
``~/.cache/vfi/<hash of sys.prefix>``. ``VFI_JIT_CACHE=0`` turns both caches off (the
compile-cost benchmarks measure a cold compile that way).

Example
-------
>>> from vfi.compile_cache import cache_root, source_digest
>>> len(source_digest())
16
"""
from __future__ import annotations

import ast
import functools
import hashlib
import io
import os
import shutil
import sys
import tokenize
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: Digest folders kept per environment: older ones (other commits' sources) are pruned.
KEEP_DIGESTS = 32
_OFF = ("0", "off", "false", "no")


def enabled() -> bool:
    """False when ``VFI_JIT_CACHE`` turns the on-disk caches off."""
    return os.environ.get("VFI_JIT_CACHE", "1").strip().lower() not in _OFF


_NOT_CODE = (tokenize.COMMENT, tokenize.NL)


def code_tokens(source: bytes) -> bytes:
    r"""The tokens of a module's source, without comments and blank lines, as bytes (the
    raw source when it does not tokenize).

    Examples
    --------
    >>> code_tokens(b"x = 1  # one\n") == code_tokens(b"x = 1\n\n# a note\n")
    True
    >>> code_tokens(b"x = 1\n") == code_tokens(b"x = 2\n")
    False
    """
    try:
        tokens = [(t.type, t.string) for t in tokenize.tokenize(io.BytesIO(source).readline)
                  if t.type not in _NOT_CODE]
    except (tokenize.TokenError, SyntaxError):
        return source
    return repr(tokens).encode()


def digest_of(package: Path) -> str:
    """16 hex digits of SHA-256 over the code of every ``.py`` file under ``package``
    (paths and :func:`code_tokens`)."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(code_tokens(path.read_bytes()) + b"\0")
    return digest.hexdigest()[:16]


def module_file(parts: tuple[str, ...], root: Path) -> Path | None:
    """The source file of module ``parts`` (``("vfi", "cake", "numba")``) under ``root``
    (the folder that holds the package), or None when there is none."""
    base = root.joinpath(*parts)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def imported_modules(path: Path, root: Path) -> set[Path]:
    """The files of the package's modules that the module at ``path`` imports, anywhere
    in its code (functions included): ``from P import n`` names module ``P.n`` when there
    is one, else ``P`` itself; ``import P.Q`` names ``P.Q``; modules outside the package
    (the top folder of ``path`` under ``root``) are left out."""
    here = path.relative_to(root).with_suffix("").parts
    package, top = here[:-1], here[0]
    try:
        tree = ast.parse(path.read_bytes())
    except SyntaxError:
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            wanted = [tuple(alias.name.split(".")) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = tuple(node.module.split(".")) if node.module else ()
            if node.level:
                base = package[:len(package) - node.level + 1] + base
            wanted = [base + (alias.name,) if module_file(base + (alias.name,), root)
                      else base for alias in node.names]
        else:
            continue
        found |= {f for parts in wanted if parts and parts[0] == top
                  and (f := module_file(parts, root)) is not None}
    return found


def dependencies(path: Path, root: Path) -> list[Path]:
    """``path`` and every module of its package it imports, transitively, sorted."""
    seen, todo = {path}, [path]
    while todo:
        for found in imported_modules(todo.pop(), root) - seen:
            seen.add(found)
            todo.append(found)
    return sorted(seen)


@functools.cache
def module_digest(path: Path, root: Path = PACKAGE_DIR.parent) -> str:
    """16 hex digits of SHA-256 over the code (:func:`code_tokens`) of the module at
    ``path`` (a file of the package under ``root``) and of :func:`dependencies`: what its
    compiled kernels can depend on, computed once per process."""
    digest = hashlib.sha256()
    for found in dependencies(path, root):
        digest.update(found.relative_to(root).as_posix().encode() + b"\0")
        digest.update(code_tokens(found.read_bytes()) + b"\0")
    return digest.hexdigest()[:16]


def module_cache_folder(py_file: str) -> Path | None:
    """Where the kernels of this package's module ``py_file`` are cached (the module's
    dotted name, then :func:`module_digest`), older digests of it pruned; None for a file
    outside the package or when caching is off."""
    path = Path(py_file).resolve()
    if not enabled() or not path.is_relative_to(PACKAGE_DIR):
        return None
    name = ".".join(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    folder = cache_root() / "numba-modules" / name / module_digest(path)
    if not _writable(folder):
        return None
    os.utime(folder)  # most recently used: survives pruning
    _prune(folder.parent, folder.name)
    return folder


@functools.cache
def source_digest() -> str:
    """The digest of this installed ``vfi`` package (computed once per process)."""
    return digest_of(PACKAGE_DIR)


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


@functools.cache
def cache_root() -> Path:
    """The folder that holds this environment's caches (created on first use)."""
    if os.environ.get("VFI_CACHE_DIR"):
        return Path(os.environ["VFI_CACHE_DIR"]).expanduser()
    in_env = Path(sys.prefix) / ".vfi-cache"
    if _writable(in_env):
        return in_env
    key = hashlib.sha256(sys.prefix.encode()).hexdigest()[:12]
    return Path.home() / ".cache" / "vfi" / key


def _prune(parent: Path, keep: str) -> None:
    """Remove all but the KEEP_DIGESTS most recently used digest folders under ``parent``."""
    try:
        folders = sorted((p for p in parent.iterdir() if p.is_dir() and p.name != keep),
                         key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for stale in folders[KEEP_DIGESTS - 1:]:
        shutil.rmtree(stale, ignore_errors=True)


def content_stamp(data: bytes) -> int:
    """A modification time (seconds, in 2001-2033) that changes when ``data`` changes."""
    return 10**9 + int.from_bytes(hashlib.sha256(data).digest()[:4], "big") % 10**9


def stamp_installed(package: Path = PACKAGE_DIR) -> int:
    """Give every ``.py`` file of an installed (site-packages) copy of the package the
    modification time :func:`content_stamp` of its bytes; the number of files changed.

    Numba trusts a cache entry while its source file keeps its timestamp and size; an
    installer writes files with the time of the install, so each reinstall of unchanged
    code would recompile everything. An editable checkout (not under site-packages) is
    left alone: its timestamps belong to its developer.
    """
    if "site-packages" not in package.parts:
        return 0
    changed = 0
    for path in package.rglob("*.py"):
        stamp = content_stamp(path.read_bytes())
        try:
            if int(path.stat().st_mtime) != stamp:
                os.utime(path, (stamp, stamp))
                changed += 1
        except OSError:  # a read-only install keeps the installer's times
            return changed
    return changed


#: Numba's cache locator for this package's modules (:func:`module_cache_folder`).
LOCATOR = "vfi.numba_locator.ModuleCacheLocator"


@functools.cache
def numba_cache_dir() -> Path | None:
    """Turn on this package's Numba cache: with a Numba that takes cache locators, the
    per-module folders under ``<cache_root>/numba-modules`` (:data:`LOCATOR` put first);
    else one folder for this source digest of the whole package, as
    ``numba.config.CACHE_DIR``. None when caching is off."""
    if not enabled():
        return None
    import numba

    if hasattr(numba.config, "CACHE_LOCATOR_CLASSES"):
        folder = cache_root() / "numba-modules"
        if not _writable(folder):
            return None
        _put_locator_first(numba)
        return folder
    folder = cache_root() / "numba" / source_digest()
    if not _writable(folder):
        return None
    stamp_installed()
    os.utime(folder)  # most recently used: survives pruning
    _prune(folder.parent, folder.name)
    numba.config.CACHE_DIR = str(folder)
    return folder


def _put_locator_first(numba) -> None:
    """:data:`LOCATOR` before Numba's own locators, which still serve every function
    defined outside this package (they return None for ours only when it does)."""
    from numba.core import caching

    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # renamed in 0.6x
    current = numba.config.CACHE_LOCATOR_CLASSES or ",".join(
        f"{cls.__module__}.{cls.__qualname__}" for cls in impl._locator_classes)
    if LOCATOR not in current.split(","):
        numba.config.CACHE_LOCATOR_CLASSES = f"{LOCATOR},{current}"


def njit(*args, **options):
    """``numba.njit`` with the on-disk cache of this source digest (see module docstring).

    Used exactly like ``numba.njit``: ``@njit`` or ``@njit(parallel=True)``. Kernels
    release the GIL (``nogil=True``) unless told otherwise: they keep no state, so threaded
    callers (Dask, a thread pool) run them in parallel.
    """
    import numba

    use_cache = numba_cache_dir() is not None
    options.setdefault("cache", use_cache)
    options.setdefault("nogil", True)
    if args and callable(args[0]):
        return numba.njit(**options)(args[0])
    return numba.njit(*args, **options)


@functools.cache
def configure_jax() -> Path | None:
    """Turn on JAX's persistent compilation cache for this environment (once)."""
    if not enabled():
        return None
    import jax

    folder = cache_root() / "jax"
    if not _writable(folder):
        return None
    jax.config.update("jax_compilation_cache_dir", str(folder))
    # Every compile is worth keeping: the kernels here compile in 0.1-1 s.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return folder
