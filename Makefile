# repolens: the few targets that matter. `make help` lists them.
PYTHON ?= python
PATH_TO_SCAN ?= examples/Detect_Lines
OUT ?= reports/sample

.DEFAULT_GOAL := help
.PHONY: help setup scan test lint format bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: ## install repolens with everything the notebooks and tests need
	$(PYTHON) -m pip install -e ".[test]"

scan: ## scan PATH_TO_SCAN (default: the bundled sample) into OUT
	$(PYTHON) -m repolens scan "$(PATH_TO_SCAN)" --output-dir "$(OUT)"

test: ## the whole test suite (unit, CLI, notebooks)
	$(PYTHON) -m pytest

lint: ## ruff lint and format check
	$(PYTHON) -m ruff check lib tests examples bench
	$(PYTHON) -m ruff format --check lib tests examples bench

format: ## apply ruff's formatting
	$(PYTHON) -m ruff format lib tests examples bench

bench: ## compare repolens with scc, tokei, cloc and pygount; writes bench/RESULTS.md
	$(PYTHON) bench/run.py
