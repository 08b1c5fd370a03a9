# Quick start: `make run` (set up, then serve the demo: UI and API on http://127.0.0.1:8000/),
# `make test` (set up, then test), `make demo-reset` (delete the demo database, serve a new one).
# Each target creates .venv and installs what it needs when it is missing, saying so.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo-reset test bench lint format clean system-packages

$(STAMP): pyproject.toml
	@echo "==> 安装 Python 依赖到 $(VENV)（首次约 3 分钟，含 150 MB 语音模型；之后只在 pyproject.toml 改动时）"
	@echo "    installing Python packages into $(VENV) (first time about 3 min, with the 150 MB speech model; later only when pyproject.toml changes)"
	@start=$$(date +%s); set -e; \
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
	$(BIN)/python -m pip install --quiet --upgrade pip; \
	$(BIN)/python -m pip install --quiet -e '.[dev]'; \
	touch $(STAMP); \
	echo "    完成 done: $$(( $$(date +%s) - start )) s"

system-packages:
	@scripts/system-packages

DEMO_DB ?= qinglang-demo.db
PORT ?= 8000

run: $(STAMP) system-packages
	@echo "==> 启动演示服务：加载词库和分类器约 10–30 秒，首次还要写入演示数据和录音"
	@echo "    starting the demo service: loading the lexicons and the classifier takes about 10–30 s; the first run also writes the demo data and recordings"
	$(BIN)/qinglang serve --demo --db $(DEMO_DB) --port $(PORT)

# The demo database keeps every change made in it (decisions, appeals, keys): start afresh.
demo-reset: $(STAMP) system-packages
	@echo "==> 删除演示数据库 $(DEMO_DB) 及其录音文件夹，重新开始演示 / deleting the demo database $(DEMO_DB) and its files, then starting a new demo"
	rm -rf $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_DB)-journal $(DEMO_DB).files
	@$(MAKE) --no-print-directory -o $(STAMP) run

test: $(STAMP) system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

bench: $(STAMP) system-packages
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
