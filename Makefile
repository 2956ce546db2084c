# Two commands on a fresh machine:
#   make serve   set up, load the demo corpus and run the HTTP service on 127.0.0.1:8000 (embedded default)
#   make test    set up (incl. the local LLM server for the LLM-path tests) and run lint + the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: serve test lint install install-dev bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# The llm-local extra builds llama.cpp from source (about 5 minutes, once).
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,llm-local]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

serve: install
	$(BIN)/qa serve --load-demo --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check qa api eval tests
	$(BIN)/ruff format --check qa api eval tests

test: install-dev lint
	$(BIN)/pytest

bench: install-dev
	$(BIN)/python -m eval.bench --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
