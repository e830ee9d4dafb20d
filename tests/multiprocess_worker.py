"""One process of a multi-process JAX run on one machine (started by multiprocess_harness).

    python tests/multiprocess_worker.py --port P --processes N --process-id I \\
        [--devices 2] [--cases cake,growth,savings] [--out DIR] [--inject wrong|exit|hang]

Each process gives itself ``--devices`` simulated CPU devices (XLA_FLAGS, before JAX is
imported), selects JAX's gloo CPU collectives, joins the others through
``jax.distributed.initialize`` with the coordinator on 127.0.0.1:P (process 0 runs it),
and runs the same jax-sharded calls as every other process: cake eating's on
``linspace(0.1, 1, 1001)``, and the family's on a growth and a savings model (see
:func:`cases`). It writes what it got to ``DIR/process-I.npz``.

``--inject`` exists to test the harness: ``wrong`` adds a small error to this process's
results, ``exit`` exits with status 3 before joining, ``hang`` never joins.
"""
import argparse
import os
import sys
import time


def arguments(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--processes", type=int, required=True)
    parser.add_argument("--process-id", type=int, required=True)
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--cases", default="cake,growth,savings")
    parser.add_argument("--out", default=".")
    parser.add_argument("--inject", choices=("wrong", "exit", "hang"))
    parser.add_argument("--init-timeout", type=int, default=60)
    return parser.parse_args(argv)


def cases():
    """``{name: (call, reference)}``: the jax-sharded call every process makes, and the
    single-process answer it must equal (the parent computes the references)."""
    import numpy as np

    import vfi
    import vfi.growth as growth
    import vfi.savings as savings

    family_oracle = "numba-brute" if "numba-brute" in growth.variants() else "numpy-blocked"
    grid = np.linspace(0.1, 1.0, 1001)
    capital = growth.afv2015(203)
    capital_v0 = np.log(capital.grid)[:, None] + np.arange(capital.m)[None, :]
    y = np.linspace(0.5, 1.5, 7)
    P = 0.7 * np.eye(7) + 0.3 / 7
    wealth = savings.OptimalSavings(R=1.01, beta=0.96, gamma=2.0,
                                    grid=np.linspace(0.01, 5.0, 101), y=y, P=P)

    def cake(variant):
        return vfi.iterate(grid, 0.95, 20, variant=variant, return_policy=True)

    def member(api, model, steps, v0=None):
        return lambda variant: api.iterate(model, steps, variant=variant, v0=v0,
                                           return_policy=True)

    return {"cake": (cake, "numpy-broadcast"),
            "growth": (member(growth, capital, 10, capital_v0), family_oracle),
            "savings": (member(savings, wealth, 10), family_oracle)}


def main(argv=None):
    args = arguments(argv)
    if args.inject == "exit":
        sys.exit(3)
    if args.inject == "hang":
        while True:
            time.sleep(1)
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={args.devices}"
    os.environ["JAX_PLATFORMS"] = "cpu"
    import jax

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address=f"127.0.0.1:{args.port}",
                               num_processes=args.processes, process_id=args.process_id,
                               initialization_timeout=args.init_timeout)
    import numpy as np

    assert jax.process_count() == args.processes, jax.process_count()
    assert len(jax.local_devices()) == args.devices, jax.local_devices()
    assert len(jax.devices()) == args.processes * args.devices, jax.devices()
    results = {"devices": np.int64(len(jax.devices()))}
    table = cases()
    for name in args.cases.split(","):
        value, policy = table[name][0]("jax-sharded")
        if args.inject == "wrong":
            value = value + 1e-9 * np.max(np.abs(value))
        results[f"{name}_value"], results[f"{name}_policy"] = value, policy
    path = os.path.join(args.out, f"process-{args.process_id}.npz")
    np.savez(path + ".tmp.npz", **results)
    os.replace(path + ".tmp.npz", path)
    jax.distributed.shutdown()


if __name__ == "__main__":
    main()
