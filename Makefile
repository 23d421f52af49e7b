# kiemdich: `make demo` runs the demo on SQLite, `make test` runs every check on PostgreSQL
# (and the scan and tracing tests on SQLite too, first: test-sqlite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
# What the demo's posters, PNG codes and personal QRs point at: the address it serves, unless
# set (e.g. `make demo HOST=0.0.0.0:8000 KIEMDICH_PUBLIC_URL=http://192.168.1.20:8000` for phones
# on the same network). The host is allowed too.
KIEMDICH_PUBLIC_URL ?= http://$(HOST)
DEMO_ENV := DEBUG=1 KIEMDICH_PUBLIC_URL=$(KIEMDICH_PUBLIC_URL) \
  ALLOWED_HOSTS=127.0.0.1,localhost,$(firstword $(subst :, ,$(HOST))),$(firstword $(subst :, ,$(patsubst http://%,%,$(patsubst https://%,%,$(KIEMDICH_PUBLIC_URL)))))
# The test suite runs with DEBUG off, like production; it needs a (throw-away) key.
TEST_ENV := SECRET_KEY=test-only-not-secret-test-only-not-secret-test-only KIEMDICH_QR_SIGNING_KEY=test-only-qr-signing-key-0123456789 KIEMDICH_DATA_DIR=$(CURDIR)/var/test

.PHONY: install demo serve test test-sqlite lint format messages clean bench

$(BIN)/kiemdich: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/kiemdich

demo: install
	$(DEMO_ENV) $(BIN)/kiemdich migrate --noinput
	$(DEMO_ENV) $(BIN)/kiemdich demo
	@echo "kiemdich demo: open http://$(HOST)/"
	$(DEMO_ENV) $(BIN)/kiemdich runserver $(HOST)

serve: install
	$(DEMO_ENV) $(BIN)/kiemdich runserver $(HOST)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint test-sqlite
	$(TEST_ENV) $(BIN)/python scripts/testdb.py -- $(BIN)/pytest $(PYTEST_ARGS)

# The scan, tracing and declaration tests again on SQLite, the embedded default `make demo`
# runs: settings.py's SQLite options (WAL, IMMEDIATE, timeout) on a throw-away file,
# var/test/test_kiemdich.sqlite3 (tests/conftest.py), made and removed by the run. Tests of what
# only PostgreSQL has are marked `postgresql` and skipped here with their reason. Run before
# the whole suite, so the output ends with the whole suite's summary; either failing fails.
SQLITE_TESTS ?= tests/checkins tests/tracing tests/declarations

test-sqlite: install
	mkdir -p var/test
	$(TEST_ENV) DATABASE_URL=sqlite:///$(CURDIR)/var/test/kiemdich.sqlite3 \
	  $(BIN)/pytest $(SQLITE_TESTS) $(SQLITE_PYTEST_ARGS)

# Recompile translations after editing locale/*/LC_MESSAGES/django.po (needs gettext).
messages: install
	DEBUG=1 $(BIN)/kiemdich makemessages -l vi --no-obsolete \
	  --ignore=.venv --ignore=tests --ignore=var --ignore=scripts
	DEBUG=1 $(BIN)/kiemdich compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles kiemdich.sqlite3* .pytest_cache .ruff_cache

# Scale benchmarks (DESIGN.md §5): generates data in its own database, kiemdich_bench.
bench: install
	$(TEST_ENV) $(BIN)/python scripts/testdb.py -- $(BIN)/python -m bench
