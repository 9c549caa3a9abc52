# Set-up and entry points. Each target creates or reuses .venv and installs what it needs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test quick lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m compileall -q regime features
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/regime train --config configs/demo.yaml
	$(BIN)/regime score --model models/demo.joblib

# The tests run on every core (pytest-xdist); each test keeps to its own temporary folders.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n auto

# The tests not marked slow (about 4 minutes on 2 cores, 894 tests), for the edit-test
# loop; CI runs `make test`.
quick: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n auto -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_cli.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
