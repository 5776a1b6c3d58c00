# make demo  - create .venv, install genpost, write a post into out/
# make test  - install the dev tools (and Debian's jekyll when root), lint, run the whole suite
# make bench - print the pipeline's speed figures

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV    := $(VENV)/.installed-dev

.PHONY: demo test lint bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(DEV): $(STAMP)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: $(STAMP)
	$(BIN)/python -m tests.standins.demo

system-deps:
	@command -v jekyll >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jekyll >/dev/null; \
	else \
		echo "note: install Debian's jekyll (apt-get install jekyll) or the Jekyll build test is skipped"; \
	fi

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: system-deps $(DEV) lint
	$(BIN)/python -m pytest

bench: $(DEV)
	$(BIN)/python bench/pipeline_speed.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
