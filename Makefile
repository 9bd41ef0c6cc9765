# make demo: the main job end to end.   make test: the test suite.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# FAST=1 skips tests marked slow (CI runs them all)
PYTEST_FLAGS := -q $(if $(FAST),-m "not slow",)

.PHONY: demo test venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e ".[test,demo]"
	touch $@

demo: $(STAMP)
	$(PY) examples/digits/demo.py

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_FLAGS)

clean:
	rm -rf $(VENV) build out .pytest_cache
