# Two entry points a fresh machine needs: `make demo` (set up, investigate a bundled incident) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_BUNDLE ?= evals/incidents/gpu-pending-untolerated-taint

.PHONY: setup setup-test system-deps demo test lint bench sbom audit

$(BIN)/holmes: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	@touch $@

setup: $(BIN)/holmes

demo: setup
	$(BIN)/holmes investigate --bundle $(DEMO_BUNDLE)

system-deps:
	bash scripts/system-deps.sh

setup-test: setup system-deps
	$(BIN)/pip install -q -e '.[dev,local]'

lint: setup-test
	$(BIN)/ruff check holmes tests bench
	$(BIN)/mypy holmes

test: setup-test
	$(BIN)/pytest -q

bench: setup-test
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

sbom: setup-test
	bash scripts/sbom.sh

audit: setup-test
	bash scripts/audit.sh

hadolint: setup-test
	$(BIN)/hadolint Dockerfile
