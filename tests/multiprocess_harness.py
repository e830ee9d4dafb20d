"""Start N JAX processes on 127.0.0.1, wait for them (bounded), and check their results.

:func:`launch` starts ``multiprocess_worker.py`` N times on a free port, each in its own
process group, and returns each process's results once all have exited with status 0.
It raises :class:`LaunchFailed` as soon as one process exits non-zero (or without its
results), or when the deadline passes; whatever the outcome, every process it started is
killed and reaped before it returns. :func:`check_results` compares every process's
results with the single-process references and raises LaunchFailed naming the process
and case that differ.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

WORKER = Path(__file__).with_name("multiprocess_worker.py")
#: Values must equal the single-process answer to this, relative to max|V| (floor 1).
RTOL = 1e-12


class LaunchFailed(AssertionError):
    """A process failed, did not finish in time, or returned a wrong result."""

    def __init__(self, message, processes=()):
        super().__init__(message)
        self.processes = list(processes)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def _stop(processes) -> None:
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    for process in processes:
        process.wait()


def launch(out: Path, *, processes: int = 2, devices: int = 2, cases: str = "cake,growth,savings",
           inject: dict[int, str] | None = None, timeout: float = 120.0):
    """Run the worker ``processes`` times; ``[results of process 0, 1, ...]`` as dicts of
    arrays. ``inject`` maps a process id to the worker's ``--inject`` fault."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "JAX_PLATFORMS")}
    started = []
    try:
        for i in range(processes):
            command = [sys.executable, str(WORKER), "--port", str(port), "--processes",
                       str(processes), "--process-id", str(i), "--devices", str(devices),
                       "--cases", cases, "--out", str(out),
                       "--init-timeout", str(max(1, int(timeout)))]
            if inject and i in inject:
                command += ["--inject", inject[i]]
            with open(out / f"process-{i}.log", "wb") as log:
                started.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                                env=env, start_new_session=True))
        deadline = time.monotonic() + timeout
        while True:
            codes = [p.poll() for p in started]
            failed = [(i, code) for i, code in enumerate(codes) if code not in (None, 0)]
            if failed:
                i, code = failed[0]
                raise LaunchFailed(f"process {i} exited with status {code}:\n"
                                   f"{_tail(out / f'process-{i}.log')}", started)
            if all(code == 0 for code in codes):
                break
            if time.monotonic() > deadline:
                waiting = [i for i, code in enumerate(codes) if code is None]
                raise LaunchFailed(f"processes {waiting} still running after {timeout:g} s:\n"
                                   + "".join(_tail(out / f"process-{i}.log", 1000)
                                             for i in waiting), started)
            time.sleep(0.05)
    finally:
        _stop(started)
    results = []
    for i in range(processes):
        path = out / f"process-{i}.npz"
        if not path.exists():
            raise LaunchFailed(f"process {i} exited with status 0 but wrote no results:\n"
                               f"{_tail(out / f'process-{i}.log')}", started)
        with np.load(path) as data:
            results.append(dict(data))
    return results


def check_results(results, references, *, devices: int, rtol: float = RTOL) -> None:
    """Every process saw ``devices`` devices and got the whole answer of every case:
    values equal to the reference to ``rtol`` (relative to max|V|, floor 1) and the same
    policy as the reference."""
    for i, result in enumerate(results):
        if int(result["devices"]) != devices:
            raise LaunchFailed(f"process {i} saw {int(result['devices'])} devices, "
                               f"expected {devices}")
        for name, (value, policy) in references.items():
            got = result[f"{name}_value"]
            if got.shape != value.shape:
                raise LaunchFailed(f"process {i}, {name}: shape {got.shape}, "
                                   f"expected the whole {value.shape}")
            scale = max(1.0, float(np.max(np.abs(value))))
            error = float(np.max(np.abs(got - value))) / scale
            if not error <= rtol:
                raise LaunchFailed(f"process {i}, {name}: value off by {error:.3g} "
                                   f"(relative), over {rtol:g}")
            if not np.array_equal(result[f"{name}_policy"], policy):
                wrong = int(np.sum(result[f"{name}_policy"] != policy))
                raise LaunchFailed(f"process {i}, {name}: policy differs at {wrong} states")
