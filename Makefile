# Two commands on a fresh machine: `make test` and `make bench`. Both create .venv when missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HYPOTHESIS_PROFILE ?= $(if $(CI),ci,dev)
# HYPOTHESIS_SEED=N draws the property tests' examples from seed N (CI is run under several).
HYPOTHESIS_SEED ?=

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
	HYPOTHESIS_PROFILE=$(HYPOTHESIS_PROFILE) $(PY) -m pytest -q \
		$(if $(HYPOTHESIS_SEED),--hypothesis-seed=$(HYPOTHESIS_SEED))

clean:
	rm -rf $(VENV) .asv .hypothesis .pytest_cache

# The mutation check (issue 32): cosmic-ray on a snapshot of HEAD, the kernels uncompiled
# (NUMBA_DISABLE_JIT=1), each mutant's tests from a coverage pass, the survivors re-run
# compiled; report in tools/mutation-report.md. An hour or more: not part of make test or
# CI. Options (tools/mutation.sh says more): JOBS=2 (workers; default 1), SAMPLE=N (a
# seeded sample of N mutants per module), MODULES="vfi/solvers.py ...".
.PHONY: mutation
mutation: $(STAMP)
	$(PY) -m pip install -q cosmic-ray coverage
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

# Serves the published report on 127.0.0.1:8080 (this machine only); it opens on the
# front page, vfi.html. Ctrl-C stops the server.
preview: $(STAMP)
	@test -f .asv/html/vfi.html || { echo "No report yet: make bench-quick or make bench publishes it" >&2; exit 2; }
	@echo "Open http://127.0.0.1:8080/vfi.html (the front page; asv's pages: http://127.0.0.1:8080/index.html)"
	$(PY) -m http.server 8080 --bind 127.0.0.1 --directory .asv/html

# Paired A/B comparison of two commits, each built in asv's own virtualenv:
#   make compare BASE=main HEAD=HEAD [OUT=compare.json] [BENCH=regex] [STATUS_FILE=path]
# compare's exit status: 0 no regression, 1 a regression (a point regressed, or runs on
# the base and fails, crashes or times out on the head), 2 it could not run, 3 could be
# a regression, not proven (a point inconclusive past its threshold); the first that
# applies, in the order 2, 1, 3, 0.
# make turns any failing recipe into its own status 2, and exits 1 only in question mode
# (-q: "not up to date"), where it still runs the recipe lines marked '+' and passes
# their status 1 through. So a goal whose status carries meaning (compare, calibrate,
# regression-drill) puts make in question mode and runs its recipe as one '+' line,
# making the venv itself when it is missing (COMPARE is the command; tests replace it).
# make itself can exit only 0, 1 or 2: a 3 leaves make as 1 (the gate fails closed), and
# STATUS_FILE=path gets the command's own status, 3 included, for a CI that tells them
# apart (or run .venv/bin/python -m vfi_bench compare ..., which exits 3 itself).
BASE ?= main
HEAD ?= HEAD
OUT ?=
RUNS ?= 20
COMPARE_ARGS ?=
STATUS_FILE ?=
COMPARE = $(TRACKER) compare --base '$(BASE)' --head '$(HEAD)' $(if $(OUT),--out '$(OUT)') \
	$(RUN_OPTS) $(COMPARE_ARGS)
CALIBRATE = $(TRACKER) calibrate $(RUN_OPTS)
METRIC ?=
SLOWDOWN ?=
DRILL = $(TRACKER) drill --runs $(RUNS) $(if $(METRIC),--metric '$(METRIC)') \
	$(if $(SLOWDOWN),--slowdown '$(SLOWDOWN)') $(if $(BENCH),--bench "$$BENCH") $(MACHINE_OPT)
STATUS_GOALS := compare calibrate regression-drill

ifneq ($(filter $(STATUS_GOALS),$(MAKECMDGOALS)),)
ifneq ($(words $(MAKECMDGOALS)),1)
$(error $(STATUS_GOALS) carry meaning in their exit status: run them alone)
endif
MAKEFLAGS += -q
endif

# $(call with_status,COMMAND): the venv (made when missing), then COMMAND; its status
# written to STATUS_FILE when set, and exited with, 3 as 1.
with_status = test -f $(STAMP) || $(MAKE) -s MAKEFLAGS= venv >&2 || exit 2; \
	( $(1) ); status=$$?; $(if $(STATUS_FILE),echo $$status > '$(STATUS_FILE)';) \
	if [ $$status -eq 3 ]; then echo "make: exit status 3 (could be a regression, not \
	proven) exits make as 1$(if $(STATUS_FILE),; $(STATUS_FILE) holds the 3)" >&2; \
	status=1; fi; exit $$status

.PHONY: compare calibrate regression-drill

compare:
	+@$(call with_status,$(COMPARE))

# Flag floors for this machine from A/A runs (stats.floor_from_aa; .asv/compare/
# thresholds-<machine>.json, key "floors"), read by every later compare.
calibrate:
	+@$(call with_status,$(CALIBRATE))

# Measures compare in a temporary clone, under a random background load: $(RUNS)
# comment-only (A/A) and $(RUNS) one-variant x1.25 slowdown (A/B) commits (every entry
# point of the variant slowed, the default call's compiled path included); reports false
# alarms, detections and benchmarks flagged that were not slowed. Exit status 1 when the
# targets are missed, 2 when a comparison could not run. SLOWDOWN=f sets the factor.
# METRIC=instructions: the A/B commits do honest extra work (f times the steps) in one CPU
# variant or the default call's path, judged by instruction counts (bench_instructions):
#   make regression-drill METRIC=instructions SLOWDOWN=1.05 RUNS=20
regression-drill:
	+@$(call with_status,$(DRILL))
