# Two commands do all set-up on a fresh machine: `make run` (the app with its demo district) and `make test`.
# `make run` installs only what the app needs; `make test` adds the test extras (Playwright, Schemathesis ...).
# Each has its own stamp, so `make test` after `make run` still installs the extras.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
export TONGXIN_DATABASE_URL ?= sqlite:///var/tongxin.sqlite3

.PHONY: run test test-midnight bench bench-concurrency bench-web install install-test migrate demo scheduler wheel clean browser

$(BIN)/python:
	@echo "==> 创建虚拟环境 / creating the virtual environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	@echo "==> 安装运行所需的依赖 / installing the runtime dependencies (pip install -e ., a few minutes the first time)"
	$(BIN)/pip install --progress-bar on -e .
	touch $@

$(TEST_STAMP): pyproject.toml $(RUN_STAMP)
	@echo "==> 安装测试所需的依赖 / installing the test extras (pip install -e '.[test]')"
	$(BIN)/pip install --progress-bar on -e ".[test]"
	touch $@

install: $(RUN_STAMP)

install-test: $(TEST_STAMP)

migrate: install
	@echo "==> 更新数据库结构 / migrating the database ($(TONGXIN_DATABASE_URL))"
	$(BIN)/tongxin migrate

# `tongxin demo` skips a district that is already loaded (`tongxin demo --reset --yes` reloads it).
demo: migrate
	@echo "==> 演示街道与一年的服务记录 / the demo district and its year of history (about half a minute, once)"
	$(BIN)/tongxin demo

# One process migrates, loads the demo district when it is missing (about half a minute, once) and serves,
# so a second `make run` reaches the first page in a few seconds.
run: install
	@echo "==> 更新数据库、载入演示街道(仅首次)、启动网站 / migrating, loading the demo district (first time only), serving http://127.0.0.1:8000 (Ctrl-C stops it)"
	TONGXIN_DEVELOPMENT=1 $(BIN)/tongxin serve --prepare --host 127.0.0.1 --port 8000

scheduler: migrate
	$(BIN)/tongxin scheduler

# Chromium for the browser journeys comes from Debian's package, never a download at run time.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get install -y chromium >/dev/null 2>&1 || echo "chromium not installed: browser journeys will be skipped")

test: install-test browser
	$(BIN)/python -m pytest -q

# The whole suite with the clock a minute before a midnight in Shanghai (16:00 UTC), when the server's UTC
# date and the district's date part: a test or rule that takes "today" from the wrong clock fails here.
# `make test-midnight CLOCK_AT="2027-01-01 00:00"` picks the midnight (Shanghai time); libfaketime moves the
# clock of the suite and every process it starts (PostgreSQL's own clock stays; the code never asks it).
# Schemathesis stalls under libfaketime, so the API contract test is left to `make test`.
CLOCK_AT ?= tomorrow 00:00
test-midnight: install-test browser
	@command -v faketime >/dev/null 2>&1 || apt-get install -y faketime >/dev/null 2>&1
	faketime -f "+$$(( $$(TZ=Asia/Shanghai date -d '$(CLOCK_AT)' +%s) - $$(date +%s) - 60 ))s" \
		$(BIN)/python -m pytest -q --ignore=tests/platform/test_api_contract.py

bench: install-test
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.platform

# Needs PostgreSQL on 127.0.0.1:5432 (user postgres); creates and drops its own database.
bench-concurrency: install-test
	$(BIN)/python -m bench.concurrency

# Each endpoint's rate as a share of a bare Litestar app, on the demo district, SQLite then PostgreSQL.
bench-web: install-test
	$(BIN)/python -m bench.web

wheel: install-test
	$(BIN)/pip wheel --no-deps -w dist .

clean:
	rm -rf $(VENV) var dist

# Translators: extract the words from the sources and templates, then bring each language's catalog up to date
# (README "Translating"). The pages read the .po files directly: there is nothing to compile.
.PHONY: catalogs
BABEL_KEYWORDS := -k t -k translate:1 -k texts:1 -k K_ -k N_:1c,2 -k word:1c,2
catalogs: install
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --project tongxin -o var/messages.pot platform/tongxin
	$(BIN)/pybabel update -i var/messages.pot -d platform/tongxin/locales -w 120 --no-fuzzy-matching --ignore-obsolete
