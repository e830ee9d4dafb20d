#!/usr/bin/env bash
# The mutation check of the kernels and the decision rule (issue 32; not in CI: an hour or
# more on two cores). `make mutation` runs it; the report is tools/mutation-report.md
# (and .json, merged per module, so modules can be run one at a time).
#
#   tools/mutation.sh                                   # every module, every mutant
#   SAMPLE=80 tools/mutation.sh                         # a seeded sample per module
#   MODULES=vfi/solvers.py JOBS=2 tools/mutation.sh     # one module, two workers
#   FUNCTIONS="vfi/solvers.py:solve_fixed_point" MODULES=vfi/solvers.py tools/mutation.sh
#
# How it stays bounded:
# * The snapshot: `git archive` of HEAD (REV) into $WORK/tree; cosmic-ray mutates that copy
#   in place, never this checkout. $WORK/pristine keeps the unmutated modules.
# * No compiling: mutants run with NUMBA_DISABLE_JIT=1, so the njit kernels run as their
#   Python source and a mutant costs no compile. The survivors only (of the confirm step
#   too), and of them only those inside an njit function, are run again compiled
#   (tools/mutation_report.py compiled, COMPILED=0 to skip): a mutant the compiled run kills
#   is a difference between the kernels and their source that the Python run cannot see.
#   A compiled re-run costs the compile of every kernel its tests call (minutes here).
# * The tests of each mutant from coverage, not by hand: one coverage pass of the test pool
#   (tools/mutation_plugin.py records each test's node id as its coverage context, its
#   duration and outcome, and stops a test past TEST_LIMIT seconds); a mutant runs the tests
#   that execute its statement, fastest first, up to BUDGET seconds of measured time, -x.
#   The pass is kept in $WORK/coverage-<commit> and reused for the same commit.
# * A time limit per mutant (TIMEOUT seconds; a mutant past it is killed: a hang).
# * JOBS workers: 1 runs cosmic-ray's local distributor; more run that many cosmic-ray
#   http-workers, each in its own copy of the snapshot (the machine's cores: JOBS=$(nproc)).
# * SAMPLE=N: per module N mutants, one of every function first, then uniform (SEED).
# * The confirm step (CONFIRM=1): the survivors are run once more against every property
#   test (tests/test_prop_*.py) of CONFIRM_REV (default the checkout's HEAD when the step
#   starts), whatever the coverage selection gave them: property tests written for the
#   survivors of a run kill them without a new coverage pass (the report names the commit).
#   A property test that fails on the unmutated snapshot is left out (and named).
# COVERAGE_MODULES (default MODULES): the modules the coverage pass measures; a run of
# fewer MODULES with the same COVERAGE_MODULES, REV and WORK reuses a pass already made.
# The test pool: the library's tests (tests/test_*.py) for vfi/, and the tracker's test
# files that import the module for vfi_bench/, less the tests KEYWORDS deselects (default
# the JAX variants: XLA compiles cost minutes under coverage and JAX code runs none of
# these modules; EXAMPLES Hypothesis examples per property test, the profile "mutation"). Operators that only break types or code
# that is not a kernel decision are left out (EXCLUDE adds more, as a TOML list tail).
set -euo pipefail
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
PY=${PY:-$ROOT/.venv/bin/python}
BIN=$(dirname "$PY")
WORK=${WORK:-/tmp/vfi-mutation}
REV=${REV:-HEAD}
JOBS=${JOBS:-1}
SAMPLE=${SAMPLE:-0}
SEED=${SEED:-0}
TIMEOUT=${TIMEOUT:-180}
TEST_LIMIT=${TEST_LIMIT:-5}
KEYWORDS=${KEYWORDS:-"not jax"}
BUDGET=${BUDGET:-30}
EXAMPLES=${EXAMPLES:-10}
COMPILED=${COMPILED:-1}
COMPILED_TIMEOUT=${COMPILED_TIMEOUT:-900}
CONFIRM=${CONFIRM:-1}
CONFIRM_REV=${CONFIRM_REV:-}
FUNCTIONS=${FUNCTIONS:-}
EXCLUDE=${EXCLUDE:-}
NICE=${NICE:-10}
REPORT=${REPORT:-$ROOT/tools/mutation-report}
MODULES=${MODULES:-"vfi/solvers.py vfi/cake/numba.py vfi/cake/maxplus.py vfi/family/numba.py
vfi_bench/asvkit/stats.py"}
export HYPOTHESIS_PROFILE=mutation MUTATION_EXAMPLES=$EXAMPLES PYTHONDONTWRITEBYTECODE=1

COMMIT=$(git -C "$ROOT" rev-parse --short "$REV")
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
rm -rf "$WORK/tree" "$WORK/pristine" "$WORK"/worker-* "$WORK/jit"
mkdir -p "$WORK/tree"
git -C "$ROOT" archive "$REV" vfi vfi_bench tests pyproject.toml | tar -x -C "$WORK/tree"
cp -r "$WORK/tree" "$WORK/pristine"
TREE=$WORK/tree
export PYTHONPATH="$TREE:$ROOT/tools" VFI_CACHE_DIR="$WORK/.cache"
log() { echo "mutation: $(date -u +%H:%M:%S) $*"; }

# ---- the coverage pass (once per commit) -------------------------------------------
pool=()
include=()
for module in ${COVERAGE_MODULES:-$MODULES}; do
  include+=("$module")
  case $module in
    vfi/*) for f in "$TREE"/tests/test_*.py; do pool+=("tests/${f##*/}"); done ;;
    *) name=$(basename "$module" .py)
       for f in "$TREE"/tests/tracker/test_*.py; do
         if grep -qE "import .*\b$name\b|\.$name import|\.$name\b" "$f"; then
           pool+=("tests/tracker/${f##*/}")
         fi
       done ;;
  esac
done
mapfile -t pool < <(printf '%s\n' "${pool[@]}" | sort -u)
COV=$WORK/coverage-$COMMIT-$(echo "${include[*]}" | cksum | cut -d' ' -f1)
if [[ ! -f $COV/done || $(cat "$COV/done") != "${include[*]}" ]]; then
  log "coverage pass over ${#pool[@]} test files (each test at most ${TEST_LIMIT} s)"
  rm -rf "$COV" && mkdir -p "$COV"
  start=$SECONDS
  (cd "$TREE" && NUMBA_DISABLE_JIT=1 MUTATION_TEST_LIMIT=$TEST_LIMIT \
    MUTATION_TESTS_JSON="$COV/tests.json" nice -n "$NICE" "$PY" -m coverage run \
    --data-file="$COV/.coverage" --include="$(IFS=,; echo "${include[*]}")" \
    -m pytest -q --tb=native -p no:cacheprovider -p mutation_plugin -k "$KEYWORDS" "${pool[@]}" > "$COV/pytest.log" 2>&1) || status=$?
  echo "$((SECONDS - start))" > "$COV/seconds"
  # 0 or 1 (some tests fail uncompiled or past TEST_LIMIT: left out of the selection)
  if (( ${status:-0} > 1 )) || grep -q INTERNALERROR "$COV/pytest.log"; then
    log "the coverage pass stopped (status ${status:-0}): $COV/pytest.log"; exit 1
  fi
  echo "${include[*]}" > "$COV/done"
  log "coverage pass: $(cat "$COV/seconds") s; $(tail -n 1 "$COV/pytest.log")"
fi

# ---- the workers --------------------------------------------------------------------
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
DISTRIBUTOR='name = "local"'
if (( JOBS > 1 )); then
  urls=()
  for ((w = 1; w <= JOBS; w++)); do
    port=$((9870 + w))
    cp -r "$WORK/pristine" "$WORK/worker-$w"
    (cd "$WORK/worker-$w" && exec nice -n "$NICE" "$BIN/cosmic-ray" http-worker \
      --port "$port" > "$WORK/worker-$w.log" 2>&1) &
    pids+=($!)
    urls+=("'http://localhost:$port'")
  done
  DISTRIBUTOR="name = \"http\"
[cosmic-ray.distributor.http]
worker-urls = [$(IFS=,; echo "${urls[*]}")]"
  sleep 3
fi

# ---- one session per module ---------------------------------------------------------
for module in $MODULES; do
  slug=$(echo "$module" | tr '/.' '__')
  session=$WORK/$slug.sqlite
  rm -f "$session" "$WORK/$slug.compiled.json" "$WORK/$slug.confirmed.json"
  cat > "$WORK/$slug.toml" <<TOML
[cosmic-ray]
module-path = "$module"
timeout = $TIMEOUT
excluded-modules = []
test-command = "nice -n $NICE $PY $ROOT/tools/mutation_runner.py $WORK/$slug.selection.json $WORK/pristine"

[cosmic-ray.distributor]
$DISTRIBUTOR

[cosmic-ray.filters.operators-filter]
# njit decorators (removing one changes only the speed), exception types, and operators
# that only turn numbers into type errors (bitwise, shifts, @, the unary ~)
exclude-operators = ["core/RemoveDecorator", "core/ExceptionReplacer",
                     "core/ReplaceBinaryOperator_.*_(BitAnd|BitOr|BitXor|LShift|RShift|Pow|MatMult)",
                     "core/ReplaceUnaryOperator_.*_(Invert)"$EXCLUDE]
TOML
  start=$SECONDS
  (cd "$TREE" && "$BIN/cosmic-ray" init "$WORK/$slug.toml" "$session" \
     && "$BIN/cr-filter-operators" "$session" "$WORK/$slug.toml")
  # shellcheck disable=SC2086
  (cd "$TREE" && "$PY" "$ROOT/tools/mutation_filter.py" "$session" --tree "$TREE" \
     --sample "$SAMPLE" --seed "$SEED" --summary "$WORK/$slug.summary.json" \
     --coverage "$COV/.coverage" --tests "$COV/tests.json" --budget "$BUDGET" \
     --selection "$WORK/$slug.selection.json" --modules "$module" \
     ${FUNCTIONS:+--functions $FUNCTIONS})
  log "$module: exec"
  (cd "$TREE" && "$BIN/cosmic-ray" exec "$WORK/$slug.toml" "$session")
  exec_seconds=$((SECONDS - start))
  if [[ $CONFIRM == 1 ]]; then
    rev=$(git -C "$ROOT" rev-parse --short "${CONFIRM_REV:-HEAD}")
    rm -rf "$WORK/confirm" && cp -r "$WORK/pristine" "$WORK/confirm"
    # the property tests of the module's package: vfi/ ones import vfi, vfi_bench/ ones
    # name the module
    case $module in
      vfi/*) pattern='^(import|from) vfi\b' ;;
      *) name=$(basename "$module" .py); pattern="import .*\b$name\b|\.$name import|\.$name\b" ;;
    esac
    props=()
    for f in $(git -C "$ROOT" ls-tree --name-only "$rev" tests/ | grep '^tests/test_prop_.*\.py$' || true); do
      if git -C "$ROOT" show "$rev:$f" | grep -qE "$pattern"; then
        git -C "$ROOT" show "$rev:$f" > "$WORK/confirm/$f"
        props+=("$f")
      fi
    done
    if (( ${#props[@]} )); then
      log "$module: confirm step, the survivors against ${props[*]} of $rev"
      (cd "$WORK/confirm" && nice -n "$NICE" "$PY" "$ROOT/tools/mutation_report.py" confirm \
        "$session" --tree "$WORK/confirm" --pristine "$WORK/pristine" --tests "${props[@]}" \
        --rev "$rev" --timeout "$TIMEOUT" --out "$WORK/$slug.confirmed.json") \
        || log "$module: the confirm step stopped (see above); its survivors stay"
    fi
  fi
  if [[ $COMPILED == 1 ]]; then
    rm -rf "$WORK/jit" && cp -r "$WORK/pristine" "$WORK/jit"
    log "$module: compiled re-run of the survivors"
    (cd "$WORK/jit" && VFI_CACHE_DIR="$WORK/jit/.cache" PYTHONPATH="$WORK/jit:$ROOT/tools" \
      nice -n "$NICE" "$PY" "$ROOT/tools/mutation_report.py" compiled "$session" \
      --tree "$WORK/jit" --pristine "$WORK/pristine" --selection "$WORK/$slug.selection.json" \
      --timeout "$COMPILED_TIMEOUT" --out "$WORK/$slug.compiled.json" \
      --confirmed "$WORK/$slug.confirmed.json")
  fi
  seconds=$((SECONDS - start))
  "$PY" "$ROOT/tools/mutation_report.py" report "$session" --module "$module" --tree "$TREE" \
    --summary "$WORK/$slug.summary.json" --compiled "$WORK/$slug.compiled.json" \
    --seconds "$seconds" --equivalent "$ROOT/tools/mutation-equivalent.json" \
    --json "$REPORT.json" --md "$REPORT.md" --commit "$COMMIT" \
    --date "$(date -u +%Y-%m-%d)" --confirmed "$WORK/$slug.confirmed.json" \
    --coverage-id "${COV##*/}" --coverage-seconds "$(cat "$COV/seconds")" \
    --command "make mutation${SAMPLE:+ SAMPLE=$SAMPLE} SEED=$SEED JOBS=$JOBS" \
    --note "JOBS=$JOBS SAMPLE=$SAMPLE SEED=$SEED TIMEOUT=$TIMEOUT BUDGET=$BUDGET EXAMPLES=$EXAMPLES; MODULES run together: ${MODULES//$'\n'/ }; uncompiled run ${exec_seconds} s, with the compiled re-run and the confirm step ${seconds} s; coverage pass $(cat "$COV/seconds") s (shared by the modules run together)"
done
log "report: $REPORT.md"
