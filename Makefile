# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TONGXIN_DATABASE_URL ?= sqlite:///var/tongxin.sqlite3

.PHONY: run test bench bench-concurrency bench-web install migrate demo scheduler wheel clean browser

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/tongxin migrate

demo: migrate
	$(BIN)/tongxin demo

run: demo
	TONGXIN_DEVELOPMENT=1 $(BIN)/tongxin serve --host 127.0.0.1 --port 8000

scheduler: migrate
	$(BIN)/tongxin scheduler

# Chromium for the browser journeys comes from Debian's package, never a download at run time.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get install -y chromium >/dev/null 2>&1 || echo "chromium not installed: browser journeys will be skipped")

test: install browser
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.platform

# Needs PostgreSQL on 127.0.0.1:5432 (user postgres); creates and drops its own database.
bench-concurrency: install
	$(BIN)/python -m bench.concurrency

# Each endpoint's rate as a share of a bare Litestar app, on the demo district, SQLite then PostgreSQL.
bench-web: install
	$(BIN)/python -m bench.web

wheel: install
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
