# repolens: the few targets that matter. `make help` lists them.
# `make report PATH=/x` is accepted: PATH names the tree, the shell keeps its own PATH.
# With PATH=... and no OUT, reports go to reports/<the folder's own name>, worked out by
# the shell in the recipe so that names with spaces stay whole.
ifeq ($(origin PATH),command line)
PATH_TO_SCAN := $(PATH)
override PATH := $(shell printenv PATH)
OUT ?=
endif
PYTHON ?= python
PATH_TO_SCAN ?= examples/Detect_Lines
OUT ?= reports/sample
TOP_N ?= 10

.DEFAULT_GOAL := help
K8S_VERSION ?= 1.37.0
OVERLAYS := $(wildcard k8s/overlays/*)

.PHONY: help setup scan report test lint format bench bench-checks bench-truth bench-million bench-hostile bench-rerun bench-nbval deploy-lint container-test k8s-run k8s-portfolio portfolio history wheel-test

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

setup: ## install repolens with everything the notebooks and tests need
	$(PYTHON) -m pip install -e ".[test]"

OUT_DIR = out='$(OUT)'; [ -n "$$out" ] || out="reports/$$(basename "$$(cd '$(PATH_TO_SCAN)' && pwd)")"

scan: ## scan PATH_TO_SCAN (default: the bundled sample) into OUT
	@$(OUT_DIR); set -x; $(PYTHON) -m repolens scan '$(PATH_TO_SCAN)' --output-dir "$$out"

report: ## run the analysis notebook on PATH_TO_SCAN (or PATH=...) into OUT, with an HTML report
	@$(OUT_DIR); set -x; $(PYTHON) -m repolens report '$(PATH_TO_SCAN)' --output-dir "$$out" --top $(TOP_N)

test: ## the whole test suite (unit, CLI, notebooks through nbmake)
	$(PYTHON) -m pytest

lint: ## ruff lint and format check
	$(PYTHON) -m ruff check lib tests examples bench scripts build_backend setup.py
	$(PYTHON) -m ruff format --check lib tests examples bench scripts build_backend setup.py

format: ## apply ruff's formatting
	$(PYTHON) -m ruff format lib tests examples bench scripts build_backend setup.py

bench: ## compare repolens with scc, tokei, cloc and pygount; writes bench/RESULTS.md
	$(PYTHON) bench/run.py

bench-checks: ## repolens check on the real repositories of bench/checks/manifest.toml, scored against their truth files
	$(PYTHON) bench/checks/run.py $(BENCH_CHECKS_ARGS)

bench-truth: ## rebuild the truth files of bench/checks without repolens (keeps the judgements made by reading)
	cd bench/checks && $(PYTHON) -m truth_tools

bench-million: ## repolens report on 1,000,000 files in the container under 512 MiB (after container-test)
	PYTHON=$(PYTHON) bench/million.sh

bench-hostile: ## every check on adversarial inputs of several MiB: time and memory per MiB into bench/RESULTS.md
	$(PYTHON) bench/hostile.py

bench-rerun: ## repolens rerun against papermill on the same notebooks, and the environment's build and reuse, into bench/RESULTS.md
	$(PYTHON) bench/rerun.py $(BENCH_RERUN_ARGS)

bench-nbval: ## repolens rerun's comparison against nbval's on real notebooks (needs nbval, and clones in REPOLENS_BENCH_REPOS)
	$(PYTHON) bench/nbval_study.py --validate --write

deploy-lint: ## hadolint, actionlint (with shellcheck), yamllint, kustomize + kubernetes-validate
	hadolint Dockerfile
	shellcheck -x scripts/*.sh .ci/run
	actionlint -shellcheck "$$(command -v shellcheck)"
	yamllint --strict .github k8s action.yml .pre-commit-hooks.yaml environment.yml
	@set -e; for overlay in $(OVERLAYS); do \
		echo "kubernetes-validate $$overlay (Kubernetes $(K8S_VERSION))"; \
		kubectl kustomize "$$overlay" > "$$overlay.rendered.tmp"; \
		kubernetes-validate --strict -k $(K8S_VERSION) "$$overlay.rendered.tmp" > "$$overlay.log.tmp" 2>&1 \
			|| { cat "$$overlay.log.tmp"; rm -f "$$overlay".*.tmp; exit 1; }; \
		if grep -E "WARN|ERROR" "$$overlay.log.tmp"; then rm -f "$$overlay".*.tmp; exit 1; fi; \
		rm -f "$$overlay".*.tmp; \
	done

wheel-test: ## build the wheel and sdist, install the wheel in a clean venv, run report and check
	scripts/wheel-smoke.sh

container-test: ## build the image with podman, run it and the Job's pod spec on the sample
	scripts/container-test.sh

k8s-run: ## run the Job on Minikube, wait, print logs, copy reports to reports/k8s
	scripts/k8s-run.sh

k8s-portfolio: ## the portfolio's Indexed Job and merge Job on Minikube, results to reports/k8s-portfolio
	scripts/k8s-portfolio.sh

portfolio: ## repolens portfolio on the bundled small portfolio into reports/portfolio
	$(PYTHON) -m repolens portfolio examples/portfolio/list.txt -o reports/portfolio || [ $$? -eq 5 ]

history: ## repolens history of PATH_TO_SCAN's repository into OUT
	@$(OUT_DIR); set -x; $(PYTHON) -m repolens history '$(PATH_TO_SCAN)' --output-dir "$$out"
