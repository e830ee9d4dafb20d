"""vfi's asv suite (the guide: benchmarks/README.md).

Under ``make compare`` both sides' benchmark processes get one folder in
``ASVKIT_SHARED_DIR``: the JIT caches go there (``VFI_CACHE_DIR``), keyed per module and
what it imports (``vfi.compile_cache``), so the head loads every kernel whose code the
change does not touch from what the base compiled.
"""
import os

if os.environ.get("ASVKIT_SHARED_DIR") and not os.environ.get("VFI_CACHE_DIR"):
    os.environ["VFI_CACHE_DIR"] = os.path.join(os.environ["ASVKIT_SHARED_DIR"], "vfi-cache")
