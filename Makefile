# make demo: the main job end to end.   make test: the test suite.   make bench: nnom vs TFLM.
# make docs: the docs site in site/ (strict: a warning fails it).
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
TEST_STAMP := $(VENV)/.installed-test
DEMO_STAMP := $(VENV)/.installed-demo
DOCS_STAMP := $(VENV)/.installed-docs
# the CPU build of torch (a plain `torch` can pull a multi-GB CUDA build)
TORCH  := torch==2.13.0
# FAST=1 skips tests marked slow (CI runs them all). JOBS test processes (pytest-xdist), one per
# core up to 4: each holds TensorFlow and PyTorch (~2 GB); a test file stays in one process, so its
# module fixtures are built once. JOBS=1 runs them in this process.
JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 4 ] && n=4; echo $$n)
PYTEST_FLAGS := -q --durations=25 $(if $(FAST),-m "not slow",) $(if $(filter 1,$(JOBS)),,-n $(JOBS) --dist loadfile)

# Debian packages the C and Cortex-M tests use; installed when missing (as root, or with sudo).
SYS_TOOLS := gcc:gcc clang:clang make:make arm-none-eabi-gcc:gcc-arm-none-eabi \
             qemu-system-arm:qemu-system-arm ccache:ccache
SYS_FILES := /usr/lib/arm-none-eabi/newlib/libc.a:libnewlib-arm-none-eabi
# the docs' browser test (tests/test_docs_site.py) opens the built site in Debian's Chromium
BROWSER_TOOLS := chromium:chromium chromedriver:chromium-driver

.PHONY: demo test bench docs venv sysdeps clean

venv: $(TEST_STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

# make demo installs only what the demo needs; make test adds the importers' frameworks
$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[demo]" "$(TORCH)"
	touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[test,demo]" "$(TORCH)"
	touch $@ $(DEMO_STAMP)

# the docs' pictures come from the tutorial models (PyTorch), so docs installs the demo's packages too
$(DOCS_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[docs,demo]" "$(TORCH)"
	touch $@ $(DEMO_STAMP)

sysdeps:
	@missing=""; \
	for pair in $(SYS_TOOLS) $(EXTRA_TOOLS); do command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	for pair in $(SYS_FILES); do [ -e $${pair%%:*} ] || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else SUDO=none; fi; \
	  if [ "$$SUDO" = none ] || ! command -v apt-get >/dev/null; then \
	    echo "warning: cannot install$$missing here; the tests that need them will be skipped"; \
	  else \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null \
	      || echo "warning: apt-get failed; the tests that need$$missing will be skipped"; \
	  fi; \
	fi

demo: $(DEMO_STAMP) sysdeps
	$(PY) examples/digits/demo.py

bench: $(TEST_STAMP) sysdeps
	$(PY) -m pip install -q -r bench/requirements.txt
	$(PY) bench/run.py

# the pictures are redrawn by nnom (the Cortex-M profile only where the toolchain and QEMU are),
# then the site is built strictly: a broken link, a missing reference or any warning fails it
docs: $(DOCS_STAMP) sysdeps
	$(PY) tools/docs_figures.py
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

test: EXTRA_TOOLS := $(BROWSER_TOOLS)
test: $(TEST_STAMP) sysdeps
	$(PY) -m pytest $(PYTEST_FLAGS)

clean:
	rm -rf $(VENV) build out site .pytest_cache
