# Two commands on a fresh machine:
#   make serve   set up, load the demo corpus and run the HTTP service on 127.0.0.1:8000 (embedded default)
#   make test    set up (incl. the local LLM server for the LLM-path tests) and run lint + the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

# --- llama.cpp (llama-cpp-python, the llm-local extra) ----------------------------------------------------------
# Compiled from source. The default target is portable x86-64: AVX2/FMA/F16C, no -march=native, no AVX-512, no AMX
# (a native build crashed on AMX CPUs, and a native wheel in pip's cache would be reused on another CPU). The wheel
# is built once per version + flags into .wheels/<key>/ with pip's cache off, and installed from there. Other
# targets, e.g.:  make test LLAMA_CMAKE_ARGS="-DGGML_CUDA=ON"   or   make test LLAMA_CMAKE_ARGS="-DGGML_NATIVE=ON"
# (tests/test_portable_build.py then reports the portability check as skipped: you chose the target).
LLAMA_VERSION := $(shell sed -n 's/.*"llama-cpp-python\[server\]==\([^"]*\)".*/\1/p' pyproject.toml)
ifeq ($(shell uname -m),x86_64)
LLAMA_PORTABLE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
else
LLAMA_PORTABLE_ARGS := -DGGML_NATIVE=OFF
endif
LLAMA_CMAKE_ARGS ?= $(LLAMA_PORTABLE_ARGS)
LLAMA_KEY   := $(shell echo '$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)' | cksum | cut -d' ' -f1)
LLAMA_WHEEL := .wheels/llama-cpp-python-$(LLAMA_VERSION)-$(LLAMA_KEY)
# Told to the tests: a target the user chose is not checked for portability.
export NEWSQA_LLAMA_TARGET := $(if $(filter file,$(origin LLAMA_CMAKE_ARGS)),portable,custom)

.PHONY: serve test lint install install-dev browser bench docs clean distclean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(LLAMA_WHEEL)/.built: | $(BIN)/python
	@echo "building llama-cpp-python $(LLAMA_VERSION) for CMAKE_ARGS=\"$(LLAMA_CMAKE_ARGS)\" (about 5 minutes, once)"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip wheel --quiet --no-deps --no-cache-dir --no-binary llama-cpp-python --wheel-dir $(LLAMA_WHEEL) \
		'llama-cpp-python==$(LLAMA_VERSION)'
	echo '$(LLAMA_CMAKE_ARGS)' > $(LLAMA_WHEEL)/CMAKE_ARGS
	touch $@

# The prebuilt wheel goes in first, so the extra's llama-cpp-python requirement is already met and pip builds nothing.
$(VENV)/.llama-$(LLAMA_KEY): $(LLAMA_WHEEL)/.built
	$(BIN)/pip install --quiet --no-deps --force-reinstall $(LLAMA_WHEEL)/llama_cpp_python-*.whl
	rm -f $(VENV)/.llama-* && touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.llama-$(LLAMA_KEY) | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,llm-local]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The port is checked before anything is installed or loaded: a busy port fails at once, naming who holds it.
serve:
	@$(PYTHON) -m qa.ports $(HOST) $(PORT)
	@$(MAKE) --no-print-directory install
	$(BIN)/qa serve --load-demo --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check qa api eval tests
	$(BIN)/ruff format --check qa api eval tests

# The web page's browser tests drive Debian's chromium (Playwright's own browser download can't work offline).
# Installed here when missing and possible (root with apt-get); elsewhere those tests skip, except in CI.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "chromium is missing (Debian: apt-get install -y chromium): the browser tests will skip"; \
	  fi; }

test: install-dev lint browser
	$(BIN)/pytest

bench: install-dev
	$(BIN)/python -m eval.bench --quick

# The curl outputs shown in README.md and api/README.md, rewritten from a real `qa serve --load-demo` run
# (tests/test_api_server.py fails when they are stale).
docs: install-dev
	$(BIN)/python -m tests.doc_examples --write

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Also drops the built llama.cpp wheels (the next `make test` builds again, ~5 min).
distclean: clean
	rm -rf .wheels
