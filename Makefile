# DataValley — the two commands: `make demo` and `make test` (plus `make bench`, the ingest benchmark).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
# the suite runs on this many processes (pytest-xdist); 0 runs it in one
TEST_WORKERS ?= 2
export DATAVALLEY_HOME ?= $(CURDIR)/.datavalley

.PHONY: demo test lint bench bench-query install clean screenshots

# compileall: bytecode now, as a wheel install does; an editable install leaves it to the first run,
# and where PYTHONDONTWRITEBYTECODE is set every command would compile the sources again (~0.1 s each)
$(BIN)/datavalley: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q src
	touch $(BIN)/datavalley

install: $(BIN)/datavalley

demo: install
	$(BIN)/datavalley init
	$(BIN)/datavalley demo
	$(BIN)/datavalley serve --host $(HOST) --port $(PORT)

test: install
	bash scripts/ensure-browser.sh
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

# Ingest benchmark (minutes; generates TPC-H data into bench/data/): see BENCHMARKS.md.
# Arguments go through BENCH_ARGS, e.g. `make bench BENCH_ARGS="--skip-big --repeat 3"`.
BENCH_ARGS ?=
bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.ingest_bench $(BENCH_ARGS)

# Query benchmark: TPC-H Q1/Q6 and a key lookup through POST /api/v1/query vs DuckDB alone (BENCHMARKS.md).
bench-query: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.query_bench $(BENCH_ARGS)

# The portal's main pages as PNG in docs/screenshots/ (headless Chromium over a fresh demo store).
screenshots: install
	bash scripts/ensure-browser.sh
	$(BIN)/python -m tests.web.screenshots --out docs/screenshots

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

clean:
	rm -rf $(VENV) .datavalley .pytest_cache
