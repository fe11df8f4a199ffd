# make run   : start the lab (installs what it needs first); options go in ARGS or PORT:
#              make run ARGS="--port 8000 --ledger /tmp/x.sqlite3"   or   make run PORT=8000
# make test  : set everything up (venv, Debian's chromium) and run lint + the whole test suite
# make bench : run the benchmarks, each printing JSON (bench_lab drives Debian's chromium)
# make lint  : ruff + mypy

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ARGS   ?=
PORT   ?=

.PHONY: run test bench lint browser clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,bench,hub]'
	@echo "preparing the model's serving plans (once per model version, a few seconds)"
	$(PY) -c "from constraintlab.explore.census import census; census()"
	touch $(STAMP)

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; }

run: $(STAMP)
	$(VENV)/bin/constraintlab run $(if $(PORT),--port $(PORT)) $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src tests benchmarks
	$(PY) -m mypy

test: $(STAMP) browser lint
	$(PY) -m pytest

bench: $(STAMP) browser
	@for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache artifacts
