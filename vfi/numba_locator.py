"""Numba's cache locator for this package: one folder per module and what it imports.

Numba finds where to cache a ``cache=True`` function by asking its locator classes in
turn (``numba.config.CACHE_LOCATOR_CLASSES``); :func:`vfi.compile_cache.numba_cache_dir`
puts :class:`ModuleCacheLocator` first. It answers for this package's files only: their
entries go to :func:`vfi.compile_cache.module_cache_folder`, and their freshness stamp is
the module's :func:`~vfi.compile_cache.module_digest` (the code of the module and of
every module of the package it imports), not the file's timestamp, so the same code
installed at two paths shares its entries and an edit elsewhere that the kernels can see
recompiles them. Imported by Numba only (it needs ``numba``).
"""
from __future__ import annotations

from pathlib import Path

from numba.core import caching

from vfi import compile_cache

_CacheLocator = getattr(caching, "CacheLocator", None) or caching._CacheLocator


class ModuleCacheLocator(_CacheLocator):
    """The locator of a kernel defined in one of this package's modules."""

    def __init__(self, py_func, folder: Path, stamp: str):
        self._lineno = py_func.__code__.co_firstlineno
        self._folder = folder
        self._stamp = stamp

    def get_cache_path(self) -> str:
        return str(self._folder)

    def get_source_stamp(self) -> str:
        return self._stamp

    def get_disambiguator(self) -> str:
        return str(self._lineno)

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
