# The two commands of the README, and what they need. Everything is set up on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
# Links in mail and calendar feeds follow the demo's own address (make demo PORT=5123).
PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
DEMO_ENV := REGIONAL_ENV=development PUBLIC_BASE_URL=$(PUBLIC_BASE_URL)

.PHONY: demo test test-sqlite test-postgres setup lint translations bench bench-progress faults clean-demo

## make demo: the platform with demo data on SQLite, at http://$(HOST):$(PORT) (mail is
## printed in this terminal; Ctrl+C stops it; make clean-demo starts the data afresh)
demo: setup
	scripts/ensure-system --runtime
	$(DEMO_ENV) $(FLASK) db upgrade
	$(DEMO_ENV) $(FLASK) seed-region
	$(DEMO_ENV) $(FLASK) seed-demo
	@echo "demo: $(PUBLIC_BASE_URL) (mail is printed here; Ctrl+C stops; make clean-demo resets)"
	$(DEMO_ENV) $(FLASK) run --host $(HOST) --port $(PORT)

## make test: the whole suite, on SQLite and then on PostgreSQL, browser tests included
test: setup
	scripts/run-tests

test-sqlite: setup
	DATABASES=sqlite scripts/run-tests

test-postgres: setup
	DATABASES=postgres scripts/run-tests

setup: $(VENV)/.installed node_modules/axe-core/axe.min.js translations

# Exact versions from constraints.txt (scripts/update-constraints rewrites it; see README).
$(VENV)/.installed: pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

node_modules/axe-core/axe.min.js: package.json
	npm install --no-audit --no-fund --silent
	touch $@

translations: $(VENV)/.installed
	$(PY) -m babel.messages.frontend compile -d translations --statistics 2>&1 | tail -n 2

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup
	$(PY) bench/run.py

bench-progress: setup
	$(PY) bench/progress_bench.py

## make faults: worker kills, a database outage, an SMTP outage and SQLite lock contention,
## three times on both databases, each checked afterwards (faults/run.py; about 30 minutes)
faults: setup
	$(PY) faults/run.py all --db both --repeat 3

## make clean-demo: forget the demo's data (its database and uploaded files); the next
## make demo seeds it afresh. The development secret key is kept.
clean-demo:
	rm -f instance/regional.sqlite3*
	rm -rf instance/files
