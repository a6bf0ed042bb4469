# Two commands on a fresh machine (Python 3.11 and pip):
#   make demo   set up, then run the main job on the embedded default (SQLite, reference data)
#   make test   set up, then run the checks and the tests
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# allied and what it needs to run (make demo); then the test tools too (make test)
RUN    := $(VENV)/.installed-run
STAMP  := $(VENV)/.installed

.PHONY: demo test lint setup bench lock screenshots clean

# make demo PORT=8001 when 8000 is taken
PORT ?= 8000

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN): pyproject.toml constraints.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $(RUN)

$(STAMP): pyproject.toml constraints.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(RUN) $(STAMP)

setup: $(STAMP)

demo: $(RUN)
	$(BIN)/allied demo --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts $(wildcard benchmarks)
	$(BIN)/mypy

test: lint
	$(BIN)/pytest --cov=allied --cov-report=term

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,bench]"
	$(BIN)/python benchmarks/allocation/run.py --sizes s m

# Re-pin constraints.txt to the newest releases pyproject.toml allows (then run make test).
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet -e ".[dev]"
	{ sed -n '1,3p' constraints.txt; .venv-lock/bin/pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt
	rm -rf .venv-lock

screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
