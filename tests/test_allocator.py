"""vfi.allocator: a solve's scratch is not faulted in afresh on every call (glibc)."""
import subprocess
import sys

import pytest

from vfi import allocator

FAULTS = """
import os, resource, sys
import numpy as np
import vfi
from vfi import growth
growth.iterate(growth.afv2015(200), 1)  # any call of the API tunes the allocator
def scratch():  # a solve's pattern: six 0.7 MB arrays, all freed on return
    arrays = [np.ones(89_100) for _ in range(6)]
    return sum(float(a[0]) for a in arrays)
scratch(); scratch()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    scratch()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def faults(tune: str) -> int:
    env = {"VFI_MALLOC_TUNE": tune, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", FAULTS], capture_output=True, text=True,
                          env=env, check=True)
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's thresholds")
def test_scratch_arrays_fault_in_once_not_on_every_call():
    """Twenty calls' worth of freed scratch: without the tuning glibc returns the heap's
    top to the system each time and every page faults in again (about 1,000 faults per
    call here: six arrays of 175 pages); tuned, the pages stay mapped."""
    untuned, tuned = faults("0"), faults("1")
    assert untuned > 20 * 6 * 100
    assert tuned < untuned / 20


def test_tune_is_off_when_asked(monkeypatch):
    monkeypatch.setenv("VFI_MALLOC_TUNE", "0")
    assert not allocator.enabled()
    monkeypatch.setenv("VFI_MALLOC_TUNE", "1")
    assert allocator.enabled()
