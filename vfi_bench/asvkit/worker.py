"""A long-lived asv benchmark process: discovered and timed by asv_runner, driven over a pipe.

    python worker.py BENCHMARK_DIR        (run by an asv environment's own interpreter)

This file imports nothing but the standard library and ``asv_runner`` (which asv installs
in every environment it builds), so it runs in any asv environment, of any project, as a
plain script. It reads one JSON request per line on stdin and answers one JSON line on
the stdout it was started with (anything a benchmark prints goes to stderr):

- ``{"op": "sample", "name": N, "index": I, "count": C}``: ``C`` samples of benchmark
  ``N`` at parameter index ``I`` (None when not parameterised). The first request of a
  benchmark imports it (``asv_runner.discovery.get_benchmark_from_name``) and runs its
  ``setup_cache`` and ``setup``; every request then times ``C`` samples of the
  benchmark's own ``number`` of calls (one when it sets none: the driver batches
  samples instead), with no warm-up (the driver's first request of a benchmark is its
  warm-up). Answer ``{"samples": [...], "number": n}``,
  ``{"skipped": reason}`` (setup raised ``NotImplementedError``) or ``{"error": text}``.
- ``{"op": "track", "name": N, "index": I}``: one call of ``track_`` benchmark ``N``
  (set up as above on its first request), answered ``{"value": v, "spread": s}`` (its
  result, a number: an instruction count for ``unit = "instructions"``; ``s`` the
  benchmark instance's ``instruction_spread``, 0 when it sets none),
  ``{"skipped": reason}`` or ``{"error": text}``.
- ``{"op": "setup", "points": [[N, I], ...]}``: set each benchmark ``N`` (at index
  ``I``) up as its first request would, and nothing else (the driver sets a spare
  process up ahead of use); one answer for all, ``{"ready": n}`` (how many are set up:
  a point that fails here fails again, with its reason, at its first sample). One
  answer per request always: the driver reads one line per request.
- ``{"op": "quit"}``: tear every benchmark down and exit.

The benchmark stays set up between requests, so a sample costs only its own calls:
process start, imports and kernel loading are paid once per process, not per sample.

It drives asv_runner's benchmark objects directly (``do_setup``, ``do_run`` with
``number``, ``repeat`` and ``warmup_time`` set, ``do_teardown``): written against
asv_runner 0.3.2, which a project pins in its matrix (``"asv_runner": ["0.3.2"]``). A
version whose objects lack one of those is refused, naming what is missing.
"""
import json
import math
import os
import sys
import traceback

#: What the worker uses of an asv_runner benchmark object, and the version it was
#: written against.
RELIED_ON = ("setup_cache_key", "do_setup_cache", "set_cache", "do_setup", "do_run",
             "do_teardown", "number", "repeat", "warmup_time")
#: What it uses of a ``track_`` benchmark object (called once, not timed).
RELIED_ON_TRACK = ("setup_cache_key", "do_setup_cache", "set_cache", "do_setup", "do_run",
                   "do_teardown")
WRITTEN_FOR = "0.3.2"


def runner_version():
    """The installed asv_runner's version ("unknown" when its metadata is missing)."""
    from importlib import metadata

    try:
        return metadata.version("asv_runner")
    except metadata.PackageNotFoundError:
        return "unknown"


def _protocol_stream():
    """The original stdout, for answers; fd 1 then points at stderr (benchmarks' prints)."""
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


class Worker:
    def __init__(self, benchmark_dir):
        self.benchmark_dir = benchmark_dir
        self.ready = {}  # (name, index) -> (benchmark, number)
        self.caches = {}  # setup_cache_key -> what its setup_cache returned, once per key

    def _prepare(self, name, index, relied_on=None):
        from asv_runner.discovery import get_benchmark_from_name

        bench_id = name if index is None else f"{name}-{index}"
        bench = get_benchmark_from_name(self.benchmark_dir, bench_id)
        missing = [a for a in (relied_on or RELIED_ON) if not hasattr(bench, a)]
        if missing:
            raise RuntimeError(f"asv_runner {runner_version()}: its benchmark objects lack "
                               f"{', '.join(missing)}; this worker is written against "
                               f"asv_runner {WRITTEN_FOR} (pin it in the asv matrix)")
        bench.set_cache(self._setup_cache(bench))
        if bench.do_setup():
            return None
        return bench, max(1, int(getattr(bench, "number", 0) or 0))

    def _setup_cache(self, bench):
        """The class's ``setup_cache`` result, run once per key as asv does (not once per
        parameter: an instruction class counts all its points in that one call)."""
        key = bench.setup_cache_key
        if key is None:
            return None
        if key not in self.caches:
            try:
                self.caches[key] = bench.do_setup_cache()
            except Exception as exc:  # every point of the class fails with it, unrepeated
                self.caches[key] = exc
        if isinstance(self.caches[key], Exception):
            raise self.caches[key]
        return self.caches[key]

    def _ready(self, name, index, relied_on=None):
        """The set-up benchmark (and its number), or ``{"skipped": reason}``."""
        key = (name, index)
        if key not in self.ready:
            try:
                self.ready[key] = self._prepare(name, index, relied_on)
            except NotImplementedError as exc:
                self.ready[key] = None
                return {"skipped": str(exc) or "NotImplementedError"}
        if self.ready[key] is None:
            return {"skipped": "setup raised NotImplementedError"}
        return self.ready[key]

    def track(self, name, index):
        """One call of a ``track_`` benchmark: ``{"value": its result, "spread": s}``,
        ``s`` the instance's ``instruction_spread`` (how far a count's regions varied,
        as a log ratio), 0 when it has none."""
        ready = self._ready(name, index, RELIED_ON_TRACK)
        if isinstance(ready, dict):
            return ready
        value = ready[0].do_run()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name} returned {type(value).__name__}, not a number")
        instance = getattr(getattr(ready[0], "func", None), "__self__", None)
        spread = getattr(instance, "instruction_spread", 0.0)
        if isinstance(spread, bool) or not isinstance(spread, (int, float)) or spread < 0:
            raise TypeError(f"{name}: instruction_spread must be a number >= 0 "
                            f"(got {spread!r})")
        return {"value": float(value), "spread": float(spread)}

    def setup(self, points):
        """Set every ``[name, index]`` of ``points`` up (their first request's work)."""
        ready = 0
        for name, index in points:
            tracked = name.rsplit(".", 1)[-1].startswith("track_")
            try:
                ready += not isinstance(
                    self._ready(name, index, RELIED_ON_TRACK if tracked else None), dict)
            except Exception:
                traceback.print_exc()
        return {"ready": ready}

    def sample(self, name, index, count):
        ready = self._ready(name, index)
        if isinstance(ready, dict):
            return ready
        bench, number = ready
        bench.number, bench.repeat, bench.warmup_time = number, (count, count, math.inf), 0.0
        result = bench.do_run()
        return {"samples": list(result["samples"]), "number": result["number"]}

    def close(self):
        for entry in self.ready.values():
            if entry is not None:
                try:
                    entry[0].do_teardown()
                except Exception:  # a failing teardown must not hide the results
                    traceback.print_exc()


def serve(benchmark_dir, requests, answers):
    worker = Worker(benchmark_dir)
    try:
        for line in requests:
            request = json.loads(line)
            if request.get("op") == "quit":
                break
            try:
                if request.get("op") == "track":
                    answer = worker.track(request["name"], request.get("index"))
                elif request.get("op") == "setup":
                    answer = worker.setup(request["points"])
                else:
                    answer = worker.sample(request["name"], request.get("index"),
                                           int(request.get("count", 1)))
            except Exception as exc:
                traceback.print_exc()
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            answers.write(json.dumps(answer) + "\n")
            answers.flush()
    finally:
        worker.close()


if __name__ == "__main__":
    serve(sys.argv[1], sys.stdin, _protocol_stream())
