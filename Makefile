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
	HYPOTHESIS_PROFILE=$(HYPOTHESIS_PROFILE) $(PY) -m pytest -q

clean:
	rm -rf $(VENV) .asv .hypothesis .pytest_cache

# ---- benchmarks (asv) -------------------------------------------------------
ASV := $(VENV)/bin/asv
HEAD_HASH = $$(git rev-parse HEAD)
EXISTING = existing:$(abspath $(PY))
BENCH ?= .
HISTORY ?= 10
ASV_ARGS ?=

.PHONY: bench bench-history preview regression-drill

# The main job: the whole suite on this checkout, in .venv, saved under HEAD, published.
bench: $(STAMP)
	$(ASV) machine --yes
	# A failed benchmark is shown in the report, not a reason to withhold it: publish anyway.
	-$(ASV) run -E $(EXISTING) --set-commit-hash $(HEAD_HASH) --bench '$(BENCH)' --show-stderr $(ASV_ARGS)
	$(ASV) publish
	$(PY) scripts/bench_report.py --commit $(HEAD_HASH)

# The last $(HISTORY) commits of main, each built in asv's own virtualenvs.
bench-history: $(STAMP)
	$(ASV) machine --yes
	$(ASV) run --skip-existing-commits --bench '$(BENCH)' $(ASV_ARGS) HEAD~$(HISTORY)..HEAD
	$(ASV) publish

preview: $(STAMP)
	$(ASV) preview --port 8080

# Proves that `asv continuous` flags a 3x slowdown of one variant (a throwaway commit in a
# temporary clone, built in asv's virtualenv) and nothing on a comment-only commit.
regression-drill: $(STAMP)
	$(PY) scripts/regression_drill.py --env-dir $(abspath .asv/drill-env)
