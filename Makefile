# Two commands do everything on a fresh machine with Python 3.10+:
#   make demo   set up .venv, then assess the example project and plan the example fleet
#   make test   set up .venv, then lint, type-check and run the tests
# Set-up is skipped when .venv already matches pyproject.toml, this Makefile and EXTRAS (stamp keyed on their hash).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_VERSION ?= 2.13.0
# torch: run, ops, emulate, parity (the tests need it); `make setup EXTRAS=` gives the core alone (scan, hw, plan...)
EXTRAS ?= torch,dev,hf
comma := ,
WITH_TORCH := $(filter torch,$(subst $(comma), ,$(EXTRAS)))
HASH := $(shell $(PYTHON) -c "import hashlib,pathlib;print(hashlib.sha256(pathlib.Path('pyproject.toml').read_bytes()+pathlib.Path('Makefile').read_bytes()+b'$(EXTRAS)').hexdigest()[:16])")
STAMP := $(VENV)/.isthmus-setup-$(HASH)

.PHONY: setup demo test lint typecheck pytest bench bench-deps browser clean

setup: $(STAMP)

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@# torch first, pinned, so nothing below pulls a multi-GB CUDA build from the index
	$(if $(WITH_TORCH),$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q torch==$(TORCH_VERSION))
	$(BIN)/python -m pip install -q -e "$(if $(strip $(EXTRAS)),.[$(EXTRAS)],.)"
	@rm -f $(VENV)/.isthmus-setup-*
	@touch $@

# The out-of-tree accelerator plugin that the tests discover through entry points: tests only, never the demo.
$(VENV)/.isthmus-test-plugin: $(STAMP) tests/plugins/dummy_accel/pyproject.toml
	$(BIN)/python -m pip install -q -e tests/plugins/dummy_accel
	@touch $@

# Headless Chromium renders the HTML report in the tests; without it those tests skip.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "warning: could not install chromium; browser tests will skip"; \
	  else echo "note: chromium not installed and not root; browser tests will skip"; fi; }

demo: setup
	$(BIN)/isthmus assess examples/tinygpt --out build/assess
	$(BIN)/isthmus plan examples/fleet.yaml --out build/plan

lint: setup
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	PYTHONPATH=src $(BIN)/lint-imports --no-logo

typecheck: setup
	$(BIN)/mypy

pytest: setup $(VENV)/.isthmus-test-plugin browser
	$(BIN)/pytest -q -n 2 --dist loadgroup

test: lint typecheck pytest

# Peers measured beside isthmus in the benchmarks. llm-analysis pins transformers<5, so it goes in without its pins.
bench-deps: setup
	@$(BIN)/python -c "import ascend_compat, llm_analysis" 2>/dev/null || { \
	  $(BIN)/python -m pip install -q cuda-morph==0.9.1 fire && \
	  $(BIN)/python -m pip install -q --no-deps llm-analysis==0.2.2; }

bench: bench-deps
	@for b in benchmarks/bench_*.py benchmarks/compare_estimators.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf build .mypy_cache .ruff_cache .pytest_cache
