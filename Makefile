# The two commands of DLXH Warehouse: `make run` (demo pipeline through Airflow on an embedded
# PostgreSQL) and `make test`. Both create or refresh .venv themselves, quickly when nothing changed.
# `make check` is the fast tier (lint, types, import layers, tests without a database: under a minute).
SHELL := /bin/bash
VENV := .venv
DLXH := $(VENV)/bin/dlxh
PYTEST := $(VENV)/bin/pytest
SQL := dlxh/core/sql dbt_project/models

.PHONY: run test check setup system-deps lint airflow-ui bi docs clean-state

run: setup
	$(DLXH) run

# The fast tier, then the tests that need PostgreSQL, then the end-to-end tests (real Airflow
# scheduler, dag-processor, api-server) as their own step. Each step stops `make` on failure with
# pytest's exit code.
test: check
	$(DLXH) build --manifest-only >/dev/null
	$(PYTEST) -m "not unit and not e2e"
	$(PYTEST) -m e2e

# No database, no server: ruff, the formatter's verdict, mypy (dlxh/core, ingestion), the import
# layers (pyproject's [tool.importlinter]) and the unit tests (tests/conftest.py: UNIT_MODULES).
check: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PYTEST) -m unit -q

setup: system-deps $(VENV)/.synced

system-deps:
	@bash scripts/system-deps.sh

$(VENV)/.synced: pyproject.toml uv.lock scripts/uv.sh
	@bash scripts/uv.sh sync --frozen --extra dev --compile-bytecode
	@touch $@

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/sqlfluff lint $(SQL)

# The Airflow UI (api-server), scheduler, dag-processor and triggerer on the same state as `make run`.
airflow-ui: setup
	$(DLXH) airflow standalone

# Apache Superset (own virtualenv under $DLXH_HOME/superset) on 127.0.0.1:8088 with the dashboard
# of bi/superset/bundle, reading the marts as bi_reader (`make run` first for data).
bi: setup
	$(DLXH) bi up

# dbt docs and GX Data Docs on http://127.0.0.1:8090/
docs: setup
	$(DLXH) docs serve

# Start again from nothing: stop Superset and the embedded PostgreSQL of $$DLXH_HOME, then delete
# $$DLXH_HOME (cluster, Airflow home, inboxes, logs, secrets). No prompt: naming the target is the
# confirmation. The checkout (.venv, dbt_project/target) is left alone.
clean-state: setup
	$(DLXH) bi down
	$(DLXH) db down
	@home="$$($(VENV)/bin/python -c 'from dlxh.core.settings import load_settings; print(load_settings().home)')"; \
	case "$$home" in ""|/|"$$HOME"|"$$PWD") echo "clean-state: refusing to delete DLXH_HOME=$$home" >&2; exit 1;; esac; \
	echo "removing $$home"; rm -rf -- "$$home"
