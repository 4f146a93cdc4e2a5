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

from dlxh.core.db import airflow_target, ensure_up, warehouse_target
from dlxh.core.secret_files import stored_secret
from dlxh.core.settings import PROJECT_ROOT, Settings, load_settings

DAGS_FOLDER = PROJECT_ROOT / "dags"
WAREHOUSE_CONN_ID = "dlxh_warehouse"


def _stored_secret(path: Path, make) -> str:
    return stored_secret(path, make)


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
    # Simple auth manager: every local UI user is an admin (no login). Should that be switched
    # off, the passwords file already exists (0600, ours), so Airflow neither creates it with
    # the umask's mode nor prints a generated password in its log.
    passwords_file = home / "simple_auth_manager_passwords.json"
    _stored_secret(passwords_file, lambda: json.dumps({"admin": secrets.token_urlsafe(16)}))
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
        # The API server / UI listens on loopback only unless told otherwise (Airflow's default is 0.0.0.0).
        "AIRFLOW__API__HOST": settings.get("DLXH_AIRFLOW_HOST", "127.0.0.1") or "127.0.0.1",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{settings.get('DLXH_AIRFLOW_PORT', '8080')}/execution/",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": settings.get("DLXH_DAG_REFRESH_SECONDS", "30") or "30",
        # Airflow 3.3 reads these from [core] (a [simple_auth_manager] section is ignored).
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": json.dumps(conn),
        "NO_PROXY": "*",
        # `airflow standalone` and the executors start `airflow` sub-commands by name.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        # No telemetry calls from a closed network (cosmos and dbt would try on every task).
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        # Cosmos caches dbt partial-parse state; per instance, so instances side by side never share it.
        "AIRFLOW__COSMOS__CACHE_DIR": str(settings.home / "cosmos"),
        # The dbt producer of the build DAG (ExecutionMode.WATCHER) keeps its per-model results for a
        # retry in a Variable written at failure, not rewritten on every dbt event (that made a
        # 7-second dbt build take a minute here).
        "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
        "DO_NOT_TRACK": "1",
        "SCARF_ANALYTICS": "false",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    return env


def airflow_bin() -> str:
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else "airflow"


# Airflow's log servers (scheduler and triggerer with a local executor) listen on every
# interface, with no setting to change it; on one machine the API server reads the task logs
# from the files, so they are not started.
NO_LOG_SERVER = ("scheduler", "triggerer")
STANDALONE_SERVICES = (["api-server"], ["scheduler", "--skip-serve-logs"], ["dag-processor"], ["triggerer", "--skip-serve-logs"])


def loopback_args(args: list[str]) -> list[str]:
    """`args` with the log server of the scheduler / triggerer switched off."""
    if args[:1] and args[0] in NO_LOG_SERVER and "--skip-serve-logs" not in args and not {"-h", "--help"} & set(args):
        return [*args, "--skip-serve-logs"]
    return args


def exec_airflow(args: list[str]) -> int:
    settings = load_settings()
    ensure_up(settings)
    ensure_airflow_db(settings)
    env = {**os.environ, **airflow_environ(settings)}
    if args == ["standalone"]:
        return run_standalone(env)
    return subprocess.call([airflow_bin(), *loopback_args(args)], env=env)


def run_standalone(env: dict[str, str]) -> int:
    """`dlxh airflow standalone`: the API server / UI, scheduler, dag-processor and triggerer on
    this instance's state, like `airflow standalone` but with every listening socket on
    127.0.0.1 (Airflow's standalone starts log servers on all interfaces). Ctrl-C stops all."""
    import signal
    import time

    port = env.get("AIRFLOW__API__PORT", "8080")
    print(f"Airflow UI: http://{env.get('AIRFLOW__API__HOST', '127.0.0.1')}:{port} (Ctrl-C stops every service)", flush=True)
    procs = [subprocess.Popen([airflow_bin(), *service], env=env, start_new_session=True) for service in STANDALONE_SERVICES]
    code = 0
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(1)
        code = next(p.returncode for p in procs if p.returncode is not None)
    except KeyboardInterrupt:
        code = 130
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    return code


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
        from dlxh.core.errors import DlxhError

        raise DlxhError(f"`airflow db migrate` failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    marker.write_text(wanted + "\n")


def _has_airflow_tables(settings: Settings) -> bool:
    from dlxh.core.db import connect

    conn = connect(airflow_target(settings))
    try:
        with conn.cursor() as cur:
            cur.execute("select to_regclass('public.alembic_version') is not null")
            return bool(cur.fetchone()[0])
    finally:
        conn.close()
