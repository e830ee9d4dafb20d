"""The C allocator tuned so that a solve's scratch arrays do not fault in afresh each call.

A solve on the growth model's paper grid allocates about 5 MB of scratch in 0.7 MB
arrays (the expectation, the swept values, the policy) and frees it on return. glibc
serves such arrays from the heap once its dynamic mmap threshold has risen past them,
but it returns the heap's free top to the system whenever that exceeds twice the
threshold, so the next call faults every page in again: measured here, 2 ms of a
6-9 ms default solve (one greedy step on that grid takes 1.3-1.7 ms). Whether that
happens depended on what the process had freed before.

:func:`tune` fixes glibc's thresholds once per process, with ``mallopt``: blocks below
:data:`MMAP_THRESHOLD` come from the heap, and up to :data:`TRIM_THRESHOLD` of freed heap
stays mapped for the next call (what a process keeps at most: the figures are glibc's own
bounds' order). Elsewhere than glibc, or with ``VFI_MALLOC_TUNE=0``, nothing is changed.

Example
-------
>>> from vfi import allocator
>>> allocator.tune() in (True, False)
True
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

#: glibc's mallopt parameters (malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
#: Blocks up to this size come from the heap (glibc's largest allowed: 32 MiB on 64 bits).
MMAP_THRESHOLD = 32 * 2**20
#: Freed heap kept mapped up to this size.
TRIM_THRESHOLD = 128 * 2**20


def enabled() -> bool:
    """False when ``VFI_MALLOC_TUNE`` turns the tuning off."""
    return os.environ.get("VFI_MALLOC_TUNE", "1").strip().lower() not in ("0", "off", "no")


@functools.cache
def tune() -> bool:
    """Set glibc's thresholds (once per process); whether they were set."""
    if not enabled():
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # not glibc: its allocator has no such thresholds to set
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
