# Argo energy analytics workbook. Needs only python3 (3.11+) and make; everything else goes into .venv.
#   make run    set up, build the demo database and run the main job on the embedded demo database
#   make test   set up and run every test (lint, types, unit, database on SQLite and PostgreSQL, notebooks)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WEEK ?= last
SITE ?= 23271

# The interpreter that builds .venv, as "3.11 /usr/bin/python3.11": a .venv built by another
# interpreter (or a half-finished install) has no stamp of this one and is rebuilt from scratch.
PY_ID := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2], sys.executable)' 2>/dev/null)
STAMP := $(VENV)/.installed-$(shell printf '%s' '$(PY_ID)' | md5sum | cut -c1-12)

# `make run` always works on its own demo database and output folder, whatever DATABASE_URL or .env
# name: the simulated site never lands in a real database or beside real briefs.
DEMO_DB := sqlite:///$(CURDIR)/data/demo.sqlite
DEMO_OUTPUTS := $(CURDIR)/outputs/demo

.PHONY: help python venv run demo test lint types format lab kernel bench goldens clean distclean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

python:  ## check that PYTHON is Python 3.11 or newer
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  found=$$($(PYTHON) --version 2>&1 || true); \
	  echo "The workbook needs Python 3.11 or newer; PYTHON=$(PYTHON) is: $${found:-not found}." >&2; \
	  echo "Install it (Debian: apt-get install python3 python3-venv) or name one: make run PYTHON=python3.12" >&2; \
	  exit 2; }

$(STAMP): requirements.txt constraints.txt pyproject.toml | python
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)  ## create .venv with the pinned requirements and argo_lib (editable)

demo: $(STAMP)  ## build the demo database data/demo.sqlite (simulated Wilson Center, 10 weeks)
	$(BIN)/argo demo --database-url $(DEMO_DB)

run: demo  ## the main job: the weekly brief of the demo site (outputs/demo/<site>/<week>/weekly_brief.html)
	ARGO_OUTPUTS_DIR=$(DEMO_OUTPUTS) $(BIN)/argo brief --site $(SITE) --week $(WEEK) --database-url $(DEMO_DB)

test: lint  ## lint, type checks, then every test
	$(BIN)/python -m pytest -n 2

lint: $(STAMP)  ## ruff lint and format check, mypy type check of argo_lib
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)  ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lab: $(STAMP)  ## open JupyterLab on the workbook with the project's environment as kernel
	$(BIN)/jupyter lab --notebook-dir=. notebooks/

kernel: $(STAMP)  ## register the project's environment as a Jupyter kernel for other Jupyter installs
	$(BIN)/python -m ipykernel install --user --name argo-workbook --display-name "Argo workbook (.venv)"

bench: $(STAMP)  ## run every benchmark and write their tables into README.md
	$(BIN)/python benchmarks/storage.py --update-readme
	$(BIN)/python benchmarks/sync.py --update-readme
	$(BIN)/python benchmarks/analytics_speed.py --update-readme
	$(BIN)/python benchmarks/detection_quality.py --update-readme
	$(BIN)/python benchmarks/brief.py --update-readme
	$(BIN)/python benchmarks/simulate.py
	$(BIN)/python benchmarks/faults.py --quick --backend both --update-readme

goldens: $(STAMP)  ## regenerate the nbval golden notebooks (review the diff before committing)
	$(BIN)/python tests/make_goldens.py

clean:  ## remove generated outputs (keeps the databases and .venv)
	find outputs -mindepth 1 ! -name .gitkeep ! -name README.md -exec rm -rf {} +

distclean: clean  ## also remove .venv and the embedded databases
	rm -rf $(VENV) data/argo.sqlite* data/demo.sqlite*
