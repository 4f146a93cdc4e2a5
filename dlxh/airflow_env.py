"""Airflow on this instance's state: AIRFLOW_HOME under DLXH_HOME, metadata in the `airflow`
database, DAGs from `dags/`, the warehouse connection built from settings (no secrets in code).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from dlxh.db import airflow_target, ensure_up, warehouse_target
from dlxh.settings import PROJECT_ROOT, Settings, load_settings

DAGS_FOLDER = PROJECT_ROOT / "dags"
WAREHOUSE_CONN_ID = "dlxh_warehouse"


def _stored_secret(path: Path, make) -> str:
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make() + "\n")
        os.chmod(path, 0o600)
    return path.read_text().strip()


def airflow_environ(settings: Settings | None = None) -> dict[str, str]:
    """Environment for any Airflow process of this instance (CLI, dag.test, scheduler...)."""
    settings = settings or load_settings()
    home = settings.airflow_home
    home.mkdir(parents=True, exist_ok=True)
    wh = warehouse_target(settings)
    af = airflow_target(settings)
    conn = {
        "conn_type": "postgres",
        "host": wh.host,
        "port": wh.port,
        "login": wh.user,
        "password": wh.password,
        "schema": wh.dbname,
    }
    fernet = _stored_secret(home / "fernet.key", lambda: __import__("base64").urlsafe_b64encode(os.urandom(32)).decode())
    jwt = _stored_secret(home / "jwt.secret", lambda: secrets.token_urlsafe(32))
    env = {
        "DLXH_HOME": str(settings.home),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": settings.get("DLXH_AIRFLOW_EXECUTOR", "LocalExecutor") or "LocalExecutor",
        # Schedules, naive datetimes and the task log timestamps in the federation's time. Airflow 3's
        # UI has no server-side default (Airflow 2's [webserver] default_ui_timezone is gone): it shows
        # the browser's time zone, changeable in the user menu (README "Airflow UI time zone").
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__FERNET_KEY": fernet,
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": af.url("postgresql+psycopg2"),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(settings.logs_dir / "airflow"),
        "AIRFLOW__API_AUTH__JWT_SECRET": jwt,
        "AIRFLOW__API__PORT": settings.get("DLXH_AIRFLOW_PORT", "8080") or "8080",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{settings.get('DLXH_AIRFLOW_PORT', '8080')}/execution/",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": settings.get("DLXH_DAG_REFRESH_SECONDS", "30") or "30",
        "AIRFLOW__SIMPLE_AUTH_MANAGER__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": json.dumps(conn),
        "NO_PROXY": "*",
        # `airflow standalone` and the executors start `airflow` sub-commands by name.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        # No telemetry calls from a closed network (cosmos and dbt would try on every task).
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        # Cosmos caches dbt partial-parse state; per instance, so instances side by side never share it.
        "AIRFLOW__COSMOS__CACHE_DIR": str(settings.home / "cosmos"),
        "DO_NOT_TRACK": "1",
        "SCARF_ANALYTICS": "false",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    return env


def airflow_bin() -> str:
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else "airflow"


def exec_airflow(args: list[str]) -> int:
    settings = load_settings()
    ensure_up(settings)
    ensure_airflow_db(settings)
    env = {**os.environ, **airflow_environ(settings)}
    return subprocess.call([airflow_bin(), *args], env=env)


def ensure_airflow_db(settings: Settings | None = None) -> None:
    """Create or upgrade the Airflow metadata schema (idempotent; fast when already current)."""
    settings = settings or load_settings()
    env = {**os.environ, **airflow_environ(settings)}
    marker = settings.airflow_home / ".db-migrated"
    import hashlib
    from importlib.metadata import version

    wanted = version("apache-airflow-core") + " " + hashlib.sha256(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].encode()).hexdigest()[:16]
    if marker.is_file() and marker.read_text().strip() == wanted and _has_airflow_tables(settings):
        return
    proc = subprocess.run([airflow_bin(), "db", "migrate"], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        from dlxh.errors import DlxhError

        raise DlxhError(f"`airflow db migrate` failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    marker.write_text(wanted + "\n")


def _has_airflow_tables(settings: Settings) -> bool:
    from dlxh.db import connect

    conn = connect(airflow_target(settings))
    try:
        with conn.cursor() as cur:
            cur.execute("select to_regclass('public.alembic_version') is not null")
            return bool(cur.fetchone()[0])
    finally:
        conn.close()
