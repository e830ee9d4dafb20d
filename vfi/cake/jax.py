"""Cake-eating kernels in JAX, always traced and run in float64.

Unlike the notebook's version, infeasible choices (x_j > x_i) are masked to -inf
instead of entering at utility ``sqrt(max(x_i - x_j, 0)) = 0``, and the steps run
inside the compiled function (``lax.fori_loop``), not unrolled into the trace.

Three layouts of the same brute-force step:

- ``jax-vmap``: vmap over states; XLA materialises the (state, choice) array, n x n.
  It refuses sizes whose working set would not fit in the memory left on its device.
- ``jax-blocked``: ``lax.map`` over blocks of states, O(n x block) memory.
- ``jax-sharded``: the states split across every device JAX sees (one process or many,
  through ``jax.distributed``), each device running the blocked step on its share and
  the new value vector gathered to all of them after every step.

Nothing here assumes a CPU: the default device (or the ``device``/``devices`` given) is
used, and a GPU reports its free memory to the ``jax-vmap`` guard.
"""
from __future__ import annotations

import functools
import os

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from vfi.compile_cache import configure_jax

configure_jax()

# --- jax-vmap ---------------------------------------------------------------------------


def _greedy_vmap(grid, beta, v):
    def one_state(x):
        feasible = grid <= x
        candidates = jnp.where(feasible, jnp.sqrt(jnp.where(feasible, x - grid, 0.0)) + beta * v,
                               -jnp.inf)
        best = jnp.argmax(candidates)
        return candidates[best], best

    return jax.vmap(one_state)(grid)


@jax.jit
def _iterate_vmap(grid, beta, v, num_iter):
    def body(_, carry):
        return _greedy_vmap(grid, beta, carry[0])

    policy = jnp.zeros(grid.shape, dtype=jnp.int64)
    return lax.fori_loop(0, num_iter, body, (v, policy))


#: Bytes of XLA scratch per (state, choice) pair in ``jax-vmap``: the float64 candidates,
#: their gathered copy and the feasibility mask (XLA's ``memory_analysis`` reports
#: 17 n^2 + O(n); tests/test_jax_scale.py checks this constant against it).
VMAP_BYTES_PER_PAIR = 17


def vmap_working_set_bytes(n: int) -> int:
    """Scratch memory ``jax-vmap`` needs for a grid of n points (plus n-vectors)."""
    return VMAP_BYTES_PER_PAIR * n * n + 64 * n


def _host_available_bytes() -> int | None:
    """Memory this process can still get on the host: MemAvailable, capped by a cgroup."""
    available = None
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
    except OSError:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return None
    try:
        with open("/sys/fs/cgroup/memory.max") as limit, \
                open("/sys/fs/cgroup/memory.current") as used:
            cap = limit.read().strip()
            if cap != "max":
                left = int(cap) - int(used.read())
                available = left if available is None else min(available, left)
    except (OSError, ValueError):
        pass
    return available


def available_bytes(device) -> int | None:
    """Free memory on ``device``: its allocator's limit less what is in use (GPU, TPU), or
    the host's available memory (CPU devices report no statistics); None if unknown."""
    stats = device.memory_stats() if hasattr(device, "memory_stats") else None
    if stats and "bytes_limit" in stats:
        return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))
    return _host_available_bytes()


def check_vmap_fits(n: int, device) -> None:
    """MemoryError, before anything is allocated, when ``jax-vmap``'s n x n working set
    would not fit in the memory left on ``device``."""
    need = vmap_working_set_bytes(n)
    limit = available_bytes(device)
    if limit is not None and need > limit:
        raise MemoryError(
            f"jax-vmap at n={n} needs about {need / 2**30:.2f} GiB for its n x n working set "
            f"({VMAP_BYTES_PER_PAIR} bytes per (state, choice) pair), over the limit of "
            f"{limit / 2**30:.2f} GiB available on {device}; use jax-blocked, whose memory "
            f"is O(n x block)")


def _device_or_default(device):
    return jax.devices()[0] if device is None else device


def iterate_vmap(grid, beta, v, num_iter, *, device=None):
    """vmap over states of a masked max, ``num_iter`` steps in one ``jit`` (n x n working set).

    .. math:: v_{k+1}(x_i) = \\max_{j:\\, x_j \\le x_i} \\sqrt{x_i - x_j} + \\beta v_k(x_j)

    Parameters
    ----------
    grid : ndarray of float64, strictly increasing
    beta : float, in (0, 1)
    v : ndarray of float64, same shape as grid (not modified)
    num_iter : int, >= 1
    device : jax.Device, optional
        Where to run; default JAX's default device.

    Returns
    -------
    value : ndarray of float64
    policy : ndarray of int64, the first maximiser of the last step

    Raises
    ------
    MemoryError
        When ``vmap_working_set_bytes(n)`` exceeds the memory available on the device.
    """
    device = _device_or_default(device)
    check_vmap_fits(grid.size, device)
    with jax.enable_x64(True):
        grid_d, v_d = jax.device_put((grid, v), device)
        value, policy = _iterate_vmap(grid_d, jnp.float64(beta), v_d, num_iter)
        return _to_numpy(value, policy)


def _to_numpy(value, policy):
    value, policy = jax.block_until_ready((value, policy))
    return np.asarray(value, dtype=np.float64), np.asarray(policy, dtype=np.int64)


# --- jax-blocked ------------------------------------------------------------------------

#: (state, choice) pairs evaluated at once: 2^21 pairs, about 36 MB of scratch per block.
BLOCK_PAIRS = 1 << 21


def block_rows(n: int, rows: int | None = None) -> int:
    """States per block so that a block holds at most :data:`BLOCK_PAIRS` pairs (>= 1),
    and no more than the ``rows`` states to be covered."""
    rows = n if rows is None else rows
    return max(1, min(rows, BLOCK_PAIRS // max(n, 1)))


def _greedy_rows(grid, states, beta, v):
    """Max and first maximiser over the grid for each of ``states`` (one row each)."""
    gap = states[:, None] - grid[None, :]
    feasible = gap >= 0.0
    candidates = jnp.where(feasible, jnp.sqrt(jnp.where(feasible, gap, 0.0)) + beta * v,
                           -jnp.inf)
    return jnp.max(candidates, axis=1), jnp.argmax(candidates, axis=1)


def _greedy_blocked(grid, states, beta, v, block):
    """The greedy step for ``states`` (a multiple of ``block`` of them), block by block."""
    value, policy = lax.map(lambda rows: _greedy_rows(grid, rows, beta, v),
                            states.reshape(-1, block))
    return value.reshape(-1), policy.reshape(-1)


def _padded(grid, size):
    """The grid extended to ``size`` states by repeating its last point; the extra rows
    are valid states whose results are dropped."""
    return jnp.pad(grid, (0, size - grid.size), mode="edge")


@functools.partial(jax.jit, static_argnames=("block",))
def _iterate_blocked(grid, beta, v, num_iter, block):
    n = grid.size
    states = _padded(grid, -(-n // block) * block)

    def step(values):
        value, policy = _greedy_blocked(grid, states, beta, values, block)
        return value[:n], policy[:n]

    return lax.fori_loop(1, num_iter, lambda _, carry: step(carry[0]), step(v))


def iterate_blocked(grid, beta, v, num_iter, *, block=None, device=None):
    """The brute-force step over blocks of states (``lax.map``): O(n x block) memory.

    .. math:: v_{k+1}(x_i) = \\max_{j:\\, x_j \\le x_i} \\sqrt{x_i - x_j} + \\beta v_k(x_j),
              \\quad i \\in \\text{block } b = 1, \\dots, \\lceil n / \\text{block} \\rceil

    The states are padded to a multiple of ``block`` with copies of the last one and the
    padded rows are dropped after every step.

    Parameters
    ----------
    grid, beta, v, num_iter
        As for :func:`iterate_vmap`.
    block : int, optional
        States per block; default :func:`block_rows` (at most 2^21 pairs per block).
    device : jax.Device, optional
        Where to run; default JAX's default device.

    Returns
    -------
    value : ndarray of float64
    policy : ndarray of int64
    """
    block = block_rows(grid.size) if block is None else block
    with jax.enable_x64(True):
        grid_d, v_d = jax.device_put((grid, v), _device_or_default(device))
        value, policy = _iterate_blocked(grid_d, jnp.float64(beta), v_d, num_iter, block)
        return _to_numpy(value, policy)


# --- jax-sharded ------------------------------------------------------------------------

#: The mesh axis along which the states are split.
STATES = "states"


def state_mesh(devices=None) -> Mesh:
    """A one-axis mesh over ``devices`` (default ``jax.devices()``: every device of every
    process once ``jax.distributed.initialize()`` has run)."""
    devices = jax.devices() if devices is None else list(devices)
    return Mesh(np.array(devices), (STATES,))


def shard_layout(n: int, num_devices: int) -> tuple[int, int]:
    """``(rows, block)``: states per device (n padded to ``num_devices * rows``) and states
    per block, ``rows`` a multiple of ``block``."""
    rows = -(-n // num_devices)
    block = block_rows(n, rows)
    return -(-rows // block) * block, block


@functools.lru_cache(maxsize=32)
def _sharded_program(mesh: Mesh, n: int):
    rows, block = shard_layout(n, mesh.size)

    def local(grid, beta, v, num_iter):
        # Every device holds the whole grid and value; it solves its own rows.
        states = lax.dynamic_slice(_padded(grid, rows * mesh.size),
                                   (lax.axis_index(STATES) * rows,), (rows,))

        def step(values):
            value, policy = _greedy_blocked(grid, states, beta, values, block)
            return lax.all_gather(value, STATES, tiled=True, to="invarying")[:n], policy

        value, policy = lax.fori_loop(1, num_iter, lambda _, carry: step(carry[0]), step(v))
        return value, lax.all_gather(policy, STATES, tiled=True, to="invarying")[:n]

    replicated = PartitionSpec()
    return jax.jit(jax.shard_map(local, mesh=mesh, in_specs=(replicated,) * 4,
                                 out_specs=(replicated, replicated)))


def _replicated(mesh, array):
    """A global array, the same on every device of ``mesh``, built from this process's copy
    (so the call is the same in one process and in many)."""
    array = np.asarray(array)
    return jax.make_array_from_callback(array.shape, NamedSharding(mesh, PartitionSpec()),
                                        lambda index: array[index])


def _local_copy(array):
    """This process's copy of a replicated global array, as NumPy."""
    return np.asarray(array.addressable_shards[0].data)


def iterate_sharded(grid, beta, v, num_iter, *, devices=None):
    """The blocked brute-force step with the states split across devices (``shard_map``).

    .. math:: v_{k+1}(x_i) = \\max_{j:\\, x_j \\le x_i} \\sqrt{x_i - x_j} + \\beta v_k(x_j),
              \\quad i \\in \\text{shard } d = 1, \\dots, D

    Device d solves states ``d * rows`` to ``(d + 1) * rows - 1`` of the grid padded with
    copies of its last point; after each step ``all_gather`` gives every device the
    whole new value. Under ``jax.distributed`` every process calls this with the same
    arguments and gets the whole result.

    Parameters
    ----------
    grid, beta, v, num_iter
        As for :func:`iterate_vmap`.
    devices : sequence of jax.Device, optional
        The devices to split across; default ``jax.devices()``.

    Returns
    -------
    value : ndarray of float64
    policy : ndarray of int64
    """
    mesh = state_mesh(devices)
    with jax.enable_x64(True):
        args = [_replicated(mesh, a) for a in (grid, np.float64(beta), v, np.int64(num_iter))]
        value, policy = jax.block_until_ready(_sharded_program(mesh, grid.size)(*args))
        return (_local_copy(value).astype(np.float64, copy=False),
                _local_copy(policy).astype(np.int64, copy=False))
