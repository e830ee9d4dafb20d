# Two commands on a fresh machine: `make test` and `make bench`. Both create .venv when missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HYPOTHESIS_PROFILE ?= $(if $(CI),ci,dev)

.PHONY: test venv clean system-deps

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[all]"
	touch $@

# The system packages the tests need (Chromium and its driver, npm, Valgrind, g++):
# installed with apt-get as root or with password-less sudo, else it stops here naming
# the one command to run.
system-deps:
	bash tools/system-deps.sh

test: $(STAMP) system-deps
	$(PY) -m ruff check .
	HYPOTHESIS_PROFILE=$(HYPOTHESIS_PROFILE) $(PY) -m pytest -q

clean:
	rm -rf $(VENV) .asv .hypothesis .pytest_cache

# A bounded mutation run of the kernels (cosmic-ray on a copy; tools/mutation.sh says
# what it mutates and how to widen it). Minutes to hours: not part of make test or CI.
.PHONY: mutation
mutation: $(STAMP)
	$(PY) -m pip install -q cosmic-ray
	PY=$(PY) bash tools/mutation.sh

# ---- benchmarks (asv) -------------------------------------------------------
# The tracker is the package vfi_bench (python -m vfi_bench --help). Tiers
# (vfi_bench/tiers.py): full (make bench) and quick, the per-commit tier (make bench-quick,
# bench-history).
ASV := $(VENV)/bin/asv
TRACKER := $(PY) -m vfi_bench
HISTORY ?= 20
TIER ?= quick
BENCH ?=
MACHINE ?=
ASV_ARGS ?=
# BENCH reaches the tracker through the environment, so a regex's quotes survive.
export BENCH
RUN_OPTS = $(if $(BENCH),--bench "$$BENCH") $(if $(MACHINE),--machine '$(MACHINE)')
MACHINE_OPT = $(if $(MACHINE),--machine '$(MACHINE)')

.PHONY: bench bench-quick bench-history publish breakdown preview regression-drill

# The main job: the whole suite on this checkout, in .venv, saved under HEAD, published.
# A failed benchmark is shown in the report, not a reason to withhold it: publish anyway.
bench: $(STAMP)
	-$(TRACKER) run --tier full $(RUN_OPTS) -- $(ASV_ARGS)
	$(TRACKER) publish $(MACHINE_OPT)

# The per-commit tier on this checkout (under 150 s here), published.
bench-quick: $(STAMP)
	-$(TRACKER) run --tier quick $(RUN_OPTS) -- $(ASV_ARGS)
	$(TRACKER) publish $(MACHINE_OPT)

# The last $(HISTORY) commits on the quick tier, each built in asv's own virtualenv.
bench-history: $(STAMP)
	-$(TRACKER) history --tier $(TIER) --commits $(HISTORY) $(RUN_OPTS) -- $(ASV_ARGS)
	$(TRACKER) publish --check-steps $(MACHINE_OPT)

publish: $(STAMP)
	$(TRACKER) publish $(MACHINE_OPT)

# Where the last run's time went, per benchmark class.
breakdown: $(STAMP)
	$(TRACKER) breakdown

preview: $(STAMP)
	$(ASV) preview --port 8080

# Paired A/B comparison of two commits, each built in asv's own virtualenv:
#   make compare BASE=main HEAD=HEAD [OUT=compare.json] [BENCH=regex]
# Exit status 1 only when a regression is confirmed, 0 otherwise, 2 when it could not run.
# make turns any failing recipe into its own status 2, and exits 1 only in question mode
# (-q: "not up to date"), where it still runs the recipe lines marked '+' and passes
# their status 1 through. So a goal whose status carries meaning (compare, calibrate,
# regression-drill) puts make in question mode and runs its recipe as one '+' line,
# making the venv itself when it is missing (COMPARE is the command; tests replace it).
BASE ?= main
HEAD ?= HEAD
OUT ?=
RUNS ?= 20
COMPARE_ARGS ?=
COMPARE = $(TRACKER) compare --base '$(BASE)' --head '$(HEAD)' $(if $(OUT),--out '$(OUT)') \
	$(RUN_OPTS) $(COMPARE_ARGS)
CALIBRATE = $(TRACKER) calibrate $(RUN_OPTS)
DRILL = $(TRACKER) drill --runs $(RUNS) $(if $(BENCH),--bench "$$BENCH") $(MACHINE_OPT)
STATUS_GOALS := compare calibrate regression-drill

ifneq ($(filter $(STATUS_GOALS),$(MAKECMDGOALS)),)
ifneq ($(words $(MAKECMDGOALS)),1)
$(error $(STATUS_GOALS) carry meaning in their exit status: run them alone)
endif
MAKEFLAGS += -q
endif

.PHONY: compare calibrate regression-drill

compare:
	+@test -f $(STAMP) || $(MAKE) -s MAKEFLAGS= venv >&2 || exit 2; $(COMPARE)

# Thresholds for this machine from A/A runs (.asv/compare/thresholds-<machine>.json).
calibrate:
	+@test -f $(STAMP) || $(MAKE) -s MAKEFLAGS= venv >&2 || exit 2; $(CALIBRATE)

# Measures compare in a temporary clone, under a random background load: $(RUNS)
# comment-only (A/A) and $(RUNS) one-variant x1.25 slowdown (A/B) commits (every entry
# point of the variant slowed, the default call's compiled path included); reports false
# alarms, detections and benchmarks flagged that were not slowed. Exit status 1 when the
# targets are missed, 2 when a comparison could not run.
regression-drill:
	+@test -f $(STAMP) || $(MAKE) -s MAKEFLAGS= venv >&2 || exit 2; $(DRILL)
