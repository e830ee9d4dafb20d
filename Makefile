# Two commands on a fresh machine: `make test` and `make bench`. Both create .venv when missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HYPOTHESIS_PROFILE ?= $(if $(CI),ci,dev)

.PHONY: test venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[all]"
	touch $@

test: $(STAMP)
	$(PY) -m ruff check .
	HYPOTHESIS_PROFILE=$(HYPOTHESIS_PROFILE) $(PY) -m pytest -q

clean:
	rm -rf $(VENV) .asv .hypothesis .pytest_cache

# ---- benchmarks (asv) -------------------------------------------------------
# Tiers (benchmarks/tiers.py): full (make bench) and quick, the per-commit tier
# (make bench-quick, bench-history). scripts/bench.py adds progress and publishing.
ASV := $(VENV)/bin/asv
BENCHPY := $(PY) scripts/bench.py
HISTORY ?= 20
TIER ?= quick
BENCH ?=
MACHINE ?=
ASV_ARGS ?=
# BENCH reaches the scripts through the environment, so a regex's quotes survive.
export BENCH
RUN_OPTS = $(if $(BENCH),--bench "$$BENCH") $(if $(MACHINE),--machine '$(MACHINE)')

.PHONY: bench bench-quick bench-history publish breakdown preview regression-drill

# The main job: the whole suite on this checkout, in .venv, saved under HEAD, published.
# A failed benchmark is shown in the report, not a reason to withhold it: publish anyway.
bench: $(STAMP)
	-$(BENCHPY) run --tier full $(RUN_OPTS) -- $(ASV_ARGS)
	$(BENCHPY) publish $(if $(MACHINE),--machine '$(MACHINE)')

# The per-commit tier on this checkout (about 3 min), published.
bench-quick: $(STAMP)
	-$(BENCHPY) run --tier quick $(RUN_OPTS) -- $(ASV_ARGS)
	$(BENCHPY) publish $(if $(MACHINE),--machine '$(MACHINE)')

# The last $(HISTORY) commits on the quick tier, each built in asv's own virtualenv.
bench-history: $(STAMP)
	-$(BENCHPY) history --tier $(TIER) --commits $(HISTORY) $(RUN_OPTS) -- $(ASV_ARGS)
	$(BENCHPY) publish $(if $(MACHINE),--machine '$(MACHINE)')

publish: $(STAMP)
	$(BENCHPY) publish $(if $(MACHINE),--machine '$(MACHINE)')

# Where the last run's time went, per benchmark class.
breakdown: $(STAMP)
	$(BENCHPY) breakdown

# Paired A/B comparison of two commits, each built in asv's own virtualenv
# (scripts/compare.py): make compare BASE=main HEAD=HEAD [OUT=compare.json] [BENCH=regex].
# Exit status 1 only when a regression is confirmed, 2 when it could not run.
# make calibrate: thresholds for this machine from A/A runs (.asv/compare/).
BASE ?= main
HEAD ?= HEAD
OUT ?=

.PHONY: compare calibrate

compare: $(STAMP)
	$(PY) scripts/compare.py compare --base '$(BASE)' --head '$(HEAD)' $(if $(OUT),--out '$(OUT)') $(if $(BENCH),--bench "$$BENCH") $(if $(MACHINE),--machine '$(MACHINE)')

calibrate: $(STAMP)
	$(PY) scripts/compare.py calibrate $(if $(BENCH),--bench "$$BENCH") $(if $(MACHINE),--machine '$(MACHINE)')

preview: $(STAMP)
	$(ASV) preview --port 8080

# Measures scripts/compare.py in a temporary clone, under a random background load:
# $(RUNS) comment-only (A/A) and $(RUNS) one-variant x1.25 slowdown (A/B) commits; reports
# false alarms, detections and benchmarks flagged that were not slowed
# (scripts/regression_drill.py). Exit status 1 when the targets are missed, 2 when a
# comparison could not run.
RUNS ?= 20

regression-drill: $(STAMP)
	$(PY) scripts/regression_drill.py --runs $(RUNS) $(if $(BENCH),--bench "$$BENCH")
