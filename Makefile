# The two commands of DLXH Warehouse: `make run` (demo pipeline through Airflow on an embedded
# PostgreSQL) and `make test`. Both create or refresh .venv themselves, quickly when nothing changed.
SHELL := /bin/bash
VENV := .venv
DLXH := $(VENV)/bin/dlxh

.PHONY: run test setup system-deps lint airflow-ui bi docs clean-state

run: setup
	$(DLXH) run

test: setup
	$(DLXH) build --manifest-only >/dev/null
	$(VENV)/bin/pytest

setup: system-deps $(VENV)/.synced

system-deps:
	@bash scripts/system-deps.sh

$(VENV)/.synced: pyproject.toml uv.lock scripts/uv.sh
	@bash scripts/uv.sh sync --frozen --extra dev --compile-bytecode
	@touch $@

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/sqlfluff lint dlxh/core/sql dbt_project/models

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
