# Argo energy analytics workbook. Needs only python3 (3.11+) and make; everything else goes into .venv.
#   make run    set up, build the demo database and run the main job on the embedded default
#   make test   set up and run every test (lint, unit, database on SQLite and PostgreSQL, notebooks)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WEEK ?= last
SITE ?= 23271

.PHONY: help venv run demo test lint format lab kernel bench goldens clean distclean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)  ## create .venv and install the pinned requirements and argo_lib (editable)

demo: $(STAMP)  ## build the demo database (simulated Wilson Center, 10 weeks) and print what it holds
	$(BIN)/argo demo

run: demo  ## the main job: the weekly brief of the demo site (HTML and e-mail under outputs/)
	$(BIN)/argo brief --site $(SITE) --week $(WEEK)

test: $(STAMP)  ## lint, then every test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(STAMP)  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

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

goldens: $(STAMP)  ## regenerate the nbval golden notebooks (review the diff before committing)
	$(BIN)/python tests/make_goldens.py

clean:  ## remove generated outputs (keeps the database and .venv)
	find outputs -mindepth 1 ! -name .gitkeep ! -name README.md -exec rm -rf {} +

distclean: clean  ## also remove .venv and the embedded database
	rm -rf $(VENV) data/argo.sqlite*
