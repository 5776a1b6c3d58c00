# make install - create .venv with genpost and the embedded model, from the lock (llama.cpp compiles: ~4 min)
# make demo    - install, check the embedded model (genpost doctor), write a post into out/ (no key needed)
# make test    - install the dev tools (and Debian's jekyll, chromium, fonts-noto-cjk when root), lint, run the whole suite
# make bench   - print the pipeline's speed figures
# make lock    - write requirements/lock.txt again from pyproject.toml (same versions where they still fit)
# make upgrade - move the lock to the newest versions, reinstall, run the doctor and the slow tests

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCK   := requirements/lock.txt
STAMP  := $(VENV)/.installed
DEV    := $(VENV)/.installed-dev
# llama.cpp built for any x86-64 with AVX2 (2013 on): never -march=native, so a build runs on every machine
# the project meets. LLAMA_CPU=baseline builds for any x86-64 at all (SSE only, slower).
LLAMA_CPU ?= portable
LLAMA_FLAGS_portable := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF
LLAMA_FLAGS_baseline := -DGGML_NATIVE=OFF -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF -DGGML_AVX512=OFF
LLAMA_FLAGS_native   := -DGGML_NATIVE=ON
LLAMA_VERSION := $(shell sed -n 's/^llama-cpp-python==\([0-9.]*\).*/\1/p' $(LOCK))
LLAMA  := $(VENV)/.llama-$(LLAMA_VERSION)-$(LLAMA_CPU)
# Every pip install, and the isolated environments pip builds in, takes the lock's versions.
PIP    := PIP_CONSTRAINT=$(CURDIR)/$(LOCK) $(BIN)/python -m pip install -q
UV     := $(BIN)/uv

.PHONY: install demo test lint bench review lock upgrade system-deps clean

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# llama-cpp-python compiles llama.cpp. Never from pip's wheel cache: a wheel built elsewhere, or with other
# flags, is what made `make demo` crash on a fresh machine while CI stayed green.
$(LLAMA): | $(BIN)/python
	@echo "compiling llama-cpp-python $(LLAMA_VERSION) ($(LLAMA_CPU) CPU build): about 4 minutes on 2 cores"
	CMAKE_ARGS="$(LLAMA_FLAGS_$(LLAMA_CPU))" $(PIP) --no-cache-dir --force-reinstall --no-deps llama-cpp-python==$(LLAMA_VERSION)
	rm -f $(VENV)/.llama-*
	touch $@

$(STAMP): pyproject.toml $(LOCK) $(LLAMA)
	$(PIP) -e '.[local]'
	touch $@

$(DEV): $(STAMP)
	$(PIP) -e '.[dev,local]'
	touch $@

demo: $(STAMP)
	@$(BIN)/genpost doctor --provider local
	@draft=$$($(BIN)/genpost --provider local --instinct learning \
		--keywords "AI マーケティング 最新トレンド" "生成AI 活用法 マーケティング" --theme AIマーケティング) \
	&& echo "下書き: $$draft" \
	&& { $(BIN)/genpost check --lang ja "$$draft" || true; } \
	&& echo "レビュー画面で開くには: make review （http://127.0.0.1:8765/ を開いてください）" \
	&& echo "これは小さなオフラインモデルが書いた下書きです。本番の品質には OPENAI_API_KEY か OPENAI_BASE_URL を設定してください。"

# Debian's jekyll and jekyll-seo-tag (the build tests), chromium and a CJK font (the review app's browser
# test), git (publishing into a site repository).
system-deps:
	@command -v jekyll >/dev/null && command -v chromium >/dev/null && command -v git >/dev/null \
		&& dpkg -s ruby-jekyll-seo-tag >/dev/null 2>&1 && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jekyll ruby-jekyll-seo-tag chromium fonts-noto-cjk git >/dev/null; \
	else \
		echo "note: apt-get install jekyll ruby-jekyll-seo-tag chromium fonts-noto-cjk git, or those tests are skipped"; \
	fi

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/lockfile.py check

test: system-deps $(DEV) lint
	$(BIN)/python -m pytest

review: $(STAMP)
	$(BIN)/genpost review --out out

bench: $(DEV)
	$(BIN)/python bench/pipeline_speed.py
	$(BIN)/python bench/batch_speed.py
	$(BIN)/python bench/local_model.py

# uv resolves for every Python genpost supports (--universal) in seconds; pip installs from what it writes.
lock: $(DEV)
	$(UV) pip compile -q pyproject.toml requirements/build.in --universal --python-version 3.11 \
		--extra dev --extra local --extra model-1-5b --custom-compile-command "make lock" -o $(LOCK)
	$(BIN)/python tools/lockfile.py stamp

upgrade: $(DEV)
	$(UV) pip compile -q pyproject.toml requirements/build.in --universal --python-version 3.11 --upgrade \
		--extra dev --extra local --extra model-1-5b --custom-compile-command "make lock" -o $(LOCK)
	$(BIN)/python tools/lockfile.py stamp
	rm -f $(STAMP) $(DEV)
	$(MAKE) $(DEV)
	$(BIN)/genpost doctor --provider local
	$(BIN)/python -m pytest -m slow
	@echo "the lock moved (git diff $(LOCK)); llama-cpp-python stays at $(LLAMA_VERSION) until pyproject.toml pins another"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
