"""Instructions per call of Python calls, counted under Valgrind's Callgrind.

A wall-time sample on a loaded machine wiggles; the instructions a deterministic call
executes do not. :func:`count` runs one Python process under
``valgrind --tool=callgrind --instr-atstart=no`` for a list of :class:`Point`: each
point's factory (``"module:function"``, called with ``args``) builds a zero-argument
call, which is warmed up, then run ``calls`` times inside a region marked in-process
through Callgrind's client requests (``CALLGRIND_ZERO_STATS`` and
``CALLGRIND_START_INSTRUMENTATION`` to open, ``CALLGRIND_STOP_INSTRUMENTATION`` and
``CALLGRIND_DUMP_STATS_AT`` to close, in ``callgrind_shim.c``, built with the system's C
compiler on first use and loaded with ctypes). Each close writes a dump whose ``totals:``
line is the region's count; an empty region marked just before it gives the fixed cost
of opening and closing, which is subtracted. Instructions whose number depends on the
heap's layout are counted apart (:func:`heap_instructions`: glibc's and CPython's
allocators, Numba's aligned allocation, NumPy's address-hashed dispatch cache), and the
Valgrind child gets every malloc'd block aligned to 64 bytes (``callgrind_align.c``,
preloaded), so that memcpy's and SIMD loops' peeling for alignment is the same on both
sides: the heap differs between two environments running identical code, which moved a
call that allocates in its loop by 0.5-1.7 % here; the calls into them stay in the
count. A point
of ``regions`` > 1 is counted in that many regions: its count is their median, and its
``spread`` the widest relative distance of one region from it (0 for deterministic code;
JAX's runtime threads vary). Counting the whole process and subtracting a shorter run
does not work: start-up varies by more than a small call costs.

Before the Valgrind run, the same points are built and warmed up natively in a process
with the same environment (``prime``), so JIT compilers fill their on-disk caches at
native speed and the Valgrind process loads them. The environment (:data:`PINNED_ENV`)
seeds hashing, pins every thread pool to one thread and pins the CPU that Numba and XLA
compile for to what Valgrind emulates (it stops at AVX2), so that code compiled natively
and code run under Valgrind are the same code.

This module knows nothing of the project that uses it; run as a script it is the child
process (standard library only, so it runs under any interpreter of any environment).

    counts = count([Point("loop", "mymodule:make_loop", (1000,))])
    counts["loop"].instructions
"""
from __future__ import annotations

import ctypes
import gc
import hashlib
import importlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Point", "Counted", "Skipped", "Failed", "CallgrindUnavailable", "PINNED_ENV",
           "unavailable_reason", "shim_library", "count"]

SHIM_SOURCE = Path(__file__).with_name("callgrind_shim.c")
#: Preloaded into the Valgrind child: 64-byte aligned malloc, calloc and realloc.
ALIGN_SOURCE = Path(__file__).with_name("callgrind_align.c")
HEADER = "valgrind/callgrind.h"
INSTALL_HINT = "Debian/Ubuntu: apt-get install valgrind"

#: The child's environment, over the caller's: seeded hashing, one thread everywhere, and
#: the target CPU of Numba and XLA pinned to one that Valgrind emulates (AVX2, no AVX-512),
#: natively and under Valgrind alike, so both load the same cached machine code.
PINNED_ENV = {
    "PYTHONHASHSEED": "0",
    "NUMBA_CPU_NAME": "haswell",
    "NUMBA_CPU_FEATURES": "",
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "XLA_FLAGS": "--xla_cpu_max_isa=AVX2 --xla_cpu_multi_thread_eigen=false",
    # a call runs on the calling thread, not dispatched to a worker thread that the
    # caller spin-waits for: halves JAX's count spread under Valgrind (14.6 % -> 7.8 %
    # over single calls of the notebook's jax-vmap, here)
    "JAX_CPU_ENABLE_ASYNC_DISPATCH": "false",
}

VALGRIND_OPTIONS = ("--tool=callgrind", "--instr-atstart=no", "--dump-line=no",
                    "--dump-instr=no")


class CallgrindUnavailable(RuntimeError):
    """Valgrind, its client-request header or a C compiler is missing here."""


@dataclass(frozen=True)
class Point:
    """One call to count: ``factory`` (``"module:function"``) called with ``args`` returns
    the zero-argument call; it is run ``warmup`` times, then ``calls`` times counted, in
    each of ``regions`` separately counted regions (more than one for code whose count
    varies: their median is the count, their deviation its spread). A factory that
    raises ``NotImplementedError`` skips the point with its message."""

    name: str
    factory: str
    args: tuple = ()
    calls: int = 1
    warmup: int = 2
    regions: int = 1

    def __post_init__(self):
        for field in ("calls", "regions"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{field} must be an int >= 1 (got {value!r})")


@dataclass(frozen=True)
class Counted:
    """Instructions per call of each region, ``per_region``: (its total - ``empty``) /
    ``calls``, rounded, less those whose number depends on the heap's layout
    (:func:`heap_instructions`: the allocators, NumPy's address-hashed cache), which are
    ``heap`` (per call, per region: reported apart, not judged). ``instructions`` is the median
    of ``per_region`` (the count), ``spread`` the widest
    :math:`|\\log(r / \\text{median})|` over regions :math:`r` (0 with one)."""

    per_region: tuple
    empty: int
    calls: int
    heap: tuple = ()

    @property
    def instructions(self) -> int:
        ordered = sorted(self.per_region)
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[middle]
        return round((ordered[middle - 1] + ordered[middle]) / 2)

    @property
    def spread(self) -> float:
        center = self.instructions
        if center <= 0:
            return 0.0
        return max(abs(math.log(r / center)) if r > 0 else math.inf
                   for r in self.per_region)


@dataclass(frozen=True)
class Skipped:
    reason: str


@dataclass(frozen=True)
class Failed:
    message: str


def _compiler() -> str | None:
    return os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")


def _header_dirs() -> list[str]:
    """Where ``valgrind/callgrind.h`` may be: pkg-config's answer, then the usual prefixes."""
    dirs = []
    if shutil.which("pkg-config"):
        done = subprocess.run(["pkg-config", "--cflags-only-I", "valgrind"],
                              capture_output=True, text=True)
        # pkg-config names .../include/valgrind; the shim includes <valgrind/...>.
        dirs += [str(Path(flag[2:]).parent) for flag in done.stdout.split()
                 if flag.startswith("-I")]
    return dirs + ["/usr/include", "/usr/local/include"]


def _header_dir() -> str | None:
    return next((d for d in _header_dirs() if (Path(d) / HEADER).is_file()), None)


def unavailable_reason() -> str | None:
    """None when instructions can be counted here, else what is missing and how to
    install it."""
    if shutil.which("valgrind") is None:
        return f"valgrind is not on PATH: install it ({INSTALL_HINT})"
    if _header_dir() is None:
        return f"{HEADER} not found: install valgrind's headers ({INSTALL_HINT})"
    if _compiler() is None:
        return "no C compiler (cc, gcc or $CC) to build the client-request shim " \
               "(Debian/Ubuntu: apt-get install gcc)"
    return None


def _cache_dir() -> Path:
    if os.environ.get("ASVKIT_CACHE_DIR"):
        return Path(os.environ["ASVKIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "asvkit"


def shim_library(source: Path = SHIM_SOURCE) -> Path:
    """The shared library of ``source`` (``callgrind_shim.c``, or ``callgrind_align.c``),
    built on first use into a cache folder named by the source, the compiler and the
    header (so a change of any rebuilds it)."""
    reason = unavailable_reason()
    if reason is not None:
        raise CallgrindUnavailable(reason)
    compiler, include = _compiler(), _header_dir()
    text = source.read_bytes()
    key = hashlib.sha256(text + compiler.encode() +
                         (Path(include) / HEADER).read_bytes()).hexdigest()[:16]
    library = _cache_dir() / f"{source.stem.replace('_', '-')}-{key}.so"
    if library.is_file():
        return library
    library.parent.mkdir(parents=True, exist_ok=True)
    partial = library.with_suffix(f".{os.getpid()}.tmp")
    done = subprocess.run([compiler, "-O2", "-shared", "-fPIC", f"-I{include}",
                           "-o", str(partial), str(source)], capture_output=True, text=True)
    if done.returncode != 0:
        raise CallgrindUnavailable(f"building {source.name} failed: {done.stderr.strip()}")
    os.replace(partial, library)  # atomic: two processes may build it at once
    return library


def _child_env(env: dict | None) -> dict:
    return {**os.environ, **PINNED_ENV, **(env or {})}


def _factory_roots(points) -> list[str]:
    """The folders holding the factories' top-level packages, where this process has them
    loaded: asv imports a benchmark suite through an importer of its own, not sys.path."""
    roots = []
    for point in points:
        top = sys.modules.get(point.factory.split(":")[0].split(".")[0])
        origin = getattr(top, "__file__", None)
        if origin:
            origin = Path(origin)
            roots.append(str(origin.parent.parent if origin.name == "__init__.py"
                             else origin.parent))
    return roots


def _spec(points, shim: Path, path: list[str]) -> dict:
    return {"shim": str(shim), "path": path,
            "points": [{"name": p.name, "factory": p.factory, "args": list(p.args),
                        "calls": p.calls, "warmup": p.warmup, "regions": p.regions}
                       for p in points]}


def _run_child(command, spec: dict, folder: Path, label: str, env: dict, timeout: float):
    """Run the child on ``spec``; its per-point records and the tail of its output."""
    spec_file, records = folder / f"{label}.json", folder / f"{label}.jsonl"
    spec_file.write_text(json.dumps(spec))
    args = [*command, spec["python"], __file__, str(spec_file), str(records)]
    try:
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout)
        tail = f"exit status {done.returncode}: " + (done.stdout + done.stderr)[-3000:]
    except subprocess.TimeoutExpired as exc:
        tail = f"timed out after {timeout:g} s: " + _text(exc.stderr)[-3000:]
    found = {}
    if records.is_file():
        for line in records.read_text().splitlines():
            record = json.loads(line)
            found[record.pop("name")] = record
    return found, tail


def _text(data) -> str:
    return data.decode(errors="replace") if isinstance(data, bytes) else (data or "")


_TRIGGER = re.compile(r"^desc: Trigger: Client Request: (.*)$", re.MULTILINE)
_TOTALS = re.compile(r"^totals: (\d+)", re.MULTILINE)
_COMPRESSED = re.compile(r"\((\d+)\)(?: (.*))?$")
#: Where a count depends on the heap's layout, which differs between two processes that
#: run the same code from different paths or environments: the allocators (glibc's and
#: CPython's: free lists, bins, pools; ours, callgrind_align.c, with the memset and
#: memcpy its calloc and realloc do), Numba's aligned allocation (it pads to the
#: alignment the pointer lacks), and NumPy's dispatch cache (a hash of object addresses,
#: whose probes and key comparisons vary). These are counted apart (``Counted.heap``).
ALLOCATOR_FILES = ("/malloc/malloc.c", "/malloc/arena.c", "/malloc/hooks.c",
                   "/malloc/morecore.c", "/Objects/obmalloc.c", "/callgrind_align.c")
ALLOCATOR_FUNCTIONS = frozenset({"NRT_MemInfo_alloc_aligned", "NRT_MemInfo_alloc_safe_aligned"})
ADDRESS_HASHED = frozenset({"PyArrayIdentityHash_GetItem", "calloc", "realloc"})


def heap_instructions(text: str, sources: tuple = ALLOCATOR_FILES,
                      functions: frozenset = ALLOCATOR_FUNCTIONS,
                      inclusive: frozenset = ADDRESS_HASHED) -> int:
    """The instructions, in a Callgrind dump's text, whose number depends on the heap's
    layout: the self cost of every function defined in a file whose name ends with one
    of ``sources``, and of the ``functions`` named; the self and call costs (the callees
    included, but for those already counted) of the ``inclusive`` ones.

    A cost line belongs to the last ``fn=``, whose file is the last ``fl=``; a cost line
    just after a ``calls=`` line is the inclusive cost of a call, not a self cost.
    Names are compressed (``fl=(4) name`` defines id 4, ``fl=(4)`` reuses it); files
    share one table (``fl``, ``fi``, ``fe``, ``cfi``, ``cfl``), functions another."""
    names = {"file": {}, "fn": {}}

    def resolve(table, value):
        found = _COMPRESSED.match(value)
        if not found:
            return value
        if found.group(2) is not None:
            names[table][found.group(1)] = found.group(2)
        return names[table].get(found.group(1), "")

    def heap_function(where, function):
        return function in functions or (where is not None and where.endswith(sources))

    file = callee_file = None
    self_counted = calls_counted = after_call = inclusive_here = False
    total = 0
    for line in text.splitlines():
        head = line[:1]
        if head.isdigit() or head in "+-*":
            counted = calls_counted if after_call else self_counted
            after_call = False
            if counted:
                fields = line.split()
                total += int(fields[1]) if len(fields) > 1 else 0
            continue
        key, _, value = line.partition("=")
        if key == "fl":
            file = callee_file = resolve("file", value.strip())
        elif key in ("fi", "fe"):
            resolve("file", value.strip())
        elif key in ("cfi", "cfl"):
            callee_file = resolve("file", value.strip())
        elif key == "fn":
            function = resolve("fn", value.strip())
            inclusive_here = function in inclusive
            self_counted = inclusive_here or heap_function(file, function)
        elif key == "cfn":
            callee = resolve("fn", value.strip())
            # a heap callee's cost is its own self cost already: not twice
            calls_counted = inclusive_here and not heap_function(callee_file, callee)
        elif key == "calls":
            after_call = True
            callee_file = file
    return total


def read_dumps(folder: Path) -> dict[str, tuple[int, int]]:
    """``{region name: (instructions, of which heap-dependent)}`` from the Callgrind dumps
    in ``folder`` (:func:`heap_instructions`)."""
    totals = {}
    for dump in folder.glob("callgrind.out*"):
        text = dump.read_text(errors="replace")
        trigger, total = _TRIGGER.search(text), _TOTALS.search(text)
        if trigger and total:
            totals[trigger.group(1).strip()] = (int(total.group(1)),
                                                heap_instructions(text))
    return totals


def count(points, *, env: dict | None = None, python: str | None = None,
          timeout: float = 3600.0, prime: bool = True, keep: Path | None = None) -> dict:
    """``{point name: Counted | Skipped | Failed}`` for ``points``, one Valgrind process.

    ``env`` adds to (and overrides) :data:`PINNED_ENV`; ``python`` is the interpreter
    (default: this one), which must be an executable, not a shell wrapper, or Valgrind
    counts the wrapper (the child checks it is under Valgrind). The child gets this
    process's ``sys.path``, then the folders of the factories' packages (after it, so
    that a checkout beside a benchmark suite never shadows the installed package).
    Raises :class:`CallgrindUnavailable` when nothing can be
    counted here (:func:`unavailable_reason`). ``keep``: a folder to copy the dumps
    and the child's records into (``callgrind_annotate`` reads the dumps per function).
    """
    points = list(points)
    if len({p.name for p in points}) != len(points):
        raise ValueError("point names must be unique")
    shim, child_env = shim_library(), _child_env(env)
    # The factories' folders go last: a benchmark suite's folder sits in the project's
    # checkout, whose package must not shadow the one installed in the environment
    # (a compare's base side would count the checkout's code, not its own).
    path = [p or os.getcwd() for p in sys.path] + _factory_roots(points)  # "": the cwd
    spec = _spec(points, shim, list(dict.fromkeys(path)))
    spec["python"] = python or sys.executable
    results = {}
    with tempfile.TemporaryDirectory(prefix="callgrind-") as tmp:
        folder = Path(tmp)
        if prime:
            primed, tail = _run_child([], dict(spec, prime=True), folder, "prime", child_env,
                                      timeout)
            results.update(_settled(primed))
            spec["points"] = [p for p in spec["points"] if p["name"] not in results]
        if spec["points"]:
            valgrind = ["valgrind", *VALGRIND_OPTIONS,
                        f"--callgrind-out-file={folder / 'callgrind.out'}"]
            aligned = dict(child_env, LD_PRELOAD=" ".join(
                filter(None, [str(shim_library(ALIGN_SOURCE)), child_env.get("LD_PRELOAD")])))
            records, tail = _run_child(valgrind, spec, folder, "count", aligned, timeout)
            results.update(_outcomes(spec["points"], records, read_dumps(folder), tail))
        if keep is not None:
            shutil.copytree(folder, keep, dirs_exist_ok=True)
    return {p.name: results[p.name] for p in points}


def _settled(records: dict) -> dict:
    """The points a native run already decided: skipped, or failed."""
    out = {}
    for name, record in records.items():
        if "skipped" in record:
            out[name] = Skipped(record["skipped"])
        elif "failed" in record:
            out[name] = Failed(record["failed"])
    return out


def _outcomes(points: list[dict], records: dict, totals: dict, tail: str) -> dict:
    out = _settled(records)
    for index, point in enumerate(points):
        name = point["name"]
        if name in out:
            continue
        empty = totals.get(f"{index}:empty")
        regions = [totals.get(f"{index}:call:{r}") for r in range(point["regions"])]
        if empty is None or None in regions:
            out[name] = Failed(f"no Callgrind dump for {name!r} ({tail})")
            continue
        calls = point["calls"]
        out[name] = Counted(
            tuple(round((t - a - (empty[0] - empty[1])) / calls) for t, a in regions),
            empty[0] - empty[1], calls,
            heap=tuple(round((a - empty[1]) / calls) for _, a in regions))
    return out


# ---- the child process ------------------------------------------------------------


def _resolve(target: str):
    module, function = target.split(":")
    return getattr(importlib.import_module(module), function)


def _record(out, name: str, **fields) -> None:
    out.write(json.dumps({"name": name, **fields}) + "\n")
    out.flush()  # a crash later must not lose what was counted


def _region(shim, tag: str, run, calls: int) -> None:
    gc.collect()  # the same collector state at every opening
    shim.region_open()
    for _ in range(calls):
        run()
    shim.region_close(tag.encode())


#: Regions opened and closed before the first counted one: CPython 3.11 quickens and
#: specialises a function's code after several calls, which moved the empty region of
#: the first points by 10-30 % when only one preceded them.
STARTUP_REGIONS = 10


def _nothing() -> None:
    return None


def _child(spec_path: str, records_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    sys.path[:] = spec["path"]
    prime = spec.get("prime", False)
    shim = ctypes.CDLL(spec["shim"])
    if not prime and not shim.running_on_valgrind():
        print("callgrind child: not running under Valgrind (is the interpreter a shell "
              "wrapper? pass the executable itself)", file=sys.stderr)
        return 3
    if not prime:  # the first regions pay one-off costs (ctypes' first calls, the
        for _ in range(STARTUP_REGIONS):  # interpreter quickening _region): not counted
            _region(shim, "start-up", _nothing, 1)
    with open(records_path, "a") as out:
        for index, point in enumerate(spec["points"]):
            try:
                run = _resolve(point["factory"])(*point["args"])
                for _ in range(point["warmup"]):
                    run()
            except NotImplementedError as exc:
                _record(out, point["name"], skipped=str(exc) or "NotImplementedError")
                continue
            except Exception:
                _record(out, point["name"], failed=traceback.format_exc())
                continue
            if not prime:  # the factory's imports unsettle the region's own code once
                _region(shim, f"{index}:settle", _nothing, 1)
                _region(shim, f"{index}:empty", _nothing, 1)
                for r in range(point["regions"]):
                    _region(shim, f"{index}:call:{r}", run, point["calls"])
            _record(out, point["name"], done=True)
    return 0


if __name__ == "__main__":
    sys.exit(_child(*sys.argv[1:3]))
