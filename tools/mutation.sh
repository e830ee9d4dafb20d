#!/usr/bin/env bash
# A bounded mutation run of the kernels with cosmic-ray (not in CI; see issue 23).
#
#   tools/mutation.sh                 # the default functions below, the fast selection
#   FUNCTIONS="vfi/solvers.py:solve_fixed_point" tools/mutation.sh
#
# cosmic-ray mutates files in place, so the run works on a copy of vfi/ and tests/ in
# $WORK (default /tmp/vfi-mutation), imported through PYTHONPATH, never on this checkout.
# Numba recompiles per mutant (the compile cache is keyed on the package's source), so the
# run is bounded: only the functions in FUNCTIONS are mutated, only the operators that
# change a kernel's decisions or arithmetic, and each mutant runs a fast pytest selection
# (-x: a killed mutant stops at its first failure) with its own cache folder in $WORK.
# Needs: pip install cosmic-ray (into .venv). Report: cr-report $WORK/session.sqlite.
#   EXCLUDE=', "core/ReplaceBinaryOperator_.*"' tools/mutation.sh   # fewer operators
set -euo pipefail
EXCLUDE=${EXCLUDE:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PY:-$ROOT/.venv/bin/python}
BIN=$(dirname "$PY")
WORK=${WORK:-/tmp/vfi-mutation}
TIMEOUT=${TIMEOUT:-240}
FUNCTIONS=${FUNCTIONS:-"vfi/cake/numba.py:_step_concave_table vfi/cake/numba.py:_iterate_loops
vfi/family/numba.py:first_max vfi/family/numba.py:_scan_column
vfi/family/numba.py:_envelope_scan_column vfi/family/numba.py:divide
vfi/cake/maxplus.py:_bands vfi/solvers.py:solve_fixed_point vfi/solvers.py:macqueen_porteus
vfi/solvers.py:span_midpoint vfi/solvers.py:result"}
# The fast selection: the exact-tie, stopping and max-plus tests on the numba variants.
SELECTION=${SELECTION:-"tests/test_ties.py tests/test_stopping.py tests/test_maxplus.py"}
KEYWORDS=${KEYWORDS:-"(numba-loops or numba-monotone or numba-concave or numba-maxplus or numba-brute or issue or exact or agrees_with_brute or engines) and not parallel and not jax"}

rm -rf "$WORK"
mkdir -p "$WORK"
cp -r "$ROOT/vfi" "$ROOT/tests" "$ROOT/pyproject.toml" "$WORK/"
cd "$WORK"
cat > run_tests.sh <<SH
cd "$WORK"
export PYTHONPATH="$WORK" VFI_CACHE_DIR="$WORK/.cache" HYPOTHESIS_PROFILE=dev
exec "$PY" -m pytest -x -q -p no:cacheprovider $SELECTION -k "$KEYWORDS"
SH
cat > mutation.toml <<TOML
[cosmic-ray]
module-path = ["vfi/family/numba.py", "vfi/cake/numba.py", "vfi/cake/maxplus.py",
               "vfi/solvers.py"]
timeout = $TIMEOUT
excluded-modules = []
test-command = "bash $WORK/run_tests.sh"

[cosmic-ray.distributor]
name = "local"

[cosmic-ray.filters.operators-filter]
# decorators (njit), exceptions and string/keyword rewrites change no kernel decision
exclude-operators = ["core/RemoveDecorator", "core/ExceptionReplacer",
                     "core/ReplaceBinaryOperator_.*_(BitAnd|BitOr|BitXor|LShift|RShift|Pow|MatMult)",
                     "core/ReplaceUnaryOperator_.*_(Invert)"$EXCLUDE]
TOML
"$BIN/cosmic-ray" init mutation.toml session.sqlite
"$BIN/cr-filter-operators" session.sqlite mutation.toml
# shellcheck disable=SC2086
"$PY" "$ROOT/tools/mutation_filter.py" session.sqlite $FUNCTIONS
"$BIN/cosmic-ray" exec mutation.toml session.sqlite
"$BIN/cr-report" --show-pending session.sqlite | tail -n 40
