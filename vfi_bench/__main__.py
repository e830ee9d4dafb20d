"""``python -m vfi_bench COMMAND ...``: one entry point for the tracker (see the package)."""
import contextlib
import sys

USAGE = """usage: python -m vfi_bench COMMAND [options]

  run | history | publish | breakdown   the suite by tier, and the published report
  compare | calibrate | show            paired A/B comparison of two commits (exit 1 on a
                                        regression, 2 when it could not run, 3 when it
                                        could be a regression, not proven)
  drill                                 A/A and A/B comparisons: does compare catch x1.25?
  afv                                   the growth model's paper table: every variant and
                                        method against the C++ baseline
  frontpage                             rewrite the report's front page
  vendor                                make a published report open without internet

'python -m vfi_bench COMMAND --help' describes each."""


PROG = "python -m vfi_bench"


@contextlib.contextmanager
def _program_name(name: str):
    """argparse names a parser built without ``prog`` after ``sys.argv[0]``
    (``__main__.py`` here); the commands' parsers are built inside this."""
    saved = sys.argv[:1]
    sys.argv[:1] = [name]
    try:
        yield
    finally:
        sys.argv[:1] = saved


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else ""
    # compare's parser has the commands as subparsers; the others parse what follows theirs
    name = PROG if command in ("compare", "calibrate", "show") else f"{PROG} {command}"
    with _program_name(name):
        return _dispatch(command, argv)


def _dispatch(command: str, argv: list[str]) -> int:
    if command in ("run", "history", "publish", "breakdown"):
        from vfi_bench import runner

        return runner.main(argv)
    if command in ("compare", "calibrate", "show"):
        from vfi_bench import tiers
        from vfi_bench.asvkit import compare

        return compare.main(argv, default_bench=tiers.regex("gate"))
    if command in ("drill", "frontpage", "vendor", "afv"):
        from vfi_bench import cpp_baseline, drill, frontpage
        from vfi_bench.asvkit import vendor

        modules = {"drill": drill, "frontpage": frontpage, "vendor": vendor, "afv": cpp_baseline}
        extra = frontpage.VENDOR_ARGS if command == "vendor" else []  # asvkit names no project
        return modules[command].main([*extra, *argv[1:]])
    print(USAGE, file=sys.stderr if command not in ("-h", "--help") else sys.stdout)
    return 0 if command in ("-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main())
