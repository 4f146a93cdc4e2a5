"""The pieces of `--executor celery` on their own, against real servers: the embedded Redis
(loopback, password, 0600 files, reused, stopped) and the Celery settings and compatibility fixes
the scheduler and workers rely on (the provider's result fetch on the real PostgreSQL backend)."""

from __future__ import annotations

import os
import socket
import stat

import pytest


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _send(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(payload)
        return sock.recv(256)


@pytest.fixture()
def redis_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DLXH_HOME", str(home))
    monkeypatch.delenv("DLXH_REDIS_PORT", raising=False)
    monkeypatch.delenv("DLXH_REDIS_URL", raising=False)
    from dlxh.core.settings import load_settings

    return load_settings()


def test_embedded_redis_is_loopback_only_with_a_password_and_is_reused_then_stopped(redis_home):
    from dlxh.core.redis_embedded import EmbeddedRedis

    server = EmbeddedRedis(redis_home)
    assert server.start() is True
    try:
        port = server.port()
        assert server.running() and server.ping()
        # Secrets: 0600 files, in a 0700 folder; the URL carries the password.
        for path in (server.password_file, server.conf_file):
            assert _mode(path) == 0o600, path
        assert _mode(server.dir) == 0o700
        conf = server.conf_file.read_text()
        assert "bind 127.0.0.1\n" in conf and "protected-mode yes\n" in conf and f"requirepass {server.password()}\n" in conf
        assert server.url() == f"redis://:{server.password()}@127.0.0.1:{port}/0"
        # Without the password nothing is served.
        assert _send(port, b"PING\r\n").startswith(b"-NOAUTH")
        assert _send(port, b"AUTH wrong-password\r\n").startswith(b"-WRONGPASS")
        # Listening on loopback only: no socket on the machine's other addresses.
        with open("/proc/net/tcp") as fh:
            listening = [line.split()[1] for line in fh.readlines()[1:] if line.split()[3] == "0A"]
        ours = [addr for addr in listening if int(addr.split(":")[1], 16) == port]
        assert ours == ["0100007F:" + f"{port:04X}"], ours
        # A second start reuses the running server (same port, same process).
        pid = server._pid()
        assert EmbeddedRedis(redis_home).start() is False and server._pid() == pid and server.port() == port
    finally:
        assert server.stop() is True
    assert not server.running() and server.stop() is False


def test_broker_and_result_backend_settings_only_for_the_celery_executor(redis_home, monkeypatch):
    from dlxh.airflow_env import airflow_environ, worker_services
    from dlxh.core.queues import DBT, DEFAULT, OCR
    from dlxh.core.redis_embedded import EmbeddedRedis
    from dlxh.core.settings import load_settings

    monkeypatch.setenv("DLXH_DATABASE_URL", "postgresql://dlxh:pw@127.0.0.1:5999/warehouse")
    monkeypatch.setenv("DLXH_AIRFLOW_DATABASE_URL", "postgresql://airflow:pw@127.0.0.1:5999/airflow")
    local = airflow_environ(load_settings())
    assert local["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor" and not any(k.startswith("AIRFLOW__CELERY") for k in local)
    monkeypatch.setenv("DLXH_AIRFLOW_EXECUTOR", "celery")
    settings = load_settings()
    # The hook an earlier version wrote imported a module that is gone (the Celery 5.7 shim).
    hook = settings.airflow_home / "config" / "airflow_local_settings.py"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("from dlxh.orchestration.local_settings import *  # noqa: F401,F403\n", encoding="utf-8")
    env = airflow_environ(settings)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"] == EmbeddedRedis(settings).url()
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+postgresql://airflow:pw@127.0.0.1:5999/airflow"
    assert env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"] == DEFAULT
    assert not hook.exists()  # removed: Airflow would fail to import it
    hook.write_text("# the operator's own policies\n", encoding="utf-8")
    airflow_environ(settings)
    assert hook.read_text(encoding="utf-8") == "# the operator's own policies\n"  # kept
    queues = {name: args[args.index("--queues") + 1].split(",") for name, args, _env in worker_services()}
    assert len(queues) >= 2 and {DEFAULT, DBT} <= set(queues["worker-dbt"]) and {OCR, DEFAULT} <= set(queues["worker-ocr"])
    for _name, args, extra in worker_services():
        assert "--skip-serve-logs" in args and extra["DLXH_WORKER_NAME"] in args[args.index("--celery-hostname") + 1]


def test_the_provider_reads_a_failed_celery_task_from_the_postgresql_result_backend(airflow_env):
    """The locked Celery (<5.7) and the Celery provider work together, with no shim: the provider's
    executor module imports (it imports `celery.backends.database.retry`, which Celery 5.7
    removed) and its bulk state fetch (the scheduler's) reads a failed task's result from the
    PostgreSQL result backend (Celery 5.7 stores results encoded, which the provider's fetch
    does not decode)."""
    from airflow.providers.celery.executors.celery_executor_utils import BulkStateFetcher
    from celery import Celery, states
    from celery.result import AsyncResult

    app = Celery("dlxh-test", backend="db+" + os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("+psycopg2", ""))
    backend = app.backend
    ok, failed = "dlxh-test-ok-" + os.urandom(4).hex(), "dlxh-test-failed-" + os.urandom(4).hex()
    backend.store_result(ok, None, states.SUCCESS)
    backend.store_result(failed, TimeoutError("timed out"), states.FAILURE)
    fetcher = BulkStateFetcher(sync_parallelism=1, celery_app=app)
    result = fetcher._get_many_from_db_backend([AsyncResult(ok, app=app), AsyncResult(failed, app=app)])
    assert result[ok][0] == states.SUCCESS
    assert result[failed][0] == states.FAILURE
