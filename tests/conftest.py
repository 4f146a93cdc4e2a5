"""Shared fixtures: one real embedded PostgreSQL per test session, under a temporary DLXH_HOME.

Tests never mock PostgreSQL. A session gets its own DLXH_HOME (so several pytest runs can go
side by side); `warehouse` yields a connection to a database whose raw/ops/quality tables
were emptied for the test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_SESSION_HOME: Path | None = None

# The fast tier (`make check`, `pytest -m unit`): modules that need no database, no server, no OCR
# and no network. A module that starts needing one leaves this list (the e2e and bi markers are
# set in their modules).
UNIT_MODULES = frozenset(
    {
        "test_alerts_rules",
        "test_alerts_templates",
        "test_architecture",
        "test_build_dag_outcomes",
        "test_calendar",
        "test_expectations_month",
        "test_reports_extraction",
        "test_reports_form",
        "test_reports_layout",
        "test_scans_fixtures",
        "test_scans_units",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in UNIT_MODULES:
            item.add_marker(pytest.mark.unit)


@pytest.fixture(scope="session")
def dlxh_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DLXH_HOME for the whole test session; the embedded server is stopped at the end."""
    home = tmp_path_factory.mktemp("dlxh-home")
    os.chmod(home, 0o755)
    for parent in home.parents:  # the unprivileged server user must reach the cluster when run as root
        if str(parent).startswith(("/tmp", "/var/tmp")) and parent != Path("/tmp"):
            os.chmod(parent, 0o755)
    old = {k: os.environ.get(k) for k in ("DLXH_HOME", "DLXH_DATABASE_URL", "DLXH_PG_PORT")}
    os.environ["DLXH_HOME"] = str(home)
    os.environ.pop("DLXH_DATABASE_URL", None)
    os.environ.pop("DLXH_PG_PORT", None)
    yield home
    from dlxh.core.pg_embedded import EmbeddedPostgres
    from dlxh.core.settings import load_settings

    EmbeddedPostgres(load_settings()).stop()
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def warehouse_target(dlxh_home: Path):
    from dlxh.core.db import ensure_up

    return ensure_up()


def truncate_all(conn) -> None:
    """Empty every table in raw, restricted, ops, quality and the dbt schemas (schemas stay).

    The dbt tables are emptied too: incremental models would otherwise keep rows built from an
    earlier test's data (all tests of a session share one database).
    """
    with conn, conn.cursor() as cur:
        cur.execute(
            """select format('%I.%I', schemaname, tablename) from pg_tables
               where schemaname in ('raw', 'restricted', 'ops', 'quality', 'staging', 'intermediate', 'marts')"""
        )
        tables = [r[0] for r in cur.fetchall()]
        if tables:
            cur.execute(f"truncate {', '.join(tables)} restart identity cascade")


@pytest.fixture(scope="module")
def module_warehouse(warehouse_target):
    """One autocommit connection for a module that builds marts once and reads them in several tests
    (the function-scoped `warehouse` would empty raw between tests); the warehouse is emptied first."""
    from dlxh.core.db import connect

    connection = connect(warehouse_target, autocommit=True)  # an open transaction would block dbt's table swaps
    truncate_all(connection)
    yield connection
    connection.close()


@pytest.fixture()
def warehouse(warehouse_target):
    """A psycopg2 connection to an emptied warehouse."""
    from dlxh.core.db import connect

    conn = connect(warehouse_target)
    truncate_all(conn)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def airflow_env(warehouse_target, dlxh_home: Path):
    """Airflow configured on the session's embedded PostgreSQL (`airflow` database, migrated).

    Airflow reads its configuration when first imported, so every test that imports airflow
    must use this fixture (all of them share the session's metadata database).
    """
    from dlxh.airflow_env import airflow_environ, ensure_airflow_db

    ensure_airflow_db()
    env = airflow_environ()
    os.environ.update(env)
    return env
