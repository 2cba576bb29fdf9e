# Two entry points for a fresh clone: `make demo` (the main job) and `make test` (all tests).
# Both create .venv themselves; only a Python >= 3.10 with venv is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mlplab train

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	# One BLAS thread per test worker: two workers with two BLAS threads each on two cores
	# oversubscribe them and run many times slower.
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks examples
	$(BIN)/ruff check --fix src tests benchmarks examples

bench: $(STAMP)
	$(BIN)/python benchmarks/autograd_overhead.py
	$(BIN)/python benchmarks/optim_step.py
	$(BIN)/python benchmarks/train_mlp.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
