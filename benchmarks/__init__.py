"""vfi's asv suite (the guide: benchmarks/README.md).

Every environment asv builds for it (one per commit measured) keeps its JIT caches in one
folder of this checkout, ``.asv/jit-cache`` (``VFI_CACHE_DIR``, unless set): the Numba
cache is keyed per module and what it imports (``vfi.compile_cache``), so a history run
compiles at each commit only the kernels whose code changed. Under ``make compare`` both
sides' processes use the compare's shared folder instead (``ASVKIT_SHARED_DIR``), so
the head loads every kernel that the change does not touch from what the base compiled.
"""
import os
from pathlib import Path

if not os.environ.get("VFI_CACHE_DIR"):
    shared = os.environ.get("ASVKIT_SHARED_DIR")
    os.environ["VFI_CACHE_DIR"] = (os.path.join(shared, "vfi-cache") if shared else
                                   str(Path(__file__).resolve().parents[1] / ".asv"
                                       / "jit-cache"))
