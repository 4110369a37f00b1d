# DataValley — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
export DATAVALLEY_HOME ?= $(CURDIR)/.datavalley

.PHONY: demo test lint bench install clean

$(BIN)/datavalley: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(BIN)/datavalley

install: $(BIN)/datavalley

demo: install
	$(BIN)/datavalley init
	$(BIN)/datavalley demo
	$(BIN)/datavalley serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

clean:
	rm -rf $(VENV) .datavalley .pytest_cache
