"""The family's kernel in JAX, traced and run in float64 (``jax.enable_x64``).

``jax-blocked``: the brute-force step vmapped over exogenous states within a row, and
``lax.map`` over the rows in batches, so XLA holds O(batch x m x n) candidates, never
the full (n, m, n) array; the steps run inside one ``jit`` as a ``lax.fori_loop``.
Infeasible choices are -inf, the policy is the first maximiser.

``jax-sharded``: the states (rows of the choice grid, each with all its exogenous states)
split across every device JAX sees (one process or many, through ``jax.distributed``),
with ``shard_map``. Each device holds its rows of V and of the resources; a step computes
the expectation of its rows, gathers it (``all_gather``, as cake eating's ``jax-sharded``
gathers its value) and runs the blocked greedy step on its rows over every choice. The
value and policy are gathered once, at the end, so every process gets the whole result.

Across processes and hosts (cake eating's ``jax-sharded`` alike): every process runs the
same script, joins first, then makes the same calls with the same arguments::

    import jax
    jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU processes only
    jax.distributed.initialize(coordinator_address="HOST0:PORT", num_processes=N,
                               process_id=I)
    import vfi, vfi.growth
    value = vfi.iterate(grid, beta, k, variant="jax-sharded")   # all N processes' devices
    v = vfi.growth.iterate(model, k, variant="jax-sharded")

``tests/test_multiprocess.py`` runs this in ``make test``: two processes on 127.0.0.1,
two simulated CPU devices each (``XLA_FLAGS=--xla_force_host_platform_device_count=2``
set before JAX is imported), cake eating, growth and savings, each process's result
equal to the one-process answer to 1e-12. By hand, one command per process (process 0
hosts the coordinator on PORT): ``python tests/multiprocess_worker.py --port PORT
--processes 2 --process-id I --devices 2 --out DIR`` for I = 0 and 1, each writing
``DIR/process-I.npz``. Under SLURM, ``srun --ntasks=N python script.py`` with
``jax.distributed.initialize()`` called without arguments (JAX reads the coordinator, N
and I from SLURM's variables; not tested here: no cluster). ``memory_cap=`` (bytes per
device) refuses a split that does not fit: on 8 simulated devices, growth at 601 x 5
needs 29.4 MiB on one device, over a 16 MiB cap (refused), and 3.8 MiB per device split
eight ways (runs).
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from vfi.compile_cache import configure_jax
from vfi.family.spec import SQRT, utility_with

configure_jax()

#: Candidates (row x state x choice) held per batch of rows.
BATCH_ELEMENTS = 1 << 21


#: :func:`vfi.family.spec.utility` in jnp (``kind`` is static, ``param`` traced).
_utility = utility_with(jnp.sqrt, jnp.log, jnp.where)


def _best_choice(k, r, w, kind, param):
    """Value and first maximiser over feasible choices for one state (r, w = w[:, s])."""
    ok = k <= r if kind == SQRT else k < r
    candidates = jnp.where(ok, _utility(jnp.where(ok, r - k, 1.0), kind, param) + w, -jnp.inf)
    best = jnp.argmax(candidates)
    return candidates[best], best


def _greedy(k, resources, w_by_state, param, kind, batch):
    """Value and first maximiser for each row of ``resources`` (rows, m) over every choice,
    ``batch`` rows at a time; ``w_by_state`` is the (m, n) continuation."""

    def row(r_row):  # one row of the choice grid, vmapped over exogenous states
        return jax.vmap(lambda r, w: _best_choice(k, r, w, kind, param))(r_row, w_by_state)

    return lax.map(row, resources, batch_size=batch)


def _step(k, resources, P, beta, param, v, kind, batch):
    w_by_state = (beta * (v @ P.T)).T                                # (m, n)
    return _greedy(k, resources, w_by_state, param, kind, batch)


@functools.partial(jax.jit, static_argnames=("kind", "batch"))
def _iterate(k, resources, P, beta, param, v, num_iter, kind, batch):
    policy = jnp.zeros(v.shape, dtype=jnp.int64)

    def body(_, carry):
        return _step(k, resources, P, beta, param, carry[0], kind, batch)

    return lax.fori_loop(0, num_iter, body, (v, policy))


def iterate_blocked(spec, v, num_iter):
    """``num_iter`` brute-force steps, rows in ``lax.map`` batches, in one ``jit``.

    .. math:: V'(i, s) = \\max_{j \\text{ feasible}} u(r_{is} - k_j) + w_{js},
              \\quad w = \\beta V P^\\top
    """
    n, m = v.shape
    batch = int(max(1, min(n, BATCH_ELEMENTS // (n * m))))
    with jax.enable_x64(True):
        arrays = jax.device_put((spec.choices, spec.resources, spec.P, v))
        k, resources, P, v_d = arrays
        value, policy = _iterate(k, resources, P, jnp.float64(spec.beta),
                                 jnp.float64(spec.param), v_d, num_iter, int(spec.kind), batch)
        value, policy = jax.block_until_ready((value, policy))
        return np.asarray(value, dtype=np.float64), np.asarray(policy, dtype=np.int64)


# --- jax-sharded ------------------------------------------------------------------------

#: The mesh axis along which the rows (states of the choice grid) are split.
ROWS = "rows"


def row_mesh(devices=None):
    """A one-axis mesh over ``devices`` (default ``jax.devices()``: every device of every
    process once ``jax.distributed.initialize()`` has run)."""
    devices = jax.devices() if devices is None else list(devices)
    return Mesh(np.array(devices), (ROWS,))


def shard_layout(n: int, m: int, num_devices: int) -> tuple[int, int]:
    """``(rows, batch)``: grid rows per device (n padded to ``num_devices * rows``) and rows
    per ``lax.map`` batch, at most :data:`BATCH_ELEMENTS` candidates per batch; ``rows`` is
    a multiple of ``batch`` (a remainder batch would be a second body, and a second
    scratch buffer, in the compiled loop)."""
    share = -(-n // num_devices)
    batches = -(-share // max(1, min(share, BATCH_ELEMENTS // (n * m))))
    batch = -(-share // batches)
    return batches * batch, batch


@functools.lru_cache(maxsize=32)
def _sharded_program(mesh, n: int, m: int, kind: int):
    """The compiled program for one mesh, shape and utility (cached: compiling the same
    shape twice would cost seconds)."""
    rows, batch = shard_layout(n, m, mesh.size)

    def local(k, resources, P, beta, param, v, num_iter):
        # resources and v: this device's rows; k, P and the scalars: whole, on every device.
        def step(values):
            w_rows = beta * (values @ P.T)                                # (rows, m)
            w = lax.all_gather(w_rows, ROWS, tiled=True, to="invarying")[:n]
            return _greedy(k, resources, w.T, param, kind, batch)

        value, policy = lax.fori_loop(1, num_iter, lambda _, carry: step(carry[0]), step(v))
        gather = functools.partial(lax.all_gather, axis_name=ROWS, tiled=True, to="invarying")
        return gather(value)[:n], gather(policy)[:n]

    whole, split = PartitionSpec(), PartitionSpec(ROWS)
    program = jax.jit(jax.shard_map(local, mesh=mesh,
                                    in_specs=(whole, split, whole, whole, whole, split, whole),
                                    out_specs=(whole, whole)))
    return program, rows


def _global(mesh, array, split: bool):
    """A global array built from this process's whole copy: split by rows over ``mesh``
    or the same on every device (so the call is the same in one process and in many)."""
    array = np.asarray(array)
    spec = PartitionSpec(ROWS) if split else PartitionSpec()
    return jax.make_array_from_callback(array.shape, NamedSharding(mesh, spec),
                                        lambda index: array[index])


def _padded_rows(array, size):
    """``array`` extended to ``size`` rows by repeating its last row: the extra rows are
    valid states whose results are dropped."""
    return np.concatenate([array, np.repeat(array[-1:], size - array.shape[0], axis=0)])


def _sharded_arguments(mesh, spec, v, num_iter, rows):
    size = rows * mesh.size
    return (_global(mesh, spec.choices, False),
            _global(mesh, _padded_rows(spec.resources, size), True),
            _global(mesh, spec.P, False), _global(mesh, np.float64(spec.beta), False),
            _global(mesh, np.float64(spec.param), False),
            _global(mesh, _padded_rows(np.asarray(v, dtype=np.float64), size), True),
            _global(mesh, np.int64(num_iter), False))


def sharded_memory_bytes(spec, devices=None) -> int:
    """Bytes one device needs for ``jax-sharded`` on this member's shape, as XLA's memory
    analysis of the compiled per-device program reports them (arguments, outputs and
    scratch; compiles, allocates nothing)."""
    n, m = spec.resources.shape
    mesh = row_mesh(devices)
    with jax.enable_x64(True):
        program, rows = _sharded_program(mesh, n, m, int(spec.kind))

        def shaped(shape, dtype, split=False):
            sharding = NamedSharding(mesh, PartitionSpec(ROWS) if split else PartitionSpec())
            return jax.ShapeDtypeStruct(shape, dtype, sharding=sharding)

        size, f64 = rows * mesh.size, jnp.float64
        args = (shaped((n,), f64), shaped((size, m), f64, True), shaped((m, m), f64),
                shaped((), f64), shaped((), f64), shaped((size, m), f64, True),
                shaped((), jnp.int64))
        analysis = program.lower(*args).compile().memory_analysis()
    return int(analysis.argument_size_in_bytes + analysis.output_size_in_bytes
               + analysis.temp_size_in_bytes - analysis.alias_size_in_bytes)


def check_sharded_fits(spec, devices=None, memory_cap=None) -> int:
    """The per-device bytes of :func:`sharded_memory_bytes`; MemoryError, before anything
    is allocated, when they exceed ``memory_cap`` (bytes per device; default the memory
    available on the first device, as for cake eating's ``jax-vmap``)."""
    from vfi.cake.jax import available_bytes

    need = sharded_memory_bytes(spec, devices)
    devices = jax.devices() if devices is None else list(devices)
    limit = available_bytes(devices[0]) if memory_cap is None else int(memory_cap)
    if limit is not None and need > limit:
        n, m = spec.resources.shape
        raise MemoryError(
            f"jax-sharded on {n} x {m} states needs {need / 2**20:.1f} MiB per device on "
            f"{len(devices)} device(s), over the cap of {limit / 2**20:.1f} MiB; split it "
            f"across more devices")
    return need


def iterate_sharded(spec, v, num_iter, *, devices=None, memory_cap=None):
    """``num_iter`` brute-force steps with the grid's rows split across devices.

    .. math:: V'(i, s) = \\max_{j \\text{ feasible}} u(r_{is} - k_j) + w_{js},
              \\quad w = \\beta V P^\\top, \\quad i \\in \\text{shard } d = 1, \\dots, D

    Device d holds rows ``d * rows`` to ``(d + 1) * rows - 1`` of V and of the resources
    (padded with copies of the last row); a step computes w for its rows, gathers the
    whole w, and takes the first maximiser for its rows in ``lax.map`` batches. Under
    ``jax.distributed`` every process calls this with the same arguments and gets the
    whole result.

    Parameters
    ----------
    spec : FamilySpec
    v : ndarray (n, m) of float64 (not modified)
    num_iter : int, >= 1
    devices : sequence of jax.Device, optional
        The devices to split across; default ``jax.devices()``.
    memory_cap : int, optional
        Bytes one device may use; when given, MemoryError (before the run) if the
        per-device working set (:func:`sharded_memory_bytes`) is over it.

    Returns
    -------
    value : ndarray (n, m) of float64
    policy : ndarray (n, m) of int64
    """
    n, m = v.shape
    if memory_cap is not None:
        check_sharded_fits(spec, devices, memory_cap)
    mesh = row_mesh(devices)
    with jax.enable_x64(True):
        program, rows = _sharded_program(mesh, n, m, int(spec.kind))
        value, policy = jax.block_until_ready(
            program(*_sharded_arguments(mesh, spec, v, num_iter, rows)))
        return (np.asarray(value.addressable_shards[0].data, dtype=np.float64),
                np.asarray(policy.addressable_shards[0].data, dtype=np.int64))
