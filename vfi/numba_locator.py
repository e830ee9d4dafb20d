"""Numba's cache locator for this package: one folder per module and what it imports.

Numba finds where to cache a ``cache=True`` function by asking its locator classes in
turn (``numba.config.CACHE_LOCATOR_CLASSES``); :func:`vfi.compile_cache.numba_cache_dir`
puts :class:`ModuleCacheLocator` first. It answers for this package's files only: their
entries go to :func:`vfi.compile_cache.module_cache_folder`, and their freshness stamp is
the module's :func:`~vfi.compile_cache.module_digest` (the code of the module and of
every module of the package it imports), not the file's timestamp, so the same code
installed at two paths shares its entries and an edit elsewhere that the kernels can see
recompiles them; each function's entries are named by its own code, not its line, so a
comment added above it (the drill's A/A commits) keeps them. Imported by Numba only
(it needs ``numba``).
"""
from __future__ import annotations

import hashlib
import inspect
import textwrap
from pathlib import Path

from numba.core import caching

from vfi import compile_cache

_CacheLocator = getattr(caching, "CacheLocator", None) or caching._CacheLocator


class ModuleCacheLocator(_CacheLocator):
    """The locator of a kernel defined in one of this package's modules."""

    def __init__(self, py_func, folder: Path, stamp: str):
        self._name = _code_name(py_func)
        self._folder = folder
        self._stamp = stamp

    def get_cache_path(self) -> str:
        return str(self._folder)

    def get_source_stamp(self) -> str:
        return self._stamp

    def get_disambiguator(self) -> str:
        return self._name

    @classmethod
    def from_function(cls, py_func, py_file):
        folder = compile_cache.module_cache_folder(py_file)
        if folder is None:
            return None
        self = cls(py_func, folder, compile_cache.module_digest(Path(py_file).resolve()))
        try:
            self.ensure_cache_path()
        except OSError:
            return None
        return self


def _code_name(py_func) -> str:
    """A digest of the function's own code tokens (Numba's locators use its line number):
    a comment or blank line added above it keeps its entries; two definitions of one name
    in a module still get their own. The line number where the source cannot be read."""
    try:
        source = textwrap.dedent(inspect.getsource(py_func)).encode()
    except (OSError, TypeError):
        return str(py_func.__code__.co_firstlineno)
    return hashlib.sha256(compile_cache.code_tokens(source)).hexdigest()[:12]
