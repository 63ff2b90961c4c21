# Two entry points a fresh machine needs: `make demo` (set up, investigate a bundled incident) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_BUNDLE ?= evals/incidents/gpu-pending-untolerated-taint

.PHONY: setup setup-test system-deps chart-env demo test lint bench sbom audit hadolint

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

setup-test: setup system-deps chart-env
	$(BIN)/pip install -q -e '.[dev,local]'

# The chart tests run in their own environment: kubernetes-validate pulls in jsonschema format checkers
# whose import costs seconds, and `import kubernetes` loads it when present.
CHART_VENV := .venv-chart
chart-env: $(CHART_VENV)/bin/pytest
$(CHART_VENV)/bin/pytest:
	$(PY) -m venv $(CHART_VENV)
	$(CHART_VENV)/bin/pip install -q --upgrade pip
	$(CHART_VENV)/bin/pip install -q pytest pyyaml helm-python-sdk kubernetes-validate

lint: setup-test
	$(BIN)/ruff check holmes tests bench
	$(BIN)/mypy holmes

test: setup-test
	$(BIN)/pytest -q --ignore=tests/helm
	$(CHART_VENV)/bin/pytest -q -p no:cacheprovider tests/helm

bench: setup-test
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

sbom: setup-test
	bash scripts/sbom.sh

audit: setup-test
	bash scripts/audit.sh

hadolint: setup-test
	$(BIN)/hadolint Dockerfile
