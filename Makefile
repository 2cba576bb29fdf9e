# Two entry points for a fresh clone: `make demo` (the main job) and `make test` (all tests).
# Both create .venv themselves; only a Python >= 3.10 with venv is needed. The demo installs the
# runtime dependencies alone; the tests, lint and benchmarks add the [dev] extra (pytest, ruff,
# PyTorch as a reference: most of the environment's size), each install with its own stamp.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev

.PHONY: demo test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME)

$(DEV): $(RUNTIME)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(DEV)

demo: $(RUNTIME)
	$(BIN)/mlplab train

test: $(DEV)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	# One BLAS thread per test worker: two workers with two BLAS threads each on two cores
	# oversubscribe them and run many times slower.
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2

lint: $(DEV)
	$(BIN)/ruff check src tests benchmarks examples

format: $(DEV)
	$(BIN)/ruff format src tests benchmarks examples
	$(BIN)/ruff check --fix src tests benchmarks examples

bench: $(DEV)
	$(BIN)/python benchmarks/autograd_overhead.py
	$(BIN)/python benchmarks/optim_step.py
	$(BIN)/python benchmarks/train_mlp.py
	$(BIN)/python benchmarks/sklearn_mlp.py
	$(BIN)/python benchmarks/sweep_speedup.py
	$(BIN)/python benchmarks/playground.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
