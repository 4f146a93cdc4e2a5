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
    remove_stale_local_settings(home)
    env = {
        "DLXH_HOME": str(settings.home),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": executor_of(settings),
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
        # A task's first call (`PATCH /execution/task-instances/{id}/run`) times out after 5 s by
        # default; on a loaded 2-core machine the API server (one worker) can take longer, the
        # client retries, the server answers 400 (the first call did mark it running) and the task
        # fails in its first try. Seen at `dlxh airflow standalone`'s start, when every due run
        # queues at once.
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": settings.get("DLXH_EXECUTION_API_TIMEOUT", "60") or "60",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": settings.get("DLXH_DAG_REFRESH_SECONDS", "30") or "30",
        # Airflow 3.3 reads these from [core] (a [simple_auth_manager] section is ignored).
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
        # Asset events of the runs `dlxh run` starts do not queue the DAGs it runs next itself
        # (no second build / validate / alerts run, now or when a scheduler starts later).
        "AIRFLOW__CORE__ASSET_MANAGER_CLASS": "dlxh.orchestration.asset_manager.PipelineAssetManager",
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
    if env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor":
        env.update(celery_environ(settings))
    return env


def remove_stale_local_settings(airflow_home: Path) -> None:
    """Remove the `$AIRFLOW_HOME/config/airflow_local_settings.py` earlier versions wrote (it imported
    a Celery 5.7 compatibility module that the `celery<5.7` pin made unnecessary and that is gone:
    left in place, every Airflow process would fail to import it). A file of the operator's own is
    kept."""
    path = airflow_home / "config" / "airflow_local_settings.py"
    if path.is_file() and "from dlxh.orchestration.local_settings import" in path.read_text(encoding="utf-8"):
        path.unlink()


EXECUTORS = {"local": "LocalExecutor", "celery": "CeleryExecutor"}


def executor_of(settings: Settings) -> str:
    """DLXH_AIRFLOW_EXECUTOR: `local` (default) or `celery`, or Airflow's own class names."""
    wanted = (settings.get("DLXH_AIRFLOW_EXECUTOR") or "LocalExecutor").strip()
    return EXECUTORS.get(wanted.lower(), wanted)


def celery_environ(settings: Settings) -> dict[str, str]:
    """[celery] settings: the embedded Redis as broker (or DLXH_REDIS_URL), the Airflow metadata
    database as Celery's result backend, and the workers' concurrency (docs/orchestration.md)."""
    from dlxh.core.queues import DEFAULT
    from dlxh.core.redis_embedded import broker_url

    af = airflow_target(settings)
    return {
        "AIRFLOW__CELERY__BROKER_URL": broker_url(settings),
        "AIRFLOW__CELERY__RESULT_BACKEND": af.url("db+postgresql"),
        # Task slots per worker process (each slot runs one task: its supervisor and the task).
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": settings.get("DLXH_CELERY_WORKER_CONCURRENCY", "2") or "2",
        # A worker takes one task per free slot, never a backlog another worker could run.
        "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": DEFAULT,
        # A task message is acknowledged once the task ended; a message taken by a worker that
        # died is redelivered after this many seconds (the scheduler has long retried the task
        # by then: a task whose worker stops heartbeating fails after
        # [scheduler] task_instance_heartbeat_timeout and is retried on another worker).
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": settings.get("DLXH_CELERY_VISIBILITY_TIMEOUT", "21600") or "21600",
    }


def airflow_bin() -> str:
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else "airflow"


# Airflow's log servers (scheduler and triggerer with a local executor) listen on every
# interface, with no setting to change it; on one machine the API server reads the task logs
# from the files, so they are not started.
NO_LOG_SERVER = ("scheduler", "triggerer")
STANDALONE_SERVICES = (["api-server"], ["scheduler", "--skip-serve-logs"], ["dag-processor"], ["triggerer", "--skip-serve-logs"])


def loopback_args(args: list[str]) -> list[str]:
    """`args` with the log server of the scheduler / triggerer / a Celery worker switched off."""
    serves_logs = (args[:1] and args[0] in NO_LOG_SERVER) or args[:2] == ["celery", "worker"]
    if serves_logs and "--skip-serve-logs" not in args and not {"-h", "--help"} & set(args):
        return [*args, "--skip-serve-logs"]
    return args


def worker_services() -> list[tuple[str, list[str], dict[str, str]]]:
    """The Celery workers of one machine (dlxh/core/queues.py): name, `airflow` arguments
    and extra environment. No log server (`--skip-serve-logs`: it would listen on every
    interface; the API server reads the task logs from the files); each worker's name is in
    its Celery hostname and in the `hostname` of the task instances it runs."""
    from dlxh.core.queues import WORKER_QUEUES

    return [
        (
            name,
            ["celery", "worker", "--queues", ",".join(queues), "--celery-hostname", f"{name}@%h", "--skip-serve-logs"],
            {"DLXH_WORKER_NAME": name, "AIRFLOW__CORE__HOSTNAME_CALLABLE": "dlxh.core.queues.worker_hostname"},
        )
        for name, queues in WORKER_QUEUES
    ]


def _standalone_options(args: list[str]) -> str | None:
    """`standalone [--executor local|celery]`: the executor asked for, or None for the configured one."""
    import argparse

    parser = argparse.ArgumentParser(prog="dlxh airflow standalone")
    parser.add_argument("--executor", choices=sorted(EXECUTORS), help="local (default) or celery: Redis and two Celery workers")
    return parser.parse_args(args).executor


def exec_airflow(args: list[str]) -> int:
    executor = _standalone_options(args[1:]) if args[:1] == ["standalone"] else None
    if executor:
        os.environ["DLXH_AIRFLOW_EXECUTOR"] = executor
    settings = load_settings()
    ensure_up(settings)
    ensure_airflow_db(settings)
    started_broker = False
    if executor_of(settings) == "CeleryExecutor":
        from dlxh.core.redis_embedded import ensure_broker

        started_broker = ensure_broker(settings)
    env = {**os.environ, **airflow_environ(settings)}
    if args[:1] == ["standalone"]:
        try:
            return run_standalone(env)
        finally:
            if started_broker:
                from dlxh.core.redis_embedded import EmbeddedRedis

                EmbeddedRedis(settings).stop()
    return subprocess.call([airflow_bin(), *loopback_args(args)], env=env)


API_START_SECONDS = 180


def run_standalone(env: dict[str, str]) -> int:
    """`dlxh airflow standalone`: the API server / UI, scheduler, dag-processor and triggerer on
    this instance's state, like `airflow standalone` but with every listening socket on
    127.0.0.1 (Airflow's standalone starts log servers on all interfaces); with the
    CeleryExecutor also the Celery workers of `worker_services()`. The API server starts first and
    the others only once it answers: the tasks the scheduler queues at once (runs due while nothing
    was running) talk to its execution API and would fail on a connection refused. Ctrl-C (or
    SIGTERM) stops all."""
    import signal
    import time
    import urllib.request

    host, port = env.get("AIRFLOW__API__HOST", "127.0.0.1"), env.get("AIRFLOW__API__PORT", "8080")
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://{local}:{port}"
    home = Path(env["AIRFLOW_HOME"])

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)  # also when started in the background (SIGINT inherited as ignored)
    procs: list[subprocess.Popen] = []

    def start(service: list[str]) -> None:
        procs.append(subprocess.Popen([airflow_bin(), *service], env=env, start_new_session=True))

    code = 0
    try:
        start(list(STANDALONE_SERVICES[0]))
        print(f"Airflow API server starting on {url} …", flush=True)
        deadline = time.monotonic() + API_START_SECONDS
        while True:
            if procs[0].poll() is not None:
                return procs[0].returncode or 1
            try:
                with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=3) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                print(f"the API server did not answer on {url} within {API_START_SECONDS}s", file=sys.stderr)
                return 1
            time.sleep(1)
        for service in STANDALONE_SERVICES[1:]:
            start(list(service))
        celery = env.get("AIRFLOW__CORE__EXECUTOR") == "CeleryExecutor"
        if celery:
            for _name, args, extra in worker_services():
                procs.append(subprocess.Popen([airflow_bin(), *args], env={**env, **extra}, start_new_session=True))
        all_admins = env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "").lower() == "true"
        login = (
            "no login: every local user is an admin ([core] simple_auth_manager_all_admins)"
            if all_admins
            else f"log in as admin, password in {env.get('AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE')}"
        )
        print(
            f"Airflow UI: {url} ({login})\n"
            f"  times: Asia/Ho_Chi_Minh for schedules; the UI shows the browser's time zone (user menu → Timezone)\n"
            f"  task logs: {env.get('AIRFLOW__LOGGING__BASE_LOG_FOLDER')}; config and state: {home}\n"
            f"  scheduler, dag-processor and triggerer started (Ctrl-C stops every service)",
            flush=True,
        )
        if celery:
            print(
                "  CeleryExecutor: broker "
                + env["AIRFLOW__CELERY__BROKER_URL"].split("@", 1)[-1]
                + "; workers: "
                + ", ".join(f"{name} ({args[args.index('--queues') + 1]})" for name, args, _ in worker_services()),
                flush=True,
            )
        while all(p.poll() is None for p in procs):
            time.sleep(1)
        code = next(p.returncode for p in procs if p.returncode is not None)
    except KeyboardInterrupt:
        code = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean stop short
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)  # what is left of each service's group (executor workers)
            except ProcessLookupError:
                pass
            if p.poll() is None:
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
