# Entry points. `make run` on a fresh clone is all a newcomer needs; CI runs `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= python3
VENV := .venv
VENV_PY := $(VENV)/bin/python
# Dependencies are (re)installed only when pyproject.toml's content changes.
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-16)
# Run apt-get as root: directly, or through sudo when available.
AS_ROOT := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
ARGS ?=

.PHONY: run test install lint clean-data

run: $(STAMP)
	exec $(VENV_PY) scripts/run.py

test: $(STAMP)
	bash scripts/test.sh $(ARGS)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean-data:
	rm -rf .data

$(STAMP):
	@if ! $(VENV_PY) -c 'import sys' >/dev/null 2>&1; then \
	  rm -rf $(VENV); \
	  echo "Création de l'environnement virtuel $(VENV)…"; \
	  if ! $(PYTHON) -m venv $(VENV); then \
	    rm -rf $(VENV); \
	    echo "« $(PYTHON) -m venv » a échoué : installation de python3-venv avec apt-get…"; \
	    $(AS_ROOT) apt-get update && \
	    $(AS_ROOT) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv && \
	    $(PYTHON) -m venv $(VENV) || { echo "Impossible de créer $(VENV)." >&2; exit 1; }; \
	  fi; \
	fi
	@echo "Installation des dépendances (première fois ou pyproject.toml modifié ; quelques minutes)…"
	$(VENV_PY) -m pip install --disable-pip-version-check --quiet -e ".[embedded,dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@
