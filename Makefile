# Vindaris: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-$(shell sha1sum requirements-dev.lock | cut -c1-12)

.PHONY: run test check venv lint format audit bench load drill clean

run:
	@scripts/run.sh

test: venv
	@scripts/require-system.sh --browser
	@$(MAKE) -s check
	@scripts/with-services.sh $(VENV)/bin/pytest $(ARGS)

# The code checks that gate every change: ruff (lint and format) and mypy with django-stubs.
check: venv
	@$(VENV)/bin/ruff check --quiet .
	@$(VENV)/bin/ruff format --check --quiet .
	@$(VENV)/bin/mypy

venv: $(STAMP)

$(STAMP): requirements-dev.lock
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@# pip before 24 takes a locked package asked for with extras (CacheControl[filecache]) for an unpinned one.
	@$(VENV)/bin/pip install -q --disable-pip-version-check 'pip==25.3'
	@$(VENV)/bin/pip install -q --disable-pip-version-check --require-hashes -r requirements-dev.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

# Supply chain and code: pip-audit on the lock files, bandit on our code; waivers in audit-waivers.toml.
audit: venv
	@scripts/audit.sh

# Benchmark at realistic scale (S, M, L organizations); prints a table, exits non-zero on a missed target.
bench: venv
	@scripts/require-system.sh
	@scripts/bench.sh $(ARGS)

# Load and fault drills on the benchmark's large organization (bench/load.py): figures and checks.
load: venv
	@scripts/require-system.sh
	@scripts/bench.sh --load

drill: venv
	@scripts/require-system.sh
	@scripts/bench.sh --load --drill

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf .state
