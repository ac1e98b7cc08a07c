# CareCoord: `make demo` brings the product up on SQLite with demo data; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint typecheck migrations-check pytest pytest-sqlite pytest-postgres browser-deps serve bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11+ is needed as $(PYTHON) (set PYTHON=...)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

var/secret-key:
	@mkdir -p var
	@$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(48))" > var/secret-key
	@chmod 600 var/secret-key

# The demo runs as production does (no debug), with a generated secret key kept in var/ and MFA relaxed.
demo: $(STAMP) var/secret-key
	CARECOORD_SECRET_KEY=$$(cat var/secret-key) CARECOORD_MFA_REQUIRED=0 \
		$(BIN)/carecoord demo --host $(HOST) --port $(PORT)

serve: $(STAMP) var/secret-key
	CARECOORD_SECRET_KEY=$$(cat var/secret-key) $(BIN)/carecoord serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src bench
	$(BIN)/ruff format --check src bench

typecheck: $(STAMP)
	CARECOORD_DEBUG=1 $(BIN)/mypy

migrations-check: $(STAMP)
	CARECOORD_DEBUG=1 CARECOORD_DATABASE_URL=sqlite:///var/migrations-check.sqlite3 \
		$(BIN)/carecoord makemigrations --check --dry-run

# Browser tests drive Debian's Chromium; install it when missing and we may (CI runs as root).
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's chromium for the browser tests"; \
			(apt-get update -qq && apt-get install -y -qq chromium) >/dev/null; \
		else echo "Browser tests need /usr/bin/chromium: sudo apt-get install chromium"; exit 1; fi; \
	fi

pytest-sqlite: $(STAMP) browser-deps
	@mkdir -p var
	env -u CARECOORD_TEST_DATABASE_URL $(BIN)/pytest -n 2 --dist loadfile

pytest-postgres: $(STAMP) browser-deps
	@if [ -n "$$CARECOORD_TEST_DATABASE_URL" ]; then \
		echo "== pytest on PostgreSQL ($$CARECOORD_TEST_DATABASE_URL)"; \
		$(BIN)/pytest -n 2 --dist loadfile; \
	else echo "CARECOORD_TEST_DATABASE_URL is not set: PostgreSQL run skipped"; fi

pytest: pytest-sqlite pytest-postgres

test: lint typecheck migrations-check pytest

bench: $(STAMP)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq wrk >/dev/null); }
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var test-artifacts
