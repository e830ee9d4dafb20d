"""vfi_bench: the performance-regression tracker of vfi, built on airspeed velocity (asv).

    python -m vfi_bench run|history|publish|breakdown ...   the suite by tier, the report
    python -m vfi_bench compare|calibrate|show ...          paired A/B comparison of commits
    python -m vfi_bench drill ...                           does compare catch a slowdown?
    python -m vfi_bench frontpage ...                       the report's front page

Two layers, and the line between them is the point:

- :mod:`vfi_bench.asvkit`, generic to any asv project (nothing in it names vfi): the paired
  comparison in long-lived benchmark processes (:mod:`~vfi_bench.asvkit.compare`,
  :mod:`~vfi_bench.asvkit.worker`), its statistics (:mod:`~vfi_bench.asvkit.stats`), the
  calibration, and the report's vendoring (:mod:`~vfi_bench.asvkit.vendor`).
- About vfi: the tiers (:mod:`~vfi_bench.tiers`), the cost model of the budgets
  (:mod:`~vfi_bench.costs`), the growth model's C++ baseline and paper table
  (:mod:`~vfi_bench.cpp_baseline`), the runner and publishing (:mod:`~vfi_bench.runner`),
  the front page (:mod:`~vfi_bench.frontpage`) and the drill (:mod:`~vfi_bench.drill`).

Nothing here is imported by :mod:`vfi`; the benchmark suite (``benchmarks/``) imports
the cost model and the C++ baseline from the checkout it lives in.
"""
