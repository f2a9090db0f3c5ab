# Everything bootstraps a local virtualenv from nothing: only python3 and make needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench bench-quick faults clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

## The main job on embedded defaults: no keys, no servers to set up.
demo: $(STAMP)
	$(BIN)/huracan demo

## The whole test suite, exactly what CI runs.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

## The fault suite (issue 13): real daemons killed, a full disk, channels and models down,
## hostile text and planted secrets. Prints the verdict table, writes benchmarks/faults.json,
## exits 1 if any row does not hold. The fast scenarios also run in `make test`.
faults: $(STAMP)
	$(BIN)/python benchmarks/faults.py

## Every figure of issue 14 in one table, and benchmarks/results.json (BENCH_QUICK=1: < 3 min).
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/verifier_probe.py

bench-quick: $(STAMP)
	BENCH_QUICK=1 $(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) huracan-demo .mypy_cache .ruff_cache
