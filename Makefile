# kiemdich: `make demo` runs the demo on SQLite, `make test` runs every check on PostgreSQL.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
# The test suite runs with DEBUG off, like production; it needs a (throw-away) key.
TEST_ENV := SECRET_KEY=test-only-not-secret-test-only-not-secret-test-only KIEMDICH_QR_SIGNING_KEY=test-only-qr-signing-key-0123456789 KIEMDICH_DATA_DIR=$(CURDIR)/var/test

.PHONY: install demo serve test lint format messages clean bench

$(BIN)/kiemdich: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/kiemdich

demo: install
	DEBUG=1 $(BIN)/kiemdich migrate --noinput
	DEBUG=1 $(BIN)/kiemdich demo
	@echo "kiemdich demo: open http://$(HOST)/"
	DEBUG=1 $(BIN)/kiemdich runserver $(HOST)

serve: install
	DEBUG=1 $(BIN)/kiemdich runserver $(HOST)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(TEST_ENV) $(BIN)/python scripts/testdb.py -- $(BIN)/pytest $(PYTEST_ARGS)

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
