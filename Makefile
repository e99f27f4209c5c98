# repolens: the few targets that matter. `make help` lists them.
# `make report PATH=/x` is accepted: PATH names the tree, the shell keeps its own PATH.
ifeq ($(origin PATH),command line)
PATH_TO_SCAN := $(PATH)
override PATH := $(shell printenv PATH)
OUT ?= reports/$(notdir $(abspath $(PATH_TO_SCAN)))
endif
PYTHON ?= python
PATH_TO_SCAN ?= examples/Detect_Lines
OUT ?= reports/sample
TOP_N ?= 10

.DEFAULT_GOAL := help
.PHONY: help setup scan report test lint format bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: ## install repolens with everything the notebooks and tests need
	$(PYTHON) -m pip install -e ".[test]"

scan: ## scan PATH_TO_SCAN (default: the bundled sample) into OUT
	$(PYTHON) -m repolens scan "$(PATH_TO_SCAN)" --output-dir "$(OUT)"

report: ## run notebooks/analyze.ipynb on PATH_TO_SCAN (or PATH=...) into OUT, with an HTML report
	$(PYTHON) -m repolens report "$(PATH_TO_SCAN)" --output-dir "$(OUT)" --top $(TOP_N)

test: ## the whole test suite (unit, CLI, notebooks through nbmake)
	$(PYTHON) -m pytest

lint: ## ruff lint and format check
	$(PYTHON) -m ruff check lib tests examples bench
	$(PYTHON) -m ruff format --check lib tests examples bench

format: ## apply ruff's formatting
	$(PYTHON) -m ruff format lib tests examples bench

bench: ## compare repolens with scc, tokei, cloc and pygount; writes bench/RESULTS.md
	$(PYTHON) bench/run.py
